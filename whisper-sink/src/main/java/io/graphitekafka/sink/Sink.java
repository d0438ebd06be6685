package io.graphitekafka.sink;

import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.service.metrics.CarbonReporter;
import io.graphitekafka.service.metrics.PrometheusEndpoint;
import io.graphitekafka.service.metrics.ProcessGauges;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.consumer.SeriesListener;
import io.graphitekafka.sink.consumer.SinkClients;
import io.graphitekafka.sink.consumer.SinkLoop;
import io.graphitekafka.sink.tags.TagRegistrar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whisper-sink service: one consumer loop writing the series of the partitions it owns, with its
 * self-metrics reported as {@code carbon.agents.<host>-<instance>.*} series and, optionally, on a
 * Prometheus endpoint.
 */
public final class Sink implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Sink.class);

  private final SinkConfig config;
  private final SinkStats stats;
  private final SinkLoop loop;
  private final TagRegistrar tags;
  private final KafkaProducer<String, MetricPoint> metricsProducer;
  private final CarbonReporter reporter;
  private final PrometheusEndpoint prometheus;

  public Sink(SinkConfig config) {
    this.config = config;
    int interval = config.getInt(SinkConfig.METRICS_INTERVAL_SECONDS);
    this.stats = new SinkStats(new SelfMetrics(SinkStats.ROLE), interval == 0 ? 60 : interval,
        System::nanoTime);
    ProcessGauges.register(stats.metrics(), interval == 0 ? 60 : interval);
    int port = config.getInt(SinkConfig.PROMETHEUS_PORT);
    try {
      this.prometheus = port < 0 ? null : new PrometheusEndpoint(
          config.getString(SinkConfig.PROMETHEUS_BIND), port, List.of(stats.metrics()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the Prometheus endpoint on port " + port, e);
    }
    try {
      this.tags = tagRegistrar(config, stats);
      this.loop = loop(config, stats, tags == null ? SeriesListener.NONE : tags);
    } catch (RuntimeException e) {
      if (prometheus != null) {
        prometheus.close();
      }
      throw e;
    }
    if (interval > 0) {
      Topic<String, MetricPoint> points = Topics.points(config.getString(SinkConfig.POINTS_TOPIC));
      Map<String, Object> props = new HashMap<>();
      props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
      props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink-metrics");
      props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
      config.kafkaOverrides().forEach((k, v) -> {
        if (ProducerConfig.configNames().contains(k) && !k.equals(ProducerConfig.MAX_BLOCK_MS_CONFIG)) {
          props.put(k, v);
        }
      });
      this.metricsProducer = new KafkaProducer<>(props, points.keySerde().serializer(),
          points.valueSerde().serializer());
      this.reporter = new CarbonReporter(stats.metrics(), config.metricsInstance(),
          (metric, timestamp, value) -> metricsProducer.send(new ProducerRecord<>(points.name(),
              metric, new MetricPoint(metric, timestamp, value))), Clock.systemUTC());
    } else {
      this.metricsProducer = null;
      this.reporter = null;
    }
  }

  /** The consumer loop over the real clients, which are closed again if the loop cannot be built. */
  private static SinkLoop loop(SinkConfig config, SinkStats stats, SeriesListener listener) {
    Consumer<Void, ByteBuffer> consumer = SinkClients.consumer(config);
    Producer<byte[], byte[]> rejects = null;
    try {
      rejects = SinkClients.rejectsProducer(config);
      return new SinkLoop(config, stats, listener, consumer, rejects);
    } catch (RuntimeException e) {
      if (rejects != null) {
        rejects.close();
      }
      consumer.close();
      throw e;
    }
  }

  private static TagRegistrar tagRegistrar(SinkConfig config, SinkStats stats) {
    String url = config.getString(SinkConfig.GRAPHITE_URL);
    if (url.isBlank()) {
      return null;
    }
    try {
      return new TagRegistrar(url.trim(), Path.of(config.getString(SinkConfig.DATA_DIR)).resolve("tagdb"),
          config.getInt(SinkConfig.TAGS_BATCH_SIZE), config.getInt(SinkConfig.TAGS_UPDATE_INTERVAL),
          config.getBoolean(SinkConfig.TAGS_UNTAGGED),
          Duration.ofMillis(config.getLong(SinkConfig.TAGS_TIMEOUT_MS)),
          config.getLong(SinkConfig.RETRY_BACKOFF_MAX_MS), stats);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the tag registration journal", e);
    }
  }

  public void start() {
    if (tags != null) {
      tags.start();
    }
    loop.start();
    if (reporter != null) {
      reporter.start(Duration.ofSeconds(config.getInt(SinkConfig.METRICS_INTERVAL_SECONDS)));
    }
    if (prometheus != null) {
      prometheus.start();
      log.info("Prometheus metrics on port {}", prometheus.port());
    }
  }

  /** The counters and gauges as named in carbon-cache's self-instrumentation. */
  public SinkStats stats() {
    return stats;
  }

  public SelfMetrics metrics() {
    return stats.metrics();
  }

  /** The Prometheus endpoint's port, or -1 if it is disabled. */
  public int prometheusPort() {
    return prometheus == null ? -1 : prometheus.port();
  }

  /** Whether the consumer loop still runs; false after close or a fatal error. */
  public boolean isRunning() {
    return loop.isRunning();
  }

  /** The fatal error that stopped the loop, or {@code null}. */
  public Throwable failure() {
    return loop.failure();
  }

  /** Waits for the loop to stop (after close or a fatal error). */
  public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
    return loop.awaitStopped(timeout, unit);
  }

  /** Stops consuming after the current batch is written, flushed and committed. */
  @Override
  public void close() throws InterruptedException {
    try {
      loop.close();
    } finally {
      if (tags != null) {
        try {
          tags.close();
        } catch (IOException e) {
          log.warn("closing the tag registration journal: {}", e.toString());
        }
      }
      if (reporter != null) {
        reporter.close();
        metricsProducer.close(Duration.ofSeconds(5));
      }
      if (prometheus != null) {
        prometheus.close();
      }
    }
  }
}

package io.graphitekafka.sink;

import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.service.metrics.SelfReporting;
import io.graphitekafka.service.restart.StartupPhases;
import io.graphitekafka.service.restart.StaticMember;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.consumer.SeriesListener;
import io.graphitekafka.sink.consumer.SinkClients;
import io.graphitekafka.sink.consumer.SinkLoop;
import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.sink.tags.TagRegistrar;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whisper-sink service: one consumer loop writing the series of the partitions it owns, with
 * its self-metrics reported as {@code carbon.agents.<host>-<instance>.*} series and, optionally, on
 * a Prometheus endpoint.
 */
public final class Sink implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Sink.class);

  private final SinkConfig config;
  private final SinkStats stats;
  private final SinkLoop loop;
  private final TagRegistrar tags;
  private final SelfReporting reporting;
  private final StaticMember member;

  public Sink(SinkConfig config) {
    this.config = config;
    int interval = config.getInt(SinkConfig.METRICS_INTERVAL_SECONDS);
    this.stats =
        new SinkStats(
            new SelfMetrics(SinkStats.ROLE), interval == 0 ? 60 : interval, System::nanoTime);
    this.reporting =
        SelfReporting.open(
            stats.metrics(),
            config,
            config.metricsInstance(),
            config.getString(SinkConfig.PROMETHEUS_BIND),
            null);
    this.member =
        config.groupInstanceId().equals(StaticMember.AUTO)
            ? StaticMember.claim(
                "sink",
                Path.of(config.getString(SinkConfig.DATA_DIR)),
                config.getString(SinkConfig.GROUP_ID))
            : null;
    try {
      this.tags = tagRegistrar(config, stats);
      this.loop = loop(config, stats, member, tags == null ? SeriesListener.NONE : tags);
    } catch (RuntimeException e) {
      reporting.close();
      release(member);
      throw e;
    }
    if (member != null) {
      log.info("static member {} of group {}", member.id(), config.getString(SinkConfig.GROUP_ID));
    }
  }

  private static void release(StaticMember member) {
    if (member == null) {
      return;
    }
    try {
      member.close();
    } catch (IOException e) {
      log.warn("releasing the group member slot: {}", e.toString());
    }
  }

  /**
   * The consumer loop over the real clients, which are closed again if the loop cannot be built.
   */
  private static SinkLoop loop(
      SinkConfig config, SinkStats stats, StaticMember member, SeriesListener listener) {
    Consumer<Void, ByteBuffer> consumer = SinkClients.consumer(config, member);
    stats.metrics().bind(new KafkaClientMetrics(consumer));
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
      return new TagRegistrar(
          url.trim(),
          Path.of(config.getString(SinkConfig.DATA_DIR)).resolve("tagdb"),
          config.getInt(SinkConfig.TAGS_BATCH_SIZE),
          config.getInt(SinkConfig.TAGS_UPDATE_INTERVAL),
          config.getBoolean(SinkConfig.TAGS_UNTAGGED),
          Duration.ofMillis(config.getLong(SinkConfig.TAGS_TIMEOUT_MS)),
          config.getLong(SinkConfig.RETRY_BACKOFF_MAX_MS),
          stats);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the tag registration journal", e);
    }
  }

  public void start() {
    if (tags != null) {
      tags.start();
    }
    loop.start();
    reporting.start();
    if (reporting.port() >= 0) {
      log.info("Prometheus metrics on port {}", reporting.port());
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
    return reporting.port();
  }

  /** The start-up phases reached so far. */
  public StartupPhases phases() {
    return loop.phases();
  }

  /** Whether the last poll found every owned partition read to its end, written and committed. */
  public boolean upToDate() {
    return loop.upToDate();
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
      reporting.close();
      release(member);
    }
  }
}

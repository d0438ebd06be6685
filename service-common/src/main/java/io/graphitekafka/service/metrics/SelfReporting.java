package io.graphitekafka.service.metrics;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.config.SelfMetricsSettings;
import io.graphitekafka.service.config.ServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A service's self-reporting, wired the same way in every service from the keys of {@link
 * SelfMetricsSettings}: the process gauges, the carbon-named series written into the points topic
 * every {@code carbon.metric.interval.seconds}, and the Prometheus endpoint on {@code
 * metrics.http.port}. A service that produces points already (the gateway) hands in its own way of
 * sending one; the others get a small producer of their own, built only when reporting is on.
 */
public final class SelfReporting implements AutoCloseable {

  /** How long the reporter's producer may block on a full buffer or missing metadata. */
  private static final int MAX_BLOCK_MS = 10_000;

  private final Duration interval;
  private final KafkaProducer<String, MetricPoint> producer;
  private final CarbonReporter reporter;
  private final PrometheusEndpoint endpoint;
  private final SelfMetrics metrics;

  private SelfReporting(
      SelfMetrics metrics,
      Duration interval,
      KafkaProducer<String, MetricPoint> producer,
      CarbonReporter reporter,
      PrometheusEndpoint endpoint) {
    this.metrics = metrics;
    this.interval = interval;
    this.producer = producer;
    this.reporter = reporter;
    this.endpoint = endpoint;
  }

  /**
   * Registers the process gauges in {@code metrics} and prepares the reporter and the endpoint;
   * {@link #start} starts them.
   *
   * @param instance the {@code <instance>} of {@code carbon.<role>.<host>-<instance>}
   * @param bindAddress where the endpoint listens
   * @param points where the series go; null for a producer of this reporting's own to the
   *     configuration's points topic
   * @throws UncheckedIOException if the endpoint's port cannot be bound
   */
  public static SelfReporting open(
      SelfMetrics metrics,
      ServiceConfig config,
      String instance,
      String bindAddress,
      CarbonReporter.PointSink points) {
    int seconds = config.getInt(SelfMetricsSettings.INTERVAL_SECONDS);
    ProcessGauges.register(metrics, seconds == 0 ? 60 : seconds);
    int port = config.getInt(SelfMetricsSettings.HTTP_PORT);
    PrometheusEndpoint endpoint;
    try {
      endpoint = port < 0 ? null : new PrometheusEndpoint(bindAddress, port, List.of(metrics));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the metrics endpoint on port " + port, e);
    }
    KafkaProducer<String, MetricPoint> producer = null;
    CarbonReporter.PointSink sink = points;
    if (sink == null && seconds > 0) {
      Topic<String, MetricPoint> topic = Topics.points(config.pointsTopic());
      producer =
          new KafkaProducer<>(
              producerProperties(config, metrics.role()),
              topic.keySerde().serializer(),
              topic.valueSerde().serializer());
      KafkaProducer<String, MetricPoint> own = producer;
      sink =
          (name, timestamp, value) ->
              own.send(
                  new ProducerRecord<>(
                      topic.name(), name, new MetricPoint(name, timestamp, value)));
    }
    CarbonReporter reporter =
        sink == null ? null : new CarbonReporter(metrics, instance, sink, Clock.systemUTC());
    return new SelfReporting(metrics, Duration.ofSeconds(seconds), producer, reporter, endpoint);
  }

  /** The producer settings under {@code kafka.}, bootstrap servers and a client id of the role. */
  static Map<String, Object> producerProperties(ServiceConfig config, String role) {
    Map<String, Object> props = new HashMap<>();
    config
        .kafkaOverrides()
        .forEach(
            (key, value) -> {
              if (ProducerConfig.configNames().contains(key)) {
                props.put(key, value);
              }
            });
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-" + role + "-metrics");
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, MAX_BLOCK_MS);
    return props;
  }

  /** Starts reporting (unless the interval is 0) and serving the endpoint (unless it is off). */
  public void start() {
    if (reporter != null) {
      reporter.start(interval);
    }
    if (endpoint != null) {
      endpoint.start();
    }
  }

  /** The endpoint's port, or -1 when it is off. */
  public int port() {
    return endpoint == null ? -1 : endpoint.port();
  }

  /** The series prefix, {@code carbon.<role>.<host>-<instance>}, or null when reporting is off. */
  public String prefix() {
    return reporter == null ? null : reporter.prefix();
  }

  @Override
  public void close() {
    if (reporter != null) {
      reporter.close();
    }
    if (endpoint != null) {
      endpoint.close();
    }
    metrics.closeBinders();
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}

package io.graphitekafka.service.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.util.List;

/**
 * The process's one Micrometer registry, served on {@code GET /metrics} in Prometheus' text format
 * by Prometheus' own HTTP server: every service's {@link SelfMetrics} (counters as {@code
 * graphite_kafka_<role>_<stat>_total}, gauges without the suffix, characters Prometheus does not
 * allow in a name turned into {@code _}), the meters of their Kafka clients and Kafka Streams (as
 * Micrometer's Kafka binders name them: {@code kafka_consumer_…}, {@code kafka_producer_…}, {@code
 * kafka_stream_…}), and the JVM's and the process's ({@code jvm_…}, {@code process_…}, {@code
 * system_…}).
 *
 * <p>The server listens from construction on; a scrape before the services have registered their
 * meters gets the meters there are, and one after {@link #close} a refused connection.
 */
public final class PrometheusEndpoint implements AutoCloseable {

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final HTTPServer server;

  /**
   * Binds the port and serves the registry over it.
   *
   * @param port the port; 0 for any free one
   * @throws IOException if the port cannot be bound
   */
  public PrometheusEndpoint(String bindAddress, int port, List<SelfMetrics> sources)
      throws IOException {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    this.gc = new JvmGcMetrics();
    gc.bindTo(registry);
    for (SelfMetrics m : sources) {
      m.bindTo(registry);
    }
    this.server =
        HTTPServer.builder()
            .hostname(bindAddress)
            .port(port)
            .registry(registry.getPrometheusRegistry())
            .buildAndStart();
  }

  /** Kept for the services' start-up order: the server serves from construction on. */
  public void start() {
    // serving already
  }

  public int port() {
    return server.getPort();
  }

  /** The exposition text for the current values, as a scrape gets it. */
  public String render() {
    return registry.scrape();
  }

  @Override
  public void close() {
    server.close();
    gc.close();
    registry.close();
  }
}

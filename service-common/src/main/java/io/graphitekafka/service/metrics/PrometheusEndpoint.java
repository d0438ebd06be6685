package io.graphitekafka.service.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Serves {@code GET /metrics} in the Prometheus text format (version 0.0.4) for one or more
 * services' {@link SelfMetrics}: counters as {@code graphite_kafka_<role>_<stat>_total}, gauges
 * without the suffix, with every character Prometheus does not allow in a name turned into {@code
 * _}.
 */
public final class PrometheusEndpoint implements AutoCloseable {

  private final HttpServer server;
  private final List<SelfMetrics> sources;

  public PrometheusEndpoint(String bindAddress, int port, List<SelfMetrics> sources)
      throws IOException {
    this.sources = List.copyOf(sources);
    this.server = HttpServer.create(new InetSocketAddress(bindAddress, port), 16);
    server.createContext("/metrics", this::handle);
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The exposition text for the current values. */
  public String render() {
    StringBuilder out = new StringBuilder();
    for (SelfMetrics m : sources) {
      String base = "graphite_kafka_" + sanitize(m.role()) + "_";
      for (Map.Entry<String, Long> e : m.counters().entrySet()) {
        String name = base + sanitize(e.getKey()) + "_total";
        out.append("# TYPE ").append(name).append(" counter\n");
        out.append(name).append(' ').append(e.getValue()).append('\n');
      }
      for (Map.Entry<String, Double> e : m.gauges().entrySet()) {
        String name = base + sanitize(e.getKey());
        out.append("# TYPE ").append(name).append(" gauge\n");
        out.append(name).append(' ').append(format(e.getValue())).append('\n');
      }
    }
    return out.toString();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = render().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  static String sanitize(String stat) {
    StringBuilder sb = new StringBuilder(stat.length());
    for (int i = 0; i < stat.length(); i++) {
      char c = stat.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }

  private static String format(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    return String.format(Locale.ROOT, "%s", v);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}

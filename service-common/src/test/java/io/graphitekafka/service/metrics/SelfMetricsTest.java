package io.graphitekafka.service.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelfMetricsTest {

  @Test
  void reportsEachCounterAsItsIncreaseOverTheIntervalUnderCarbonsPrefix() {
    SelfMetrics metrics = new SelfMetrics("agents");
    List<String> sent = new ArrayList<>();
    CarbonReporter reporter =
        new CarbonReporter(
            metrics,
            "a",
            (name, ts, value) -> sent.add(name + " " + value + " " + ts),
            Clock.fixed(Instant.ofEpochSecond(1700000000), ZoneOffset.UTC));
    String prefix = reporter.prefix();
    assertThat(prefix).startsWith("carbon.agents.").endsWith("-a");
    assertThat(prefix.substring("carbon.agents.".length())).doesNotContain(".");

    metrics.counter("committedPoints").add(5);
    metrics.gauge("cache.size", () -> 7);
    reporter.report();
    metrics.counter("committedPoints").add(2);
    reporter.report();
    reporter.close();

    assertThat(sent)
        .containsExactly(
            prefix + ".committedPoints 5.0 1700000000", prefix + ".cache.size 7.0 1700000000",
            prefix + ".committedPoints 2.0 1700000000", prefix + ".cache.size 7.0 1700000000");
  }

  @Test
  void servesPrometheusTextOverHttp() throws Exception {
    SelfMetrics metrics = new SelfMetrics("relays");
    metrics.counter("rejects.field_count").add(3);
    metrics.gauge("activeConnections", () -> 2);
    try (PrometheusEndpoint endpoint = new PrometheusEndpoint("127.0.0.1", 0, List.of(metrics))) {
      endpoint.start();
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
      assertThat(response.body())
          .contains(
              "# TYPE graphite_kafka_relays_rejects_field_count_total counter\n"
                  + "graphite_kafka_relays_rejects_field_count_total 3.0\n",
              "# TYPE graphite_kafka_relays_activeConnections gauge\n"
                  + "graphite_kafka_relays_activeConnections 2.0\n",
              "# TYPE jvm_gc_max_data_size_bytes gauge",
              "jvm_memory_used_bytes{",
              "process_uptime_seconds ");
      // a counter made after the registry was bound is served too, from the same adder
      metrics.counter("rejects.bad_timestamp").increment();
      assertThat(endpoint.render())
          .contains("graphite_kafka_relays_rejects_bad_timestamp_total 1.0\n");
    }
  }

  @Test
  void aScrapeAfterCloseIsRefusedAtOnceNotLeftHanging() throws Exception {
    SelfMetrics metrics = new SelfMetrics("agents");
    PrometheusEndpoint endpoint = new PrometheusEndpoint("127.0.0.1", 0, List.of(metrics));
    int port = endpoint.port();
    endpoint.close();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .timeout(Duration.ofSeconds(10))
            .build();
    assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.net.ConnectException.class);
  }
}

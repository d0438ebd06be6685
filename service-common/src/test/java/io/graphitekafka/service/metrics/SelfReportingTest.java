package io.graphitekafka.service.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.service.config.SelfMetricsSettings;
import io.graphitekafka.service.config.ServiceConfig;
import io.graphitekafka.service.config.ServiceConfigTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class SelfReportingTest {

  @Test
  void servesTheProcessGaugesOnTheConfiguredEndpoint() throws Exception {
    SelfMetrics metrics = new SelfMetrics("agents");
    ServiceConfig config =
        ServiceConfigTest.example(
            Map.of(SelfMetricsSettings.HTTP_PORT, "0", SelfMetricsSettings.INTERVAL_SECONDS, "0"));
    try (SelfReporting reporting = SelfReporting.open(metrics, config, "a", "127.0.0.1", null)) {
      reporting.start();
      assertThat(reporting.port()).isPositive();
      assertThat(reporting.prefix()).as("no reporter without an interval and a sink").isNull();
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + reporting.port() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("graphite_kafka_agents_memUsage");
    }
  }

  @Test
  void aGivenSinkGetsTheCarbonNamedSeriesAndNoEndpointIsOpenedWhenItIsOff() {
    SelfMetrics metrics = new SelfMetrics("relays");
    List<String> sent = new CopyOnWriteArrayList<>();
    ServiceConfig config = ServiceConfigTest.example(Map.of());
    try (SelfReporting reporting =
        SelfReporting.open(
            metrics, config, "b", "127.0.0.1", (name, ts, value) -> sent.add(name))) {
      assertThat(reporting.port()).isEqualTo(-1);
      assertThat(reporting.prefix()).startsWith("carbon.relays.").endsWith("-b");
      metrics.counter("metricsReceived").add(3);
      assertThat(sent).isEmpty();
    }
  }

  @Test
  void theOwnProducerTakesOnlyProducerSettingsAndNeverBlocksLong() {
    ServiceConfig config =
        ServiceConfigTest.example(
            Map.of(
                "bootstrap.servers",
                "k1:9092",
                "kafka.linger.ms",
                "7",
                "kafka.max.poll.records",
                "10",
                "kafka.max.block.ms",
                "600000"));
    Map<String, Object> props = SelfReporting.producerProperties(config, "aggregator");
    assertThat(props)
        .containsEntry("linger.ms", "7")
        .containsEntry("bootstrap.servers", "k1:9092")
        .containsEntry("client.id", "graphite-kafka-aggregator-metrics")
        .containsEntry("max.block.ms", 10_000)
        .doesNotContainKey("max.poll.records");
  }
}

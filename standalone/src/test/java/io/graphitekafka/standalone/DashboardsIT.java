package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics an operator scrapes, and the dashboards in {@code docs/dashboards/}, against a
 * running {@code bin/graphite-kafka standalone} that has carried some points and a bad line: its
 * {@code /metrics} holds the Kafka consumer lag of the sink and of the Streams application, Kafka
 * Streams' own metrics, the JVM's garbage collection, and every counter the services had before the
 * move to Micrometer under its old name; every metric a Prometheus query of the dashboard names is
 * there, and every Graphite target of the carbon dashboard names a stat the services report.
 */
class DashboardsIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();
  private static final Pattern NAME =
      Pattern.compile("\\b((?:graphite_kafka|kafka|jvm|process|system)_[A-Za-z0-9_]+)\\b");
  private static final Pattern NAME_REGEX = Pattern.compile("__name__=~\"([^\"]+)\"");
  private static final Pattern GRAPHITE_TARGET =
      Pattern.compile("carbon\\.([a-z]+)\\.\\*\\.([A-Za-z.]+)");

  /**
   * The Streams application's lag; Micrometer's Kafka binders pick up a client's new metrics, such
   * as a partition's lag once it is fetched, at their next refresh, within a minute.
   */
  private static final Pattern STREAMS_LAG =
      Pattern.compile("kafka_consumer_fetch_manager_records_lag\\{[^}]*topic=\"carbon\\.points\"");

  /** Counters and gauges the services exported before Micrometer, by their Prometheus names. */
  private static final List<String> BEFORE =
      List.of(
          "graphite_kafka_relays_metricsReceived_total",
          "graphite_kafka_relays_pointsProduced_total",
          "graphite_kafka_relays_produceErrors_total",
          "graphite_kafka_relays_rejects_field_count_total",
          "graphite_kafka_relays_activeConnections",
          "graphite_kafka_relays_cpuUsage",
          "graphite_kafka_relays_memUsage",
          "graphite_kafka_aggregator_metricsReceived_total",
          "graphite_kafka_aggregator_archivePointsSent_total",
          "graphite_kafka_aggregator_rawPointsSent_total",
          "graphite_kafka_aggregator_latePoints_total",
          "graphite_kafka_aggregator_droppedTooOld_total",
          "graphite_kafka_aggregator_seriesCreated_total",
          "graphite_kafka_aggregator_stateSeries",
          "graphite_kafka_aggregator_stateBytes",
          "graphite_kafka_aggregator_cpuUsage",
          "graphite_kafka_agents_committedPoints_total",
          "graphite_kafka_agents_updateOperations_total",
          "graphite_kafka_agents_creates_total",
          "graphite_kafka_agents_errors_total",
          "graphite_kafka_agents_writeErrors_total",
          "graphite_kafka_agents_stalledSeconds",
          "graphite_kafka_agents_memUsage");

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
    }
  }

  @Test
  void metricsHoldKafkaJvmAndEveryOldCounterAndTheDashboardsQueryOnlyWhatIsThere()
      throws Exception {
    int metricsPort = CarbonDaemons.freePort();
    int carbon =
        StandaloneProcess.start(
            work.resolve("gk"), HOME.resolve("conf"), metricsPort, processes, output);
    long now = System.currentTimeMillis() / 1000;
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      lines
          .append("dash.s")
          .append(i % 20)
          .append(" ")
          .append(i)
          .append(" ")
          .append(now - 200 + i)
          .append('\n');
    }
    lines.append("a bad line with too many fields\n");
    try (Socket socket = new Socket("127.0.0.1", carbon)) {
      OutputStream out = socket.getOutputStream();
      out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
    }

    String scrape = "";
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      scrape = scrape(metricsPort);
      if (value(scrape, "graphite_kafka_agents_committedPoints_total") >= 200
          && scrape.contains("jvm_gc_pause_seconds_count")
          && STREAMS_LAG.matcher(scrape).find()) {
        break;
      }
      Thread.sleep(1000);
    }
    Set<String> names = names(scrape);
    assertThat(scrape)
        .as("the sink's and the Streams application's consumer lag, per partition")
        .containsPattern(
            "kafka_consumer_fetch_manager_records_lag\\{[^}]*topic=\"carbon\\.archives\"")
        .containsPattern(
            "kafka_consumer_fetch_manager_records_lag\\{[^}]*topic=\"carbon\\.points\"");
    assertThat(names)
        .as("Kafka Streams' own metrics and the JVM's")
        .anyMatch(n -> n.startsWith("kafka_stream_"))
        .contains("jvm_gc_pause_seconds_count", "jvm_memory_used_bytes", "process_cpu_usage");
    assertThat(names).as("every counter the services had before").containsAll(BEFORE);

    ObjectMapper json = new ObjectMapper();
    JsonNode prometheus =
        json.readTree(HOME.resolve("docs/dashboards/graphite-kafka.json").toFile());
    List<String> queries = prometheus.findValuesAsText("expr");
    assertThat(queries).as("Prometheus queries").hasSizeGreaterThan(20);
    for (String query : queries) {
      Matcher m = NAME.matcher(query);
      while (m.find()) {
        assertThat(names).as("a metric %s names", query).contains(m.group(1));
      }
      Matcher r = NAME_REGEX.matcher(query);
      while (r.find()) {
        Pattern p = Pattern.compile(r.group(1));
        assertThat(names).as("a metric %s matches", query).anyMatch(n -> p.matcher(n).matches());
      }
    }
    JsonNode graphite =
        json.readTree(HOME.resolve("docs/dashboards/carbon-self-metrics.json").toFile());
    List<String> targets = graphite.findValuesAsText("target");
    assertThat(targets).as("Graphite targets").hasSizeGreaterThan(10);
    for (String target : targets) {
      Matcher m = GRAPHITE_TARGET.matcher(target);
      assertThat(m.find()).as("a carbon.<role>.*.<stat> target: %s", target).isTrue();
      String base = "graphite_kafka_" + m.group(1) + "_" + m.group(2).replace('.', '_');
      assertThat(names).as("the stat %s names", target).containsAnyOf(base, base + "_total");
    }
  }

  private static String scrape(int port) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static Set<String> names(String scrape) {
    Set<String> out = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
        out.add(line.substring(0, end));
      }
    }
    return out;
  }

  private static double value(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return -1;
  }
}

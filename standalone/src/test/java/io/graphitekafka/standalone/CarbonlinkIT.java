package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.ChildProcesses;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * graphite-web in front of the standalone with {@code CARBONLINK_HOSTS} at its carbonlink port, as
 * an operator sets it up: a point sent now is returned by {@code /render} while its file does not
 * hold it yet, for a plain and for a tagged series. The sink is held back to prove it: its updates
 * are limited to one per 100 s, so after the first write, which creates the files, nothing more
 * reaches them during the test; Debian's {@code whisper-fetch} shows the slot still empty after
 * graphite-web has returned its value.
 */
class CarbonlinkIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();
  private static final String PLAIN = "probe.carbonlink";
  private static final String TAGGED = "probe.carbonlink;dc=x;host=h1";

  @TempDir Path work;

  private final List<Process> processes = new ArrayList<>();
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void renderReturnsAPointBeforeItsFileHoldsItForPlainAndTaggedSeries() throws Exception {
    assumeTrue(
        GraphiteWeb.installed(), "skipped: Debian's graphite-web and gunicorn are not installed");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/whisper-fetch")),
        "skipped: Debian's python3-whisper (whisper-fetch) is not installed");

    Path conf = Files.createDirectories(work.resolve("conf"));
    Files.writeString(
        conf.resolve("storage-schemas.conf"),
        "[default]\npattern = .*\nretentions = 10s:1h,1m:1d\n");
    Files.writeString(
        conf.resolve("storage-aggregation.conf"),
        "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n");
    Path dataDir = work.resolve("data");
    Path whisper = dataDir.resolve("whisper");
    int web = CarbonDaemons.freePort();
    int carbonlink = CarbonDaemons.freePort();

    ProcessBuilder graphiteWeb =
        GraphiteWeb.prepare(
            HOME,
            work.resolve("graphite-web"),
            whisper,
            web,
            Map.of("GRAPHITE_CARBONLINK_HOSTS", "127.0.0.1:" + carbonlink + ":a"));
    processes.add(graphiteWeb.redirectOutput(work.resolve("gunicorn.log").toFile()).start());

    // the sink may write one batch, then waits 100 s per update it wrote; a point stays in the
    // carbonlink window 2 s, and longer while the sink has not written it
    Path settings = work.resolve("standalone.properties");
    Files.writeString(
        settings,
        """
        sink.max.updates.per.second=0.01
        aggregator.carbonlink.window.seconds=2
        sink.carbon.metric.interval.seconds=0
        aggregator.carbon.metric.interval.seconds=0
        gateway.carbon.metric.interval.seconds=0
        """);
    int carbon =
        StandaloneProcess.start(
            dataDir,
            conf,
            -1,
            carbonlink,
            processes,
            output,
            "--config",
            settings.toString(),
            "--graphite-url",
            "http://127.0.0.1:" + web);
    assertThat(output).anyMatch(l -> l.contains("carbonlink 127.0.0.1:" + carbonlink));

    long now = System.currentTimeMillis() / 1000;
    long first = now - Math.floorMod(now, 10) - 30;
    long second = first + 10;
    send(carbon, PLAIN + " 1 " + first + "\n" + TAGGED + " 1 " + first + "\n");
    // the first batch creates both files (and registers the tagged one with graphite-web); should
    // the two points come in two batches, the second waits for the limit's next token, 100 s
    Await.until(
        "both files created, the first point in each",
        Duration.ofSeconds(150),
        Await.quietly(
            () ->
                render(web, PLAIN).containsKey(first)
                    && render(web, "seriesByTag('name=probe.carbonlink')").containsKey(first)),
        () -> ChildProcesses.recent(output));

    send(carbon, PLAIN + " 42 " + second + "\n" + TAGGED + " 43 " + second + "\n");
    Await.until(
        "graphite-web returns the new points",
        Duration.ofSeconds(20),
        Await.quietly(
            () ->
                Double.valueOf(42).equals(render(web, PLAIN).get(second))
                    && Double.valueOf(43)
                        .equals(render(web, "seriesByTag('name=probe.carbonlink')").get(second))),
        () -> ChildProcesses.recent(output));

    // ... and still do four windows later, because the sink has not written them
    Thread.sleep(Duration.ofSeconds(8).toMillis());
    assertThat(render(web, PLAIN).get(second)).as("plain, 8 s later").isEqualTo(42.0);
    assertThat(render(web, "seriesByTag('name=probe.carbonlink')").get(second))
        .as("tagged, 8 s later")
        .isEqualTo(43.0);

    // ... while the files still do not hold them
    Path plainFile = whisper.resolve("probe/carbonlink.wsp");
    Path taggedFile;
    try (var files = Files.walk(whisper.resolve("_tagged"))) {
      taggedFile = files.filter(f -> f.toString().endsWith(".wsp")).findFirst().orElseThrow();
    }
    for (Path file : List.of(plainFile, taggedFile)) {
      Map<Long, String> slots = whisperFetch(file, first - 60);
      assertThat(slots.get(first)).as("first point in %s", file).isEqualTo("1.000000");
      assertThat(slots.get(second)).as("second point not yet in %s", file).isEqualTo("None");
    }
  }

  private static void send(int port, String lines) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(lines.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }
  }

  /** The datapoints graphite-web's /render returns for {@code target} over the last 10 minutes. */
  private Map<Long, Double> render(int port, String target) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/render?format=json&from=-10min&target="
                            + URLEncoder.encode(target, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode series = new ObjectMapper().readTree(r.body());
    Map<Long, Double> out = new java.util.HashMap<>();
    for (JsonNode s : series) {
      for (JsonNode dp : s.get("datapoints")) {
        if (!dp.get(0).isNull()) {
          out.put(dp.get(1).asLong(), dp.get(0).asDouble());
        }
      }
    }
    return out;
  }

  /** {@code whisper-fetch}'s finest-archive slots from {@code from}, value text by timestamp. */
  private static Map<Long, String> whisperFetch(Path file, long from) throws Exception {
    String text =
        ChildProcesses.run(
            new ProcessBuilder("/usr/bin/whisper-fetch", "--from=" + from, file.toString()),
            Duration.ofSeconds(30));
    Map<Long, String> out = new java.util.HashMap<>();
    for (String line : text.lines().toList()) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length == 2 && parts[0].matches("\\d+")) {
        out.put(Long.parseLong(parts[0]), parts[1]);
      }
    }
    return out;
  }
}

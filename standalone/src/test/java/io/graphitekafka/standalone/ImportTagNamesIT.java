package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.testing.ChildProcesses;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A migration as an operator makes it: Debian's carbon-cache, with tags enabled and {@code
 * GRAPHITE_URL} at Debian's graphite-web, writes tagged series under hashed {@code _tagged} paths
 * and registers them in graphite-web's TagDB; then {@code bin/graphite-kafka import
 * --tag-names-from} that graphite-web names every hashed file from the TagDB and imports the whole
 * tree. Skips where carbon-cache, gunicorn or graphite-web are missing.
 */
class ImportTagNamesIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();
  private static final int TAGGED = 12;

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void importNamesEveryHashedFileOfACarbonTreeFromItsGraphiteWebTagDb() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/carbon-cache")),
        "carbon-cache is not installed (Debian package graphite-carbon); .ci/run installs it");
    assumeTrue(
        GraphiteWeb.installed(),
        "graphite-web and gunicorn are not installed (Debian packages graphite-web, gunicorn)");
    int web = freePort();
    startGraphiteWeb(web);
    Path whisper = work.resolve("carbon/storage/whisper");
    int carbon = startCarbonCache(whisper, web);

    long now = System.currentTimeMillis() / 1000;
    StringBuilder lines = new StringBuilder();
    Set<String> tagged = new HashSet<>();
    for (int i = 0; i < TAGGED; i++) {
      String name = String.format("migration.load;dc=dc%d;host=h%02d", i % 3, i);
      tagged.add(name);
      lines.append(name).append(' ').append(i).append(' ').append(now - 60).append('\n');
    }
    lines.append("migration.plain.load 7 ").append(now - 60).append('\n');
    try (Socket socket = new Socket("127.0.0.1", carbon)) {
      OutputStream out = socket.getOutputStream();
      out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
    }
    // carbon-cache writes the files, then its tag thread registers them with graphite-web
    HttpClient http = HttpClient.newHttpClient();
    URI find =
        URI.create(
            "http://127.0.0.1:"
                + web
                + "/tags/findSeries?expr="
                + URLEncoder.encode("name=migration.load", StandardCharsets.UTF_8));
    String found = "";
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline
        && !(hashedFiles(whisper) == TAGGED && countNames(found) == TAGGED)) {
      Thread.sleep(500);
      try {
        found =
            http.send(HttpRequest.newBuilder(find).build(), HttpResponse.BodyHandlers.ofString())
                .body();
      } catch (IOException e) {
        found = e.toString();
      }
    }
    assertThat(hashedFiles(whisper)).as("carbon-cache's hashed files").isEqualTo(TAGGED);
    assertThat(countNames(found)).as("graphite-web's TagDB: " + found).isEqualTo(TAGGED);

    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      String topic = "imported-" + UUID.randomUUID().toString().substring(0, 8);
      kafka.createTopics(2, topic);
      Path props = work.resolve("import.properties");
      Files.writeString(props, "topic.archives=" + topic + "\n");
      ProcessBuilder importer =
          ChildProcesses.launcher(
              HOME,
              "",
              "import",
              "--config",
              props.toString(),
              "--whisper-dir",
              whisper.toString(),
              "--bootstrap-servers",
              kafka.bootstrapServers(),
              "--state-file",
              work.resolve("import.state").toString(),
              "--tag-names-from",
              "http://127.0.0.1:" + web);
      Process p = importer.start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(output).isZero();
      // carbon 1.1.7 registers every series it creates, the untagged one too
      assertThat(output)
          .contains((TAGGED + 1) + " series names from the TagDB at http://127.0.0.1:" + web);
      assertThat(output).contains("imported " + (TAGGED + 1) + " files").contains("0 failed");

      Set<String> keys = new HashSet<>();
      try (KafkaConsumer<String, byte[]> consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  kafka.bootstrapServers(),
                  ConsumerConfig.GROUP_ID_CONFIG,
                  "check-" + UUID.randomUUID(),
                  ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                  "earliest"),
              new StringDeserializer(),
              new ByteArrayDeserializer())) {
        consumer.subscribe(List.of(topic));
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (keys.size() < TAGGED + 1 && System.nanoTime() < until) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            keys.add(r.key());
          }
        }
      }
      Set<String> expected = new HashSet<>(tagged);
      expected.add("migration.plain.load");
      assertThat(keys).as("series imported, by name").isEqualTo(expected);
    }
  }

  private static int hashedFiles(Path whisper) throws IOException {
    Path tagged = whisper.resolve("_tagged");
    if (!Files.isDirectory(tagged)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(tagged)) {
      return (int) s.filter(f -> f.toString().endsWith(".wsp")).count();
    }
  }

  private static int countNames(String json) {
    int n = 0;
    for (int i = json.indexOf("migration.load;");
        i >= 0;
        i = json.indexOf("migration.load;", i + 1)) {
      n++;
    }
    return n;
  }

  private void startGraphiteWeb(int port) throws Exception {
    Path storage = work.resolve("graphite-web");
    ProcessBuilder serve =
        GraphiteWeb.prepare(HOME, storage, storage.resolve("whisper"), port, Map.of());
    processes.add(serve.redirectOutput(storage.resolve("gunicorn.log").toFile()).start());
    awaitPort(port);
  }

  /**
   * carbon-cache with tags on and GRAPHITE_URL at graphite-web; returns its line receiver's port.
   */
  private int startCarbonCache(Path whisper, int web) throws Exception {
    Path dir = work.resolve("carbon");
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.createDirectories(whisper);
    Files.createDirectories(dir.resolve("log"));
    int port = freePort();
    Files.writeString(
        conf.resolve("carbon.conf"),
        String.join(
            "\n",
            "[cache]",
            "STORAGE_DIR = " + dir.resolve("storage"),
            "LOCAL_DATA_DIR = " + whisper,
            "WHITELISTS_DIR = " + dir.resolve("storage/lists"),
            "CONF_DIR = " + conf,
            "LOG_DIR = " + dir.resolve("log"),
            "PID_DIR = " + dir,
            "ENABLE_LOGROTATION = False",
            "USER =",
            "MAX_CACHE_SIZE = inf",
            "MAX_UPDATES_PER_SECOND = inf",
            "MAX_CREATES_PER_MINUTE = inf",
            "WHISPER_SPARSE_CREATE = True",
            "LINE_RECEIVER_INTERFACE = 127.0.0.1",
            "LINE_RECEIVER_PORT = " + port,
            "ENABLE_UDP_LISTENER = False",
            "PICKLE_RECEIVER_INTERFACE = 127.0.0.1",
            "PICKLE_RECEIVER_PORT = " + freePort(),
            "CACHE_QUERY_INTERFACE = 127.0.0.1",
            "CACHE_QUERY_PORT = " + freePort(),
            "CARBON_METRIC_INTERVAL = 0",
            "ENABLE_TAGS = True",
            "GRAPHITE_URL = http://127.0.0.1:" + web,
            ""));
    Files.writeString(
        conf.resolve("storage-schemas.conf"),
        "[default]\npattern = .*\nretentions = 10s:6h,1m:7d,10m:5y\n");
    Files.writeString(
        conf.resolve("storage-aggregation.conf"),
        "[default]\npattern = .*\nxFilesFactor = 0.5\naggregationMethod = average\n");
    ProcessBuilder carbon =
        new ProcessBuilder(
                "/usr/bin/carbon-cache",
                "--config=" + conf.resolve("carbon.conf"),
                "--nodaemon",
                "--logfile=" + dir.resolve("log/console.log"),
                "start")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("carbon.out").toFile());
    processes.add(carbon.start());
    awaitPort(port);
    return port;
  }

  private static void awaitPort(int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError("nothing listens on " + port);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

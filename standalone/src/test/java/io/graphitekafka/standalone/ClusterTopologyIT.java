package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.graphite.pickle.PickleReader;
import io.graphitekafka.graphite.pickle.PickleWriter;
import io.graphitekafka.schemas.serde.StubSchemaRegistry;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.ChildProcesses;
import io.graphitekafka.whisper.WhisperFile;
import io.graphitekafka.whisper.WhisperFormatException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
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
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference deployment's topology as separate {@code bin/graphite-kafka} processes on one
 * machine: a gateway, two aggregators sharing the work, and two storage hosts each owning half of
 * the partitions, against a real broker. Where Debian's graphite-web and gunicorn are installed,
 * each storage host also gets a graphite-web and a front graphite-web federates them, as in
 * docker-compose.yml. As there, every service uses a Schema Registry (here a stand-in implementing
 * its REST API), so points and archive points travel in Confluent's wire format.
 */
class ClusterTopologyIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();
  private static final int SERIES = 40;

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stopAll() throws Exception {
    for (Process p : processes) {
      p.toHandle().destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void twoStorageHostsHoldDisjointHalvesOfTheSeriesAndTheFrontSeesThemAll() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build();
        StubSchemaRegistry registry = new StubSchemaRegistry(null)) {
      kafka.start();
      String registryUrl = registry.url();
      kafka.createTopics(
          4,
          Topics.DEFAULT_POINTS,
          Topics.DEFAULT_ARCHIVES,
          Topics.DEFAULT_LINES,
          Topics.DEFAULT_REJECTS);
      String bootstrap = kafka.bootstrapServers();
      Path storage1 = work.resolve("storage1");
      Path storage2 = work.resolve("storage2");
      int carbonPort = freePort();
      // Each storage host's sink registers its tagged series with that host's graphite-web, which
      // starts only after the series are written: the registrations wait for it.
      int web1 = freePort();
      int web2 = freePort();

      start(
          "sink",
          "--bootstrap-servers",
          bootstrap,
          "--data-dir",
          storage1.toString(),
          "--group",
          "storage1",
          "--partitions",
          "0-1",
          "--schema-registry-url",
          registryUrl,
          "--graphite-url",
          "http://127.0.0.1:" + web1);
      // storage2 registers its untagged series too (carbon 1.1.7's way); storage1 does not (the
      // default)
      Path untagged = work.resolve("storage2-sink.properties");
      Files.writeString(untagged, "tags.untagged=true\n");
      start(
          "sink",
          "--config",
          untagged.toString(),
          "--bootstrap-servers",
          bootstrap,
          "--data-dir",
          storage2.toString(),
          "--group",
          "storage2",
          "--partitions",
          "2-3",
          "--schema-registry-url",
          registryUrl,
          "--graphite-url",
          "http://127.0.0.1:" + web2);
      int[] carbonlink = {freePort(), freePort()};
      for (int i = 1; i <= 2; i++) {
        Path props = work.resolve("aggregator" + i + ".properties");
        Files.writeString(
            props,
            String.join(
                "\n",
                "state.dir=" + work.resolve("aggregator" + i + "-state"),
                "carbonlink.port=" + carbonlink[i - 1],
                "carbonlink.bind=127.0.0.1",
                // the points stay in the answers for the whole test
                "carbonlink.window.seconds=600",
                ""));
        start(
            "aggregator",
            "--config",
            props.toString(),
            "--bootstrap-servers",
            bootstrap,
            "--conf-dir",
            HOME.resolve("conf").toString(),
            "--schema-registry-url",
            registryUrl);
      }
      start(
          "gateway",
          "--bootstrap-servers",
          bootstrap,
          "--bind",
          "127.0.0.1",
          "--carbon-port",
          Integer.toString(carbonPort),
          "--pickle-port",
          "-1",
          "--schema-registry-url",
          registryUrl);

      // both aggregators own partitions before any point is sent, so each holds only its own
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        await(
            "both aggregators own input partitions, the group stable",
            () -> {
              try {
                ConsumerGroupDescription group =
                    admin
                        .describeConsumerGroups(List.of("graphite-kafka-aggregator"))
                        .all()
                        .get()
                        .get("graphite-kafka-aggregator");
                return group.groupState() == GroupState.STABLE
                    && group.members().size() == 2
                    && group.members().stream()
                        .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
              } catch (Exception e) {
                return false;
              }
            });
      }
      long now = System.currentTimeMillis() / 1000;
      long t = now - Math.floorMod(now, 60) - 60;
      StringBuilder lines = new StringBuilder();
      for (int s = 0; s < SERIES; s++) {
        for (int k = 0; k < 6; k++) {
          lines.append(String.format("cluster.s%02d.value %d %d%n", s, s * 100 + k, t + 10L * k));
          lines.append(
              String.format(
                  "cluster.tagged;dc=d%d;host=h%02d %d %d%n", s % 2, s, s * 100 + k, t + 10L * k));
        }
      }
      try (Socket socket = new Socket("127.0.0.1", carbonPort)) {
        OutputStream out = socket.getOutputStream();
        out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
      }

      Set<String> on1 = new HashSet<>();
      Set<String> on2 = new HashSet<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        on1 = completeSeries(storage1, t);
        on2 = completeSeries(storage2, t);
        if (on1.size() + on2.size() >= SERIES) {
          break;
        }
        Thread.sleep(500);
      }
      Set<String> all = new HashSet<>(on1);
      all.addAll(on2);
      assertThat(all)
          .as("every series on one of the hosts\n" + String.join("\n", output))
          .hasSize(SERIES);
      assertThat(on1).as("each host owns some series").isNotEmpty();
      assertThat(on2).isNotEmpty();
      Set<String> both = new HashSet<>(on1);
      both.retainAll(on2);
      assertThat(both).as("no series on both hosts").isEmpty();
      // Every service used the registry: points and archive points travel in Confluent's wire
      // format.
      assertThat(registry.versions(Topics.DEFAULT_POINTS + "-value")).hasSize(1);
      assertThat(registry.versions(Topics.DEFAULT_ARCHIVES + "-value")).hasSize(1);
      assertThat(firstValue(bootstrap, Topics.DEFAULT_POINTS)[0]).isZero();
      assertThat(firstValue(bootstrap, Topics.DEFAULT_ARCHIVES)[0]).isZero();

      everySeriesIsAnsweredByEitherAggregatorsCarbonlink(carbonlink, t);
      federateWithGraphiteWeb(storage1, storage2, web1, web2, t);
    }
  }

  /**
   * One carbonlink address is enough in a cluster: each aggregator answers for every series, its
   * own from its points and the others' by asking the owner. A request marked as forwarded is
   * answered from the receiving instance's own points only, which shows that each holds only part
   * of the series.
   */
  private void everySeriesIsAnsweredByEitherAggregatorsCarbonlink(int[] carbonlink, long t)
      throws Exception {
    List<String> names = new ArrayList<>();
    for (int s = 0; s < SERIES; s++) {
      names.add(String.format("cluster.s%02d.value", s));
      names.add(String.format("cluster.tagged;dc=d%d;host=h%02d", s % 2, s));
    }
    int[] ownedBy = new int[2];
    for (int i = 0; i < 2; i++) {
      try (Socket socket = new Socket("127.0.0.1", carbonlink[i])) {
        socket.setSoTimeout(5_000);
        for (String name : names) {
          int s = Integer.parseInt(name.replaceAll(".*[sh](\\d\\d).*", "$1"));
          List<Object> expected = new ArrayList<>();
          for (int k = 0; k < 6; k++) {
            expected.add(List.of((double) (t + 10L * k), (double) (s * 100 + k)));
          }
          Object routed = carbonlink(socket, Map.of("type", "cache-query", "metric", name));
          assertThat(distinctPoints(routed))
              .as("aggregator %d's answer for %s", i + 1, name)
              .isEqualTo(expected);
          Object local =
              carbonlink(socket, Map.of("type", "cache-query", "metric", name, "forwarded", true));
          if (distinctPoints(local).equals(expected)) {
            ownedBy[i]++;
          } else {
            assertThat(distinctPoints(local)).as("%s held by one aggregator", name).isEmpty();
          }
        }
      }
    }
    assertThat(ownedBy[0] + ownedBy[1])
        .as("each series held by one aggregator")
        .isEqualTo(names.size());
    assertThat(ownedBy[0])
        .as("series aggregator 1 holds itself")
        .isPositive()
        .isLessThan(names.size());
  }

  /**
   * The distinct points of a cache-query reply, in order (a point processed again after a task
   * moved is held twice, as carbon-cache would hold a point sent twice).
   */
  private static List<Object> distinctPoints(Object reply) {
    assertThat(reply).isInstanceOf(Map.class);
    Object points = ((Map<?, ?>) reply).get("datapoints");
    assertThat(points).as("datapoints of %s", reply).isInstanceOf(List.class);
    return new ArrayList<>(new java.util.LinkedHashSet<>((List<?>) points));
  }

  /** One carbonlink request and its reply. */
  private static Object carbonlink(Socket socket, Map<String, Object> request) throws IOException {
    byte[] body = PickleWriter.write(request);
    DataOutputStream out = new DataOutputStream(socket.getOutputStream());
    out.writeInt(body.length);
    out.write(body);
    out.flush();
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] reply = new byte[in.readInt()];
    in.readFully(reply);
    return PickleReader.read(reply);
  }

  private void await(String what, java.util.function.BooleanSupplier condition) throws Exception {
    io.graphitekafka.testing.Await.until(
        what, Duration.ofSeconds(120), condition, () -> String.join("\n", output));
  }

  /** The value of the first record found on {@code topic}. */
  private static byte[] firstValue(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "check-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          return r.value();
        }
      }
    }
    throw new AssertionError("no record on " + topic);
  }

  /** Series whose 10 s archive holds all six points, named from their file path. */
  private static Set<String> completeSeries(Path dataDir, long t) throws IOException {
    Path root = dataDir.resolve("whisper");
    if (!Files.isDirectory(root)) {
      return Set.of();
    }
    Set<String> out = new HashSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(p -> p.toString().endsWith(".wsp")).toList();
    } catch (java.io.UncheckedIOException e) {
      return Set.of(); // a file being created was renamed under the walk; look again next round
    }
    long now = System.currentTimeMillis() / 1000;
    for (Path f : files) {
      String name = root.relativize(f).toString().replace(".wsp", "").replace('/', '.');
      if (!name.startsWith("cluster.s")) {
        continue; // the tagged series, under _tagged
      }
      int s = Integer.parseInt(name.substring("cluster.s".length(), "cluster.s".length() + 2));
      try (WhisperFile w = WhisperFile.openReadOnly(f)) {
        Double[] values = w.fetch(t - 1, t + 59, now, 10).values();
        boolean complete = true;
        for (int k = 0; k < 6; k++) {
          complete &= values[k] != null && values[k] == s * 100 + k;
        }
        if (complete) {
          out.add(name);
        }
      } catch (WhisperFormatException e) {
        // still being created; looked at again on the next round
      }
    }
    return out;
  }

  /** Two storage graphite-webs and a front one with CLUSTER_SERVERS, using deploy/graphite-web. */
  private void federateWithGraphiteWeb(Path storage1, Path storage2, int web1, int web2, long t)
      throws Exception {
    if (!GraphiteWeb.installed()) {
      System.err.println(
          "skipping the graphite-web federation check: Debian's graphite-web and gunicorn"
              + " are not installed");
      return;
    }
    int front = freePort();
    startGraphiteWeb("web1", web1, storage1.resolve("whisper"), "");
    startGraphiteWeb("web2", web2, storage2.resolve("whisper"), "");
    startGraphiteWeb(
        "front", front, work.resolve("front-empty"), "127.0.0.1:" + web1 + ",127.0.0.1:" + web2);

    HttpClient http = HttpClient.newHttpClient();
    String target = URLEncoder.encode("cluster.*.value", StandardCharsets.UTF_8);
    URI uri =
        URI.create(
            "http://127.0.0.1:"
                + front
                + "/render?format=json&target="
                + target
                + "&from="
                + (t - 1)
                + "&until="
                + (t + 59));
    String body = "";
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r =
            http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        body = r.body();
        if (r.statusCode() == 200 && countTargets(body) == SERIES) {
          break;
        }
      } catch (IOException e) {
        body = e.toString();
      }
      Thread.sleep(500);
    }
    assertThat(countTargets(body))
        .as("series the front graphite-web renders: " + body)
        .isEqualTo(SERIES);
    assertThat(body).contains("[305.0, " + (t + 50) + "]"); // cluster.s03's last point

    // Tagged series: the front passes seriesByTag on to the storage hosts, each answering from the
    // TagDB its sink registered the series in.
    String byName = render(http, front, "seriesByTag('name=cluster.tagged')", t, SERIES);
    assertThat(countTargets(byName))
        .as("tagged series through the front: " + byName)
        .isEqualTo(SERIES);
    assertThat(byName).contains("[305.0, " + (t + 50) + "]"); // host h03's last point
    String oneDc = render(http, front, "seriesByTag('name=cluster.tagged','dc=d1')", t, SERIES / 2);
    assertThat(countTargets(oneDc)).as(oneDc).isEqualTo(SERIES / 2);
    assertThat(oneDc).doesNotContain("dc=d0");
    String notDc =
        render(http, front, "seriesByTag('name=cluster.tagged','dc!=d1')", t, SERIES / 2);
    assertThat(countTargets(notDc)).as(notDc).isEqualTo(SERIES / 2);
    assertThat(notDc).doesNotContain("dc=d1");
    String hosts = render(http, front, "seriesByTag('name=cluster.tagged','host=~h0[0-4]')", t, 5);
    assertThat(countTargets(hosts)).as(hosts).isEqualTo(5);

    // Each storage host's TagDB holds the tagged series its sink wrote; only storage2, registering
    // untagged series too, holds its untagged ones.
    int tagged1 =
        countOccurrences(findSeries(http, web1, "name=cluster.tagged"), "cluster.tagged;");
    int tagged2 =
        countOccurrences(findSeries(http, web2, "name=cluster.tagged"), "cluster.tagged;");
    assertThat(tagged1 + tagged2).isEqualTo(SERIES);
    assertThat(tagged1).isPositive();
    assertThat(tagged2).isPositive();
    assertThat(countOccurrences(findSeries(http, web1, "name=~cluster\\.s.*"), "cluster.s"))
        .isZero();
    assertThat(countOccurrences(findSeries(http, web2, "name=~cluster\\.s.*"), "cluster.s"))
        .isEqualTo(completeSeries(storage2, t).size());
  }

  private static String findSeries(HttpClient http, int port, String expr) throws Exception {
    URI uri =
        URI.create(
            "http://127.0.0.1:"
                + port
                + "/tags/findSeries?expr="
                + URLEncoder.encode(expr, StandardCharsets.UTF_8));
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static int countOccurrences(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /**
   * The front's JSON for {@code target}, once it holds {@code expected} series or after a minute.
   */
  private static String render(HttpClient http, int port, String target, long t, int expected)
      throws Exception {
    URI uri =
        URI.create(
            "http://127.0.0.1:"
                + port
                + "/render?format=json&target="
                + URLEncoder.encode(target, StandardCharsets.UTF_8)
                + "&from="
                + (t - 1)
                + "&until="
                + (t + 59));
    String body = "";
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r =
            http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        body = r.body();
        if (r.statusCode() == 200 && countTargets(body) == expected) {
          break;
        }
      } catch (IOException e) {
        body = e.toString();
      }
      Thread.sleep(500);
    }
    return body;
  }

  private static int countTargets(String json) {
    int n = 0;
    for (int i = json.indexOf("\"target\""); i >= 0; i = json.indexOf("\"target\"", i + 1)) {
      n++;
    }
    return n;
  }

  private void startGraphiteWeb(String name, int port, Path whisperDir, String clusterServers)
      throws Exception {
    Process p =
        GraphiteWeb.prepare(
                HOME,
                work.resolve(name + "-graphite"),
                whisperDir,
                port,
                Map.of("GRAPHITE_CLUSTER_SERVERS", clusterServers))
            .start();
    processes.add(p);
    ChildProcesses.copyOutput(name, p, output, name + ": ");
  }

  private void start(String... args) throws Exception {
    Process p = ChildProcesses.launcher(HOME, "-Xmx256m", args).start();
    processes.add(p);
    ChildProcesses.awaitReady(
        args[0],
        p,
        output,
        args[0] + ": ",
        line -> line.startsWith("graphite-kafka ") && line.contains(" ready"),
        Duration.ofSeconds(120));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

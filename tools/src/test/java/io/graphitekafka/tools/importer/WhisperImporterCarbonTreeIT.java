package io.graphitekafka.tools.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.whisper.ArchiveInfo;
import io.graphitekafka.whisper.FetchResult;
import io.graphitekafka.whisper.WhisperFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tree written by Debian's carbon-cache from known input ({@code golden/carbon-tree}, made by its
 * {@code make-carbon-tree.sh}) is imported through a real broker and rebuilt by a sink; every
 * archive of every file must hold the points {@code whisper-dump} showed in the original.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class WhisperImporterCarbonTreeIT {

  private static final Path GOLDEN = Path.of("src/test/resources/golden/carbon-tree");
  private static final Pattern ARCHIVE_DATA = Pattern.compile("^Archive (\\d+) data:$");
  private static final Pattern SLOT = Pattern.compile("^\\d+: (\\d+),\\s+(\\S+)$");

  @TempDir Path work;

  @Test
  void rebuildsEveryArchiveOfACarbonCacheTree(EmbeddedKafkaBroker kafka) throws Exception {
    Path source = work.resolve("source");
    copyTree(GOLDEN.resolve("whisper"), source);
    String topic = "carbon-tree-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, topic);
    Map<String, Object> props = new HashMap<>();
    props.put(ImportConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(ImportConfig.WHISPER_DIR, source.toString());
    props.put(ImportConfig.ARCHIVES_TOPIC, topic);
    props.put(ImportConfig.STATE_FILE, work.resolve("state").toString());
    props.put(ImportConfig.TAG_NAMES_FILE, GOLDEN.resolve("tag-names.txt").toString());

    WhisperImporter.Summary summary =
        new WhisperImporter(
                new ImportConfig(props),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
            .run();
    assertThat(summary.failures()).isEmpty();
    assertThat(summary.files()).isEqualTo(5);

    Path rebuilt = work.resolve("rebuilt");
    SinkRebuild.rebuild(kafka, topic, rebuilt, summary.points());

    List<Path> dumps;
    try (Stream<Path> s = Files.list(GOLDEN.resolve("dumps"))) {
      dumps = s.sorted().toList();
    }
    assertThat(dumps).hasSize(5);
    long pointsSeen = 0;
    for (Path dump : dumps) {
      Map<Integer, TreeMap<Long, Double>> want = parseDump(Files.readAllLines(dump));
      String relative = dump.getFileName().toString().replace(".dump", "");
      Path copy = findByFlatName(rebuilt.resolve("whisper"), relative);
      assertThat(slotsOf(copy)).as(relative).isEqualTo(want);
      Map<Integer, TreeMap<Long, Double>> live = liveWhisperDump(copy);
      if (live != null) {
        assertThat(live).as("whisper-dump of the rebuilt " + relative).isEqualTo(want);
      }
      pointsSeen += want.values().stream().mapToLong(Map::size).sum();
    }
    assertThat(pointsSeen).isEqualTo(summary.points());
  }

  @Test
  void namesTheHashedFilesFromTheOldInstallationsTagDb(EmbeddedKafkaBroker kafka) throws Exception {
    // What the old graphite-web's TagDB answers once carbon-cache has registered the tree's series:
    // the tagged names, and the untagged ones carbon 1.1.7 registers too.
    List<String> registered = new ArrayList<>(Files.readAllLines(GOLDEN.resolve("tag-names.txt")));
    registered.add("golden.plain.load");
    List<String> queries = new ArrayList<>();
    HttpServer tagDb =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    tagDb.createContext(
        "/graphite/tags/findSeries",
        exchange -> {
          queries.add(
              exchange.getRequestURI().getRawQuery()
                  + " "
                  + exchange.getRequestHeaders().getFirst("Authorization"));
          byte[] body =
              ("["
                      + registered.stream()
                          .map(n -> "\"" + n + "\"")
                          .collect(java.util.stream.Collectors.joining(","))
                      + "]")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    tagDb.start();
    try {
      Path source = work.resolve("source");
      copyTree(GOLDEN.resolve("whisper"), source);
      String topic = "carbon-tree-tagdb-" + UUID.randomUUID().toString().substring(0, 8);
      kafka.createTopics(2, topic);
      Map<String, Object> props = new HashMap<>();
      props.put(ImportConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      props.put(ImportConfig.WHISPER_DIR, source.toString());
      props.put(ImportConfig.ARCHIVES_TOPIC, topic);
      props.put(ImportConfig.STATE_FILE, work.resolve("state").toString());
      props.put(
          ImportConfig.TAG_NAMES_FROM,
          "http://admin:s%40cret@127.0.0.1:" + tagDb.getAddress().getPort() + "/graphite");
      ByteArrayOutputStream progress = new ByteArrayOutputStream();

      WhisperImporter.Summary summary =
          new WhisperImporter(
                  new ImportConfig(props), new PrintStream(progress, true, StandardCharsets.UTF_8))
              .run();

      assertThat(summary.failures()).isEmpty();
      assertThat(summary.files()).isEqualTo(5);
      assertThat(queries)
          .containsExactly(
              "expr=name%3D%7E.%2B Basic "
                  + java.util.Base64.getEncoder()
                      .encodeToString("admin:s@cret".getBytes(StandardCharsets.UTF_8)));
      assertThat(progress.toString(StandardCharsets.UTF_8))
          .contains("2 series names from the TagDB at http://127.0.0.1:");
    } finally {
      tagDb.stop(0);
    }
  }

  @Test
  void aTagDbThatCannotBeReachedStopsTheImportWithTheUrlAndNoCredentials() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, Object> props = new HashMap<>();
    props.put(ImportConfig.WHISPER_DIR, work.toString());
    props.put(ImportConfig.STATE_FILE, work.resolve("state").toString());
    props.put(ImportConfig.TAG_NAMES_FROM, "http://admin:secret@127.0.0.1:" + closedPort);

    assertThatThrownBy(
            () ->
                new WhisperImporter(
                    new ImportConfig(props),
                    null,
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("http://127.0.0.1:" + closedPort + "/tags/findSeries")
        .hasMessageNotContaining("secret");
  }

  /** Slots of each archive as our reader's fetch shows them over the whole data range. */
  private static Map<Integer, TreeMap<Long, Double>> slotsOf(Path file) throws IOException {
    Map<Integer, TreeMap<Long, Double>> out = new TreeMap<>();
    long now = System.currentTimeMillis() / 1000;
    try (WhisperFile f = WhisperFile.openReadOnly(file)) {
      List<ArchiveInfo> archives = f.header().archives();
      for (int a = 0; a < archives.size(); a++) {
        ArchiveInfo info = archives.get(a);
        FetchResult r =
            f.fetch(
                now - info.retention() + info.secondsPerPoint(), now, now, info.secondsPerPoint());
        TreeMap<Long, Double> slots = new TreeMap<>();
        for (int i = 0; i < r.size(); i++) {
          if (r.values()[i] != null) {
            slots.put(r.intervalAt(i), r.values()[i]);
          }
        }
        out.put(a, slots);
      }
    }
    return out;
  }

  private static Map<Integer, TreeMap<Long, Double>> parseDump(List<String> lines) {
    Map<Integer, TreeMap<Long, Double>> out = new TreeMap<>();
    TreeMap<Long, Double> current = null;
    for (String line : lines) {
      Matcher archive = ARCHIVE_DATA.matcher(line.trim());
      if (archive.matches()) {
        current = new TreeMap<>();
        out.put(Integer.parseInt(archive.group(1)), current);
        continue;
      }
      Matcher slot = SLOT.matcher(line.trim());
      if (current != null && slot.matches() && !slot.group(1).equals("0")) {
        current.put(Long.parseLong(slot.group(1)), Double.parseDouble(slot.group(2)));
      }
    }
    return out;
  }

  private static Map<Integer, TreeMap<Long, Double>> liveWhisperDump(Path file) throws Exception {
    Path tool = Path.of("/usr/bin/whisper-dump");
    if (!Files.isExecutable(tool)) {
      System.err.println(
          "whisper-dump not installed (python3-whisper); comparing with our reader only");
      return null;
    }
    Process p = new ProcessBuilder(tool.toString(), file.toString()).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return parseDump(List.of(new String(out, StandardCharsets.UTF_8).split("\n")));
  }

  /** The dump files are named after the relative path with '/' as '_'; find the rebuilt file. */
  private static Path findByFlatName(Path root, String flat) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> root.relativize(p).toString().replace('/', '_').equals(flat))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no rebuilt file for " + flat));
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }
}

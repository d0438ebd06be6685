package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.testing.ChildProcesses;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Late data as an operator sees it: live series, then a shuffled backfill of their history hours,
 * days and weeks old, landing raw in every archive of the default retention ({@code
 * 10s:6h,1m:7d,10m:5y}, average, xFilesFactor 0.5), with repeated timestamps carrying other values
 * and a few points older than five years, sent over Carbon plaintext to {@code bin/graphite-kafka
 * standalone} and to Debian's carbon-cache in the same run. Then:
 *
 * <ul>
 *   <li>every file the standalone wrote equals, byte for byte, what python3-whisper leaves when it
 *       gets the same points one {@code update_many} call each, in the order sent, at the time they
 *       were sent (every point is at least 15 minutes away from an archive boundary, so the exact
 *       processing time cannot change the archive it lands in);
 *   <li>Debian's {@code whisper-fetch} reads back, in each archive, the last value sent for every
 *       backfilled slot;
 *   <li>carbon-cache's files hold the same slots with the same values in every archive (not the
 *       same bytes: carbon-cache writes a batch of points per call, so its archives may start at
 *       another slot of their ring);
 *   <li>the points older than the maximum retention are counted as dropped, as whisper drops them.
 * </ul>
 *
 * Skips where carbon-cache, python3-whisper or whisper-fetch are missing.
 */
class LateDataVsCarbonCacheIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();
  private static final String PYTHON = "/usr/bin/python3";
  private static final int[][] ARCHIVES = {{10, 2160}, {60, 10080}, {600, 262800}};
  private static final long HOUR = 3600;
  private static final long DAY = 24 * HOUR;
  private static final Duration WAIT = Duration.ofSeconds(150);

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private CarbonDaemons carbon;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  /** One point as sent: its series, timestamp, value, and when it was sent. */
  private record Sent(String series, long timestamp, double value, long sentAt) {}

  @AfterEach
  void stop() throws Exception {
    if (carbon != null) {
      carbon.close();
    }
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void aShuffledBackfillOfLiveSeriesEndsAsWhisperLeavesItAndAsCarbonCacheWritesIt()
      throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/carbon-cache")),
        "carbon-cache is not installed (Debian package graphite-carbon); .ci/run installs it");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/whisper-fetch")) && pythonHasWhisper(),
        "python3-whisper is not installed (Debian package python3-whisper); .ci/run installs it");
    Path conf = Files.createDirectories(work.resolve("conf"));
    Files.copy(HOME.resolve("conf/storage-schemas.conf"), conf.resolve("storage-schemas.conf"));
    Files.copy(
        HOME.resolve("conf/storage-aggregation.conf"), conf.resolve("storage-aggregation.conf"));

    int carbonCache = startCarbonCache(conf);
    int metrics = freePort();
    int standalone = StandaloneProcess.start(work.resolve("gk"), conf, metrics, processes, output);

    List<String> series = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      series.add(String.format("late.e2e.s%02d", i));
    }
    series.add("late.e2e.disk;host=h0");
    series.add("late.e2e.disk;host=h1");
    List<Sent> sent = new ArrayList<>();

    // Live: a minute of points per series, in time order.
    long now = System.currentTimeMillis() / 1000;
    long live = now - Math.floorMod(now, 10) - 60;
    List<Sent> lives = new ArrayList<>();
    for (int k = 0; k < 6; k++) {
      for (int s = 0; s < series.size(); s++) {
        lives.add(new Sent(series.get(s), live + 10L * k, s * 10 + k, 0));
      }
    }
    sent.addAll(send(lives, standalone, carbonCache));
    awaitReadable(series, live + 50, work.resolve("gk/whisper"), work.resolve("carbon/whisper"));

    // The backfill: each series' history in all three archives, shuffled across series.
    Random random = new Random(20261205);
    long start = System.currentTimeMillis() / 1000;
    List<Sent> backfill = new ArrayList<>();
    java.util.Set<String> slotsTaken = new java.util.HashSet<>();
    for (String name : series) {
      for (int i = 0; i < 60; i++) {
        backfill.add(point(name, start, 20 * 60, 6 * HOUR - 20 * 60, 10, random, slotsTaken));
        backfill.add(
            point(name, start, 6 * HOUR + 20 * 60, 7 * DAY - 20 * 60, 60, random, slotsTaken));
      }
      for (int i = 0; i < 30; i++) {
        backfill.add(point(name, start, 7 * DAY + 20 * 60, 42 * DAY, 600, random, slotsTaken));
      }
      // runs of neighbouring slots, so that rollups pass the xFilesFactor
      long minute = start - 2 * HOUR - Math.floorMod(start, 60);
      for (int k = 0; k < 6; k++) {
        backfill.add(new Sent(name, minute + 10L * k, random.nextInt(100), 0));
      }
      long tenMinutes = start - 3 * DAY - Math.floorMod(start, 600);
      for (int k = 0; k < 10; k++) {
        backfill.add(new Sent(name, tenMinutes + 60L * k, random.nextInt(100), 0));
      }
      backfill.add(new Sent(name, start - 6 * 365 * DAY, 1, 0)); // older than five years
    }
    Collections.shuffle(backfill, random);
    // the same timestamps again, with other values: the last one sent wins
    for (int i = 0; i < 20; i++) {
      Sent again = backfill.get(random.nextInt(backfill.size()));
      if (start - again.timestamp() < 5 * 365 * DAY) {
        backfill.add(new Sent(again.series(), again.timestamp(), 1000 + i, 0));
      }
    }
    sent.addAll(send(backfill, standalone, carbonCache));

    // The reference: python3-whisper, one update_many per point in the order sent.
    Path reference = work.resolve("reference");
    writeReference(reference, sent);
    Map<String, byte[]> expected = new TreeMap<>();
    for (String name : series) {
      expected.put(name, Files.readAllBytes(SeriesPaths.resolve(reference, name)));
    }

    Map<String, byte[]> ours = new TreeMap<>();
    Map<String, List<Map<Long, Long>>> carbons = new TreeMap<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    boolean same = false;
    while (!same && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      same = true;
      for (String name : series) {
        Path mine = SeriesPaths.resolve(work.resolve("gk/whisper"), name);
        Path theirs = SeriesPaths.resolve(work.resolve("carbon/whisper"), name);
        ours.put(name, Files.exists(mine) ? Files.readAllBytes(mine) : new byte[0]);
        carbons.put(
            name,
            Files.exists(theirs) ? CarbonDaemons.slots(Files.readAllBytes(theirs)) : List.of());
        same &=
            Arrays.equals(ours.get(name), expected.get(name))
                && carbons.get(name).equals(CarbonDaemons.slots(expected.get(name)));
      }
    }
    for (String name : series) {
      assertThat(CarbonDaemons.slots(ours.get(name)))
          .as("graphite-kafka's slots of " + name)
          .isEqualTo(CarbonDaemons.slots(expected.get(name)));
      assertThat(ours.get(name))
          .as("graphite-kafka's bytes of " + name)
          .isEqualTo(expected.get(name));
      assertThat(carbons.get(name))
          .as(
              "carbon-cache's slots of %s: %s",
              name, differences(CarbonDaemons.slots(expected.get(name)), carbons.get(name)))
          .isEqualTo(CarbonDaemons.slots(expected.get(name)));
    }

    // Debian's whisper-fetch reads the last value sent for backfilled slots of every archive.
    for (String name : List.of(series.get(0), series.get(series.size() - 1))) {
      Path file = SeriesPaths.resolve(work.resolve("gk/whisper"), name);
      for (int a = 0; a < ARCHIVES.length; a++) {
        Map<Long, Double> lastSent = lastSentInArchive(backfill, name, a, start);
        assertThat(lastSent).as("backfilled slots of archive " + a).isNotEmpty();
        Map<Long, Double> fetched = whisperFetch(file, a);
        int checked = 0;
        for (Map.Entry<Long, Double> e : lastSent.entrySet()) {
          if (fetched.containsKey(e.getKey())) {
            assertThat(fetched.get(e.getKey()))
                .as(name + " archive " + a + " at " + e.getKey())
                .isEqualTo(e.getValue());
            checked++;
          }
        }
        assertThat(checked)
            .as("slots of archive " + a + " read by whisper-fetch")
            .isGreaterThan(lastSent.size() / 2);
      }
    }

    // The points older than five years: dropped and counted, as whisper drops them.
    assertThat(prometheus(metrics, "graphite_kafka_aggregator_droppedTooOld_total"))
        .isEqualTo(series.size());
  }

  /**
   * A point of {@code name} between {@code minAge} and {@code maxAge} seconds before {@code start},
   * at the start of a slot of the archive it lands in ({@code step}) that no other point of the
   * series has. Points of one slot with different timestamps are where carbon-cache and whisper
   * part: carbon writes a series' cached points in one {@code update_many} call, which keeps the
   * point with the latest timestamp of each slot, where one call per point keeps the last one sent.
   */
  private static Sent point(
      String name,
      long start,
      long minAge,
      long maxAge,
      long step,
      Random random,
      java.util.Set<String> taken) {
    while (true) {
      long age = minAge + (long) (random.nextDouble() * (maxAge - minAge));
      long timestamp = start - age - Math.floorMod(start - age, step);
      if (taken.add(name + "@" + timestamp)) {
        return new Sent(name, timestamp, random.nextInt(1000) / 4.0, 0);
      }
    }
  }

  /**
   * The last value sent into each slot of archive {@code a} by points whose age puts them there.
   */
  private static Map<Long, Double> lastSentInArchive(
      List<Sent> sent, String name, int a, long start) {
    long[] retention = {6 * HOUR, 7 * DAY, 5 * 365 * DAY};
    Map<Long, Double> out = new LinkedHashMap<>();
    for (Sent p : sent) {
      long age = start - p.timestamp();
      int archive =
          age <= retention[0] ? 0 : age <= retention[1] ? 1 : age <= retention[2] ? 2 : -1;
      if (p.series().equals(name) && archive == a) {
        out.put(p.timestamp() - Math.floorMod(p.timestamp(), ARCHIVES[a][0]), p.value());
      }
    }
    return out;
  }

  /** Sends the points to both systems, as lines, stamping each with the time it was sent. */
  private static List<Sent> send(List<Sent> points, int... ports) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (Sent p : points) {
      lines
          .append(p.series())
          .append(' ')
          .append(p.value())
          .append(' ')
          .append(p.timestamp())
          .append('\n');
    }
    byte[] bytes = lines.toString().getBytes(StandardCharsets.UTF_8);
    long sentAt = System.currentTimeMillis() / 1000;
    for (int port : ports) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        OutputStream out = socket.getOutputStream();
        out.write(bytes);
      }
    }
    List<Sent> stamped = new ArrayList<>();
    for (Sent p : points) {
      stamped.add(new Sent(p.series(), p.timestamp(), p.value(), sentAt));
    }
    return stamped;
  }

  private void writeReference(Path dir, List<Sent> sent) throws Exception {
    Path script = work.resolve("late-data-reference.py");
    try (var in = getClass().getResourceAsStream("/late-data-reference.py")) {
      Files.copy(in, script);
    }
    StringBuilder request =
        new StringBuilder(
            "{\"archives\": [[10, 2160], [60, 10080], [600, 262800]],"
                + " \"xff\": 0.5, \"method\": \"average\", \"points\": [");
    for (int i = 0; i < sent.size(); i++) {
      Sent p = sent.get(i);
      String path = SeriesPaths.resolve(dir, p.series()).toString();
      request
          .append(i == 0 ? "" : ", ")
          .append("[\"")
          .append(path.replace("\\", "\\\\"))
          .append("\", ")
          .append(p.timestamp())
          .append(", ")
          .append(p.value())
          .append(", ")
          .append(p.sentAt())
          .append(']');
    }
    request.append("]}");
    Process python =
        new ProcessBuilder(PYTHON, script.toString()).redirectErrorStream(true).start();
    try (OutputStream in = python.getOutputStream()) {
      in.write(request.toString().getBytes(StandardCharsets.UTF_8));
    }
    String answer = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(python.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(answer).as("python3-whisper").contains("done");
  }

  /** The slots that differ, archive by archive: (timestamp: expected / actual value). */
  private static String differences(List<Map<Long, Long>> expected, List<Map<Long, Long>> actual) {
    StringBuilder out = new StringBuilder();
    for (int a = 0; a < Math.max(expected.size(), actual.size()); a++) {
      Map<Long, Long> e = a < expected.size() ? expected.get(a) : Map.of();
      Map<Long, Long> g = a < actual.size() ? actual.get(a) : Map.of();
      java.util.TreeSet<Long> keys = new java.util.TreeSet<>(e.keySet());
      keys.addAll(g.keySet());
      int shown = 0;
      for (long k : keys) {
        if (!java.util.Objects.equals(e.get(k), g.get(k)) && shown++ < 8) {
          out.append(" archive ")
              .append(a)
              .append(" at ")
              .append(k)
              .append(": ")
              .append(e.containsKey(k) ? Double.longBitsToDouble(e.get(k)) : "-")
              .append(" / ")
              .append(g.containsKey(k) ? Double.longBitsToDouble(g.get(k)) : "-")
              .append(';');
        }
      }
    }
    return out.toString();
  }

  /**
   * Archive {@code a} of {@code file} as Debian's whisper-fetch prints it, empty slots left out.
   */
  private static Map<Long, Double> whisperFetch(Path file, int a) throws Exception {
    long now = System.currentTimeMillis() / 1000;
    long[] from = {now - 6 * HOUR + 60, now - 7 * DAY + 1200, now - 50 * DAY};
    long[] until = {now, now - 6 * HOUR - 1200, now - 7 * DAY - 1200};
    Process p =
        new ProcessBuilder(
                "/usr/bin/whisper-fetch",
                "--from=" + from[a],
                "--until=" + until[a],
                file.toString())
            .redirectErrorStream(true)
            .start();
    Map<Long, Double> out = new HashMap<>();
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] parts = line.trim().split("\\s+");
        if (parts.length == 2 && !parts[1].equals("None")) {
          out.put(Long.parseLong(parts[0]), Double.parseDouble(parts[1]));
        }
      }
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  private static void awaitReadable(List<String> series, long last, Path... roots)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (Path root : roots) {
      for (String name : series) {
        Path file = SeriesPaths.resolve(root, name);
        while (!holdsSlot(file, last)) {
          if (System.nanoTime() > deadline) {
            fail("the live point at " + last + " of " + name + " never reached " + file);
          }
          Thread.sleep(200);
        }
      }
    }
  }

  private static boolean holdsSlot(Path file, long timestamp) throws IOException {
    if (!Files.exists(file)) {
      return false;
    }
    List<Map<Long, Long>> slots = CarbonDaemons.slots(Files.readAllBytes(file));
    return !slots.isEmpty() && slots.get(0).containsKey(timestamp);
  }

  private static long prometheus(int port, String name) throws Exception {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ")) {
        return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " not in " + body);
  }

  /** Debian's carbon-cache on the same retention files; returns its line receiver's port. */
  private int startCarbonCache(Path conf) throws Exception {
    carbon =
        new CarbonDaemons(
            work.resolve("carbon"),
            conf,
            List.of("storage-schemas.conf", "storage-aggregation.conf"),
            List.of());
    return carbon.startCache();
  }

  private static boolean pythonHasWhisper() {
    return ChildProcesses.succeeds(PYTHON, "-c", "import whisper");
  }

  private static int freePort() throws IOException {
    return CarbonDaemons.freePort();
  }
}

package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * carbon-aggregator's rules as an operator moving off carbon sees them: the same {@code
 * aggregation-rules.conf} (every method, {@code <field>}, {@code <<field>>}, two frequencies) and
 * {@code rewrite-rules.conf} ({@code [pre]} and {@code [post]}) under {@code bin/graphite-kafka
 * standalone} and under Debian's carbon-aggregator 1.1.7 relaying to a carbon-cache, the same
 * plaintext input sent to both in the same run. Then:
 *
 * <ul>
 *   <li>the two trees hold the same series, aggregates and forwarded series alike, with the same
 *       slots in every archive, values equal to the bit (the values are quarters, so sums do not
 *       depend on the order the inputs meet in, and percentiles interpolate as carbon does);
 *   <li>an interval whose points come in two parts, the second after carbon-aggregator dropped the
 *       interval from its buffer (carbon issue #751): graphite-kafka stores the aggregate of every
 *       point; carbon stores the aggregate of the second part alone, which the test checks too, to
 *       document it;
 *   <li>two bad lines in graphite-kafka's copy of the rules (carbon-aggregator does not start with
 *       one): each is refused with its number and reason, and every other rule works.
 * </ul>
 *
 * carbon-aggregator runs with {@code MAX_AGGREGATION_INTERVALS = 1}, so that it drops an interval
 * about 20 s after it starts rather than a minute; graphite-kafka keeps its default lateness bound.
 * Skips where carbon-aggregator or carbon-cache is missing.
 */
class AggregationRulesVsCarbonAggregatorIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();
  private static final Duration WAIT = Duration.ofSeconds(150);
  private static final String[] PERCENTILES = {"p50", "p75", "p80", "p90", "p95", "p99", "p999"};

  @TempDir Path work;
  private final List<Process> processes = new ArrayList<>();
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());
  private CarbonDaemons carbon;

  @AfterEach
  void stop() throws Exception {
    if (carbon != null) {
      carbon.close();
    }
    for (Process p : processes) {
      p.destroy();
    }
  }

  @Test
  void theAggregatesAndForwardedSeriesEqualCarbonAggregatorsAndLatePointsCountInTheirInterval()
      throws Exception {
    assumeTrue(
        Files.isExecutable(CarbonDaemons.CARBON_AGGREGATOR)
            && Files.isExecutable(CarbonDaemons.CARBON_CACHE),
        "carbon-aggregator or carbon-cache is not installed (Debian package graphite-carbon); "
            + ".ci/run installs it");
    Path conf = writeConf();
    carbon =
        new CarbonDaemons(
            work.resolve("carbon"),
            conf,
            List.of(
                "storage-schemas.conf",
                "storage-aggregation.conf",
                "aggregation-rules.conf",
                "rewrite-rules.conf"),
            List.of("FORWARD_ALL = True", "MAX_AGGREGATION_INTERVALS = 1"));
    carbon.startCache();
    int carbonAggregator = carbon.startAggregator();
    // Bad lines, which carbon-aggregator would refuse to start with: here each is refused with its
    // number and reason, and the other rules load.
    int ruleLines = Files.readAllLines(conf.resolve("aggregation-rules.conf")).size();
    Files.writeString(
        conf.resolve("aggregation-rules.conf"),
        "this line is broken\napp.<app>.median (10) = median app.<app>.*.requests\n",
        java.nio.file.StandardOpenOption.APPEND);
    int standalone = StandaloneProcess.start(work.resolve("gk"), conf, -1, processes, output);
    assertThat(output)
        .anyMatch(
            line ->
                line.contains(
                    "refused aggregation-rules.conf line " + (ruleLines + 1) + ": expected"))
        .anyMatch(
            line ->
                line.contains("refused aggregation-rules.conf line " + (ruleLines + 2))
                    && line.contains("unknown aggregation method 'median'")
                    && line.contains("sum, avg, min, max, count, p50"));

    long now = System.currentTimeMillis() / 1000;
    long first = now - Math.floorMod(now, 30) - 90;
    long lateInterval = now - Math.floorMod(now, 10) - 10;
    List<String> lines = input(first, now);
    lines.add("late.a.x 1 " + lateInterval);
    long sentAt = System.nanoTime();
    send(lines, standalone, carbonAggregator);

    Path ours = work.resolve("gk/whisper");
    Map<String, String> differences = awaitSameTrees(ours, carbon.whisperDir());
    assertThat(differences).as("series whose files differ from carbon's").isEmpty();
    assertThat(files(carbon.whisperDir()))
        .as("carbon's series")
        .contains(
            "app/web/all/requests.wsp",
            "app/web/requests_total.wsp",
            "app/all/latency_p999.wsp",
            "app/db/h3/latency_ms.wsp",
            "dc/eu/cpu.wsp")
        .doesNotContain("app/db/h3/latency.wsp")
        .noneMatch(file -> file.startsWith("raw/"));

    // The second part of the late interval, once carbon-aggregator has dropped the first.
    long elapsed = (System.nanoTime() - sentAt) / 1_000_000_000L;
    if (elapsed < 40) {
      Thread.sleep((40 - elapsed) * 1000);
    }
    send(List.of("late.b.x 2 " + (lateInterval + 5)), standalone, carbonAggregator);
    Path lateFile = Path.of("late/total.wsp");
    long deadline = System.nanoTime() + WAIT.toNanos();
    Long oursLate = null;
    Long carbonLate = null;
    while (System.nanoTime() < deadline
        && (!Double.valueOf(3).equals(value(oursLate))
            || !Double.valueOf(2).equals(value(carbonLate)))) {
      Thread.sleep(1000);
      oursLate = slot(ours.resolve(lateFile), lateInterval);
      carbonLate = slot(carbon.whisperDir().resolve(lateFile), lateInterval);
    }
    assertThat(value(oursLate)).as("graphite-kafka's aggregate of both parts").isEqualTo(3.0);
    assertThat(value(carbonLate))
        .as("carbon-aggregator's aggregate: the second part alone overwrote the first")
        .isEqualTo(2.0);
  }

  private Path writeConf() throws IOException {
    Path conf = Files.createDirectories(work.resolve("conf"));
    Files.writeString(
        conf.resolve("storage-schemas.conf"),
        "[default]\npattern = .*\nretentions = 10s:2h,30s:1d\n");
    Files.writeString(
        conf.resolve("storage-aggregation.conf"),
        "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n");
    List<String> rules = new ArrayList<>();
    rules.add("# every method, <field>, <<field>> and two frequencies");
    rules.add("app.<app>.requests_total (10) = sum app.<app>.*.requests");
    rules.add("app.<app>.latency_avg (10) = avg app.<app>.*.latency");
    rules.add("app.<app>.latency_min (30) = min app.<app>.*.latency");
    rules.add("app.<app>.latency_max (30) = max app.<app>.*.latency");
    rules.add("app.<app>.hosts (30) = count app.<app>.*.requests");
    rules.add("app.<app>.all.requests (10) = sum app.<app>.h*.requests");
    for (String p : PERCENTILES) {
      rules.add("app.all.<metric>_" + p + " (10) = " + p + " app.*.*.<metric>");
    }
    rules.add("dc.<dc>.cpu (30) = sum dc.<dc>.<<rest>>.cpu");
    rules.add("late.total (10) = sum late.*.x");
    Files.write(conf.resolve("aggregation-rules.conf"), rules);
    Files.writeString(
        conf.resolve("rewrite-rules.conf"),
        "[pre]\n^raw\\.app\\. = app.\n[post]\n\\.latency$ = .latency_ms\n");
    return conf;
  }

  /**
   * In-order input, a point every 5 s per series from {@code first} to 5 s before {@code now}: 2
   * applications of 7 hosts, requests sent under their plain name and latencies under a name the
   * [pre] rules rewrite, and two data centres' cpu under names of three and four components.
   */
  private static List<String> input(long first, long now) {
    Random random = new Random(887);
    List<String> lines = new ArrayList<>();
    for (long t = first; t < now - 5; t += 5) {
      for (String app : List.of("web", "db")) {
        for (int h = 1; h <= 7; h++) {
          lines.add("app." + app + ".h" + h + ".requests " + random.nextInt(400) / 4.0 + " " + t);
          lines.add(
              "raw.app." + app + ".h" + h + ".latency " + random.nextInt(4000) / 4.0 + " " + t);
        }
      }
      for (String series : List.of("dc.eu.r1.h1.cpu", "dc.eu.r2.cpu", "dc.us.r1.h9.cpu")) {
        lines.add(series + " " + random.nextInt(400) / 4.0 + " " + t);
      }
    }
    return lines;
  }

  private static void send(List<String> lines, int... ports) throws IOException {
    byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    for (int port : ports) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        OutputStream out = socket.getOutputStream();
        out.write(bytes);
      }
    }
  }

  /**
   * Waits until both trees hold the same files with the same slots, or the wait ends; returns the
   * files that still differ, each with what differs.
   */
  private static Map<String, String> awaitSameTrees(Path ours, Path theirs) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, String> differences = Map.of("(not compared yet)", "");
    while (!differences.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(2000);
      differences = compare(ours, theirs);
    }
    return differences;
  }

  private static Map<String, String> compare(Path ours, Path theirs) throws IOException {
    Map<String, String> differences = new TreeMap<>();
    List<String> theirFiles = files(theirs);
    if (theirFiles.isEmpty()) {
      differences.put("(carbon has no files yet)", "");
    }
    for (String file : theirFiles) {
      Path mine = ours.resolve(file);
      if (!Files.exists(mine)) {
        differences.put(file, "missing");
        continue;
      }
      List<Map<Long, Long>> expected =
          CarbonDaemons.slots(Files.readAllBytes(theirs.resolve(file)));
      List<Map<Long, Long>> actual = CarbonDaemons.slots(Files.readAllBytes(mine));
      if (!expected.equals(actual)) {
        differences.put(file, "carbon " + decode(expected) + " ours " + decode(actual));
      }
    }
    for (String file : files(ours)) {
      if (!theirFiles.contains(file)) {
        differences.put(file, "not in carbon's tree");
      }
    }
    return differences;
  }

  private static String decode(List<Map<Long, Long>> archives) {
    List<Map<Long, Double>> out = new ArrayList<>();
    for (Map<Long, Long> archive : archives) {
      Map<Long, Double> values = new TreeMap<>();
      archive.forEach((ts, bits) -> values.put(ts, Double.longBitsToDouble(bits)));
      out.add(values);
    }
    return out.toString();
  }

  private static List<String> files(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(p -> p.toString().endsWith(".wsp"))
          .map(p -> root.relativize(p).toString())
          .sorted()
          .toList();
    }
  }

  /** The bits of the finest archive's slot at {@code timestamp}, or null. */
  private static Long slot(Path file, long timestamp) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    List<Map<Long, Long>> archives = CarbonDaemons.slots(Files.readAllBytes(file));
    return archives.isEmpty() ? null : archives.get(0).get(timestamp);
  }

  private static Double value(Long bits) {
    return bits == null ? null : Double.longBitsToDouble(bits);
  }
}

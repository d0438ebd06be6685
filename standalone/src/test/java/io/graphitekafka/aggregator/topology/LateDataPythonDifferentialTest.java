package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.consumer.RecordApplier;
import io.graphitekafka.testing.ChildProcesses;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Late data end to end against Debian's python3-whisper itself, byte for byte. Each case is a
 * random series: a live phase (points near a moving "now", in order, some repeated), then late
 * points of every age, from seconds to the file's whole retention (raw into coarse archives,
 * exactly at archive and interval boundaries, a few older than the maximum retention), shuffled,
 * repeated with other values, with emissions at random moments. Every point goes through the real
 * topology at its "now"; the series' archive records, in order, go through the sink's write path
 * ({@link RecordApplier}) into an empty directory. The reference is whisper.py: an empty file made
 * by {@code whisper.create} with the same archives, xFilesFactor and method, then {@code
 * update_many(path, [(ts, value)], now=now)} once per point in arrival order. The two files must be
 * equal byte for byte: the same slots and values, and the same archive bases (ring positions),
 * which the order of the aggregator's first writes decides.
 *
 * <p>Each case comes from its own seed, printed with the case on failure; {@code
 * -Dlate.diff.seed=N} runs that case alone, {@code -Dlate.diff.cases=N} sets how many cases run.
 * Skips when {@code /usr/bin/python3} cannot import whisper.
 */
class LateDataPythonDifferentialTest {

  private static final String PYTHON = "/usr/bin/python3";
  private static final String SCRIPT = "update-many-file-bytes.py";
  private static final long T0 = 1_699_999_200L; // a multiple of 3600
  private static final long SEED_SOURCE = 20261204L;
  private static final int DEFAULT_CASES = 1000;

  /**
   * Layouts of 2 to 5 archives with few points, so rings wrap and points land raw in coarse
   * archives.
   */
  private static final List<List<ArchiveSpec>> LAYOUTS =
      List.of(
          List.of(spec(1, 20), spec(5, 12), spec(15, 8), spec(60, 6), spec(300, 4)),
          List.of(spec(10, 6), spec(60, 5), spec(300, 6)),
          List.of(spec(1, 10), spec(2, 8), spec(4, 6), spec(8, 4)),
          List.of(spec(10, 12), spec(120, 10)),
          List.of(spec(5, 6), spec(10, 6), spec(30, 5), spec(60, 4)),
          List.of(spec(2, 15), spec(6, 10), spec(30, 6)),
          List.of(spec(1, 7), spec(3, 5)),
          List.of(spec(60, 10), spec(300, 12), spec(3600, 4)));

  private static final float[] XFFS = {0f, 0.5f, 1f, 0.1f, 1f / 3, 0.2f};
  private static final long[] GRACES = {0, 30, 300, 1_000_000};

  private static final Map<String, SeriesLayout> SERIES_LAYOUTS = new ConcurrentHashMap<>();
  private static final AtomicLong SERIES = new AtomicLong();
  private final Map<String, RollupDriver> drivers = new LinkedHashMap<>();
  private final Deserializer<ArchivePoint> archiveDecoder =
      Topics.archives(Topics.DEFAULT_ARCHIVES).valueSerde().deserializer();

  @TempDir Path dir;

  /**
   * One point as sent: the clock is set to {@code now}, then the emission fires {@code emitsAfter}
   * times.
   */
  record Step(long timestamp, double value, long now, int emitsAfter) {
    @Override
    public String toString() {
      return timestamp + "=" + value + "@" + now + "|emit".repeat(emitsAfter);
    }
  }

  /**
   * @param name how to reproduce the case, such as its seed
   * @param newFilesEmpty the aggregator's {@code new.series.files.empty}
   */
  record Case(
      String name, SeriesLayout layout, long grace, boolean newFilesEmpty, List<Step> steps) {
    @Override
    public String toString() {
      return String.format(
          "%s: archives %s, method %s, xff %s, grace %d, new.series.files.empty %s,"
              + " points (ts=value@now) %s",
          name,
          layout.archives(),
          layout.method(),
          layout.xFilesFactor(),
          grace,
          newFilesEmpty,
          steps);
    }
  }

  private static ArchiveSpec spec(int secondsPerPoint, int points) {
    return new ArchiveSpec(secondsPerPoint, points);
  }

  private static boolean whisperAvailable() {
    return ChildProcesses.succeeds(PYTHON, "-c", "import whisper");
  }

  @Test
  void lateDataLeavesTheFileByteForByteAsPythonWhisperDoes() throws Exception {
    List<Long> seeds = new ArrayList<>();
    String only = System.getProperty("late.diff.seed");
    if (only != null && !only.isBlank()) {
      seeds.add(Long.parseLong(only.trim()));
    } else {
      // Seeds drawn from one generator: java.util.Random's first draws of consecutive seeds
      // correlate.
      Random seedSource = new Random(SEED_SOURCE);
      int cases = Integer.getInteger("late.diff.cases", DEFAULT_CASES);
      for (int i = 0; i < cases; i++) {
        seeds.add(seedSource.nextLong());
      }
    }

    List<Case> cases = new ArrayList<>();
    for (long seed : seeds) {
      cases.add(generate(seed));
    }
    Map<String, String> differences = differences(cases);
    assertThat(differences.keySet())
        .as(
            "%d of %d cases differ from python whisper; rerun one with -Dlate.diff.seed=N. The first:%n%s",
            differences.size(),
            cases.size(),
            differences.isEmpty() ? "" : differences.values().iterator().next())
        .isEmpty();
    if (cases.size() >= 100) {
      // The cases reach what they are meant to: late points, raw points, points whisper drops.
      for (String counter :
          List.of(RollupMetrics.LATE, RollupMetrics.RAW_SENT, RollupMetrics.TOO_OLD)) {
        long total = drivers.values().stream().mapToLong(d -> d.counter(counter)).sum();
        assertThat(total).as(counter).isGreaterThan(cases.size() / 10);
      }
    }
  }

  /**
   * Cases the property found, reduced: the first slot written into an empty archive is overwritten
   * in its ring by a later interval before it is emitted. Whisper set the archive's base at that
   * first slot, so the file's slots must keep their ring positions.
   */
  @Test
  void theFirstSlotOfAnArchiveOverwrittenInItsRingBeforeItIsEmitted() throws Exception {
    List<ArchiveSpec> archives = List.of(spec(1, 5), spec(5, 3));
    // Archive 0 of a new, empty file: T, then T+1, then T+5 takes T's place; one emission at the
    // end.
    Case finest =
        new Case(
            "finest archive lapped",
            new SeriesLayout(archives, AggregationMethod.AVERAGE, 0.5f),
            1_000_000,
            true,
            List.of(
                new Step(T0, 1, T0, 0),
                new Step(T0 + 1, 2, T0 + 1, 0),
                new Step(T0 + 5, 3, T0 + 5, 0)));
    // Archive 1 with the default settings: the first point goes raw and, at xFilesFactor 1, leaves
    // archive 1 empty; its first rollup T+5 is overwritten by T+20 (T+10 in between) before
    // emission.
    List<Step> steps = new ArrayList<>();
    steps.add(new Step(T0, 1, T0, 0));
    for (long s = 5; s < 25; s++) {
      if (s < 15 || s >= 20) {
        steps.add(new Step(T0 + s, s, T0 + s, 0));
      }
    }
    Case coarser =
        new Case(
            "coarser archive lapped",
            new SeriesLayout(archives, AggregationMethod.AVERAGE, 1f),
            1_000_000,
            false,
            steps);
    Map<String, String> differences = differences(List.of(finest, coarser));
    assertThat(differences.keySet())
        .as("%s", String.join(String.format("%n%n"), differences.values()))
        .isEmpty();
  }

  @AfterEach
  void closeDrivers() {
    drivers.values().forEach(RollupDriver::close);
    drivers.clear();
  }

  /**
   * Runs the cases through the pipeline and through python whisper.
   *
   * @return the description of each case whose files differ, by case name
   */
  private Map<String, String> differences(List<Case> cases) throws IOException {
    assumeTrue(whisperAvailable(), PYTHON + " cannot import whisper (install python3-whisper)");
    Path script = dir.resolve(SCRIPT);
    if (!Files.exists(script)) {
      try (var in = getClass().getResourceAsStream("/reference/" + SCRIPT)) {
        Files.copy(in, script);
      }
    }
    Process python =
        new ProcessBuilder(PYTHON, script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    Map<String, String> differences = new LinkedHashMap<>();
    try (BufferedWriter toPython =
            new BufferedWriter(
                new OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8));
        BufferedReader fromPython =
            new BufferedReader(
                new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8))) {
      for (Case c : cases) {
        // The reference is asked first, so that python works while the topology runs.
        toPython.write(request(c));
        toPython.newLine();
        toPython.flush();
        String difference = compare(c, fromPython);
        if (difference != null) {
          differences.put(c.name(), difference);
        }
      }
    } finally {
      python.destroy();
    }
    return differences;
  }

  /**
   * Runs the case through the topology and the sink's write path; null if the file equals python's.
   */
  private String compare(Case c, BufferedReader fromPython) throws IOException {
    String metric = "late.series" + SERIES.incrementAndGet();
    SERIES_LAYOUTS.put(metric, c.layout());
    RollupDriver driver =
        drivers.computeIfAbsent(
            c.grace() + "/" + c.newFilesEmpty(),
            k ->
                new RollupDriver(
                    SERIES_LAYOUTS::get,
                    c.grace(),
                    T0,
                    null,
                    Map.of(AggregatorConfig.NEW_SERIES_FILES_EMPTY, c.newFilesEmpty())));
    long minNow = Long.MAX_VALUE;
    for (Step s : c.steps()) {
      driver.clock.set(s.now());
      driver.send(metric, s.timestamp(), s.value());
      for (int e = 0; e < s.emitsAfter(); e++) {
        driver.emit();
      }
      minNow = Math.min(minNow, s.now());
    }
    driver.emit();
    List<byte[]> output = new ArrayList<>();
    for (var r : driver.rawArchiveRecords()) {
      if (r.key.equals(metric)) {
        output.add(r.value);
      }
    }

    Path root = dir.resolve("whisper");
    Path file = SeriesPaths.resolve(root, metric);
    Path reference = dir.resolve("reference.wsp");
    String answer = fromPython.readLine();
    if (answer == null) {
      throw new IllegalStateException("python whisper exited; its error output is above");
    }
    try {
      // The sink's clock at the earliest now: every slot the aggregator sends is within its
      // retention.
      try (RecordApplier sink =
          new RecordApplier(root, Clock.fixed(Instant.ofEpochSecond(minNow), ZoneOffset.UTC))) {
        sink.apply(output);
      } catch (IllegalArgumentException e) {
        return c + "\nthe sink rejected the aggregator's records " + describe(output) + ": " + e;
      }
      String prefix = "{\"hex\": \"";
      if (!answer.startsWith(prefix)) {
        return c + "\npython whisper failed: " + answer;
      }
      Files.write(reference, HexFormat.of().parseHex(answer, prefix.length(), answer.length() - 2));
      if (!Files.exists(file)) {
        return c + "\nthe sink wrote no file from the aggregator's records " + describe(output);
      }
      byte[] actual = Files.readAllBytes(file);
      byte[] expected = Files.readAllBytes(reference);
      if (Arrays.equals(actual, expected)) {
        return null;
      }
      return String.format(
          "%s%nslots (archive by archive, timestamp to value bits):%n  python whisper %s"
              + "%n  pipeline       %s%nfile bytes:%n  python whisper %s%n  pipeline       %s"
              + "%naggregator records, in order: %s",
          c,
          ArchiveDump.read(reference),
          ArchiveDump.read(file),
          HexFormat.of().formatHex(expected),
          HexFormat.of().formatHex(actual),
          describe(output));
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(reference);
    }
  }

  private String describe(List<byte[]> records) {
    List<String> out = new ArrayList<>();
    for (byte[] value : records) {
      ArchivePoint p = archiveDecoder.deserialize(Topics.DEFAULT_ARCHIVES, value);
      out.add(
          p.getNow() == null
              ? "slot " + p.getArchive() + ":" + p.getTimestamp() + "=" + p.getValue()
              : "raw " + p.getTimestamp() + "=" + p.getValue() + "@" + p.getNow());
    }
    return out.toString();
  }

  /** The case as a line of the reference script's input. */
  private static String request(Case c) {
    StringBuilder request = new StringBuilder("{\"archives\": [");
    List<ArchiveSpec> archives = c.layout().archives();
    for (int a = 0; a < archives.size(); a++) {
      request
          .append(a == 0 ? "" : ", ")
          .append('[')
          .append(archives.get(a).secondsPerPoint())
          .append(", ")
          .append(archives.get(a).points())
          .append(']');
    }
    // The float32 xFilesFactor widened exactly; whisper packs it back to the same float32.
    request
        .append("], \"method\": \"")
        .append(c.layout().method().carbonName())
        .append("\", \"xff\": ")
        .append((double) c.layout().xFilesFactor())
        .append(", \"points\": [");
    for (int i = 0; i < c.steps().size(); i++) {
      Step s = c.steps().get(i);
      // Double.toString reads back exactly in Python, Infinity and -Infinity included.
      request
          .append(i == 0 ? "" : ", ")
          .append('[')
          .append(s.timestamp())
          .append(", ")
          .append(Double.toString(s.value()))
          .append(", ")
          .append(s.now())
          .append(']');
    }
    return request.append("]}").toString();
  }

  /** The case of a seed: a live phase, then blocks of late points, each block shuffled. */
  static Case generate(long seed) {
    Random random = new Random(seed);
    List<ArchiveSpec> archives = LAYOUTS.get(random.nextInt(LAYOUTS.size()));
    AggregationMethod method =
        AggregationMethod.values()[random.nextInt(AggregationMethod.values().length)];
    SeriesLayout layout = new SeriesLayout(archives, method, XFFS[random.nextInt(XFFS.length)]);
    long grace = GRACES[random.nextInt(GRACES.length)];
    boolean newFilesEmpty = random.nextInt(4) == 0;
    long maxRetention = layout.maxRetention();
    int finest = archives.get(0).secondsPerPoint();
    List<Step> steps = new ArrayList<>();
    List<Long> seen = new ArrayList<>();

    // Live: points near a moving now, in time order, some repeated with another value, a few 1s
    // ahead.
    long now = T0 + random.nextLong(2 * maxRetention);
    long last = now - random.nextInt(3 * finest);
    int live = 1 + random.nextInt(30);
    for (int i = 0; i < live; i++) {
      now += random.nextInt(3) == 0 ? 0 : random.nextInt(2 * finest + 1);
      long ts;
      if (i > 0 && random.nextInt(6) == 0) {
        ts = last;
      } else if (random.nextInt(15) == 0) {
        ts = Math.max(last, now + 1);
      } else {
        ts = Math.max(last, now - random.nextInt(finest + 1));
      }
      last = ts;
      seen.add(ts);
      steps.add(new Step(ts, value(random), now, emits(random)));
    }

    // Late: blocks of points aged relative to one now, shuffled; now moves between blocks.
    int late = 1 + random.nextInt(40);
    while (late > 0) {
      int block = Math.min(late, 1 + random.nextInt(8));
      late -= block;
      int move = random.nextInt(6);
      now +=
          move < 3
              ? 0
              : move < 5 ? random.nextInt(3 * finest + 1) : random.nextLong(maxRetention / 4 + 1);
      List<Long> timestamps = new ArrayList<>();
      for (int i = 0; i < block; i++) {
        timestamps.add(lateTimestamp(random, layout, grace, now, seen));
      }
      Collections.shuffle(timestamps, random);
      for (long ts : timestamps) {
        seen.add(ts);
        steps.add(new Step(ts, value(random), now, emits(random)));
      }
    }
    return new Case("seed " + seed, layout, grace, newFilesEmpty, steps);
  }

  private static long lateTimestamp(
      Random random, SeriesLayout layout, long grace, long now, List<Long> seen) {
    List<ArchiveSpec> archives = layout.archives();
    long maxRetention = layout.maxRetention();
    int finest = archives.get(0).secondsPerPoint();
    int kind = random.nextInt(20);
    if (kind < 3) { // seconds late
      return now - 1 - random.nextInt(3 * finest);
    } else if (kind < 5) { // around the grace
      long span = Math.min(grace, maxRetention) + 2L * finest;
      return now - random.nextLong(span + 1);
    } else if (kind < 9) { // anywhere in the retention
      return now - random.nextLong(maxRetention + 1);
    } else if (kind < 11) { // the age of an archive's retention: stays in it; one more goes coarser
      ArchiveSpec a = archives.get(random.nextInt(archives.size()));
      return now - a.retention() - (random.nextInt(3) - 1);
    } else if (kind < 13) { // the start or the last second of a coarse interval
      ArchiveSpec a = archives.get(1 + random.nextInt(archives.size() - 1));
      long start = a.interval(now - random.nextLong(maxRetention + 1));
      return random.nextBoolean() ? start : start - 1;
    } else if (kind < 14) { // older than the maximum retention: whisper drops it
      return now - maxRetention - 1 - random.nextInt(3 * finest);
    } else if (kind < 17) { // again, with another value
      return seen.get(random.nextInt(seen.size()));
    } else { // live among the late ones
      return now - random.nextInt(finest + 1);
    }
  }

  private static double value(Random random) {
    int kind = random.nextInt(40);
    if (kind < 28) {
      return random.nextInt(11) - 5;
    } else if (kind < 37) {
      return random.nextDouble() * 200 - 100;
    } else if (kind < 39) {
      return random.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    } else {
      return new double[] {0.1, 1.0 / 3, -0.0, 1e300}[random.nextInt(4)];
    }
  }

  private static int emits(Random random) {
    int r = random.nextInt(10);
    return r < 8 ? 0 : r == 8 ? 1 : 2;
  }
}

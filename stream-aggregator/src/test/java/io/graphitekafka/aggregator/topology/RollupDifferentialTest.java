package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The aggregator's output applied to empty files equals whisper's own {@code update_many} applied
 * to the same points, one call per point at the same "now", archive by archive and slot by slot,
 * over random layouts, methods, xFilesFactors and point sequences. WhisperFile, verified byte for
 * byte against python3-whisper in whisper-sink, is the oracle.
 */
class RollupDifferentialTest {

  private static final long T0 = 1_700_000_400L; // a multiple of 600

  static final List<SeriesLayout> LAYOUTS =
      List.of(
          layout(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5), new ArchiveSpec(300, 6)),
          layout(new ArchiveSpec(10, 36), new ArchiveSpec(60, 30), new ArchiveSpec(600, 10)),
          layout(new ArchiveSpec(1, 20), new ArchiveSpec(5, 12), new ArchiveSpec(15, 8)),
          layout(new ArchiveSpec(10, 12), new ArchiveSpec(120, 10)),
          layout(new ArchiveSpec(60, 10)));
  static final List<Float> XFFS = List.of(0f, 0.1f, 0.2f, 0.5f, 1f / 3, 1f);

  private static final Map<String, RollupDriver> DRIVERS = new ConcurrentHashMap<>();
  static final Map<String, SeriesLayout> LAYOUTS_BY_NAME = new ConcurrentHashMap<>();
  private static final AtomicLong SERIES = new AtomicLong();

  private static SeriesLayout layout(ArchiveSpec... archives) {
    return new SeriesLayout(List.of(archives), AggregationMethod.AVERAGE, 0.5f);
  }

  /**
   * One point as sent: its offset from T0, its value, how far "now" moves before it, emit after it.
   */
  record Step(long offset, double value, long nowAdvance, boolean emitAfter) {}

  /**
   * @param newFilesEmpty the aggregator's {@code new.series.files.empty}: whether it rolls a new
   *     series' first points up itself or sends them raw
   */
  record Case(
      SeriesLayout layout, long grace, boolean newFilesEmpty, long startNow, List<Step> steps) {}

  @Provide
  Arbitrary<Case> cases() {
    Arbitrary<SeriesLayout> layouts =
        Combinators.combine(
                Arbitraries.of(LAYOUTS),
                Arbitraries.of(AggregationMethod.values()),
                Arbitraries.of(XFFS))
            .as((l, m, x) -> new SeriesLayout(l.archives(), m, x));
    Arbitrary<Double> values =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(-5, 5).map(i -> (double) i)),
            net.jqwik.api.Tuple.of(4, Arbitraries.doubles().between(-1e3, 1e3)),
            net.jqwik.api.Tuple.of(
                1,
                Arbitraries.of(
                    Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.1, 0.2, 0.3)));
    return layouts.flatMap(
        layout -> {
          long maxRetention = layout.maxRetention();
          long finest = layout.archives().get(0).secondsPerPoint();
          // Offsets span past the finest retention and now starts up to the max retention late, so
          // points land raw in coarser archives, wrap rings, and some are too old.
          Arbitrary<Long> offsets =
              Arbitraries.frequencyOf(
                  net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(0, maxRetention)),
                  net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(0, 12 * finest)),
                  net.jqwik.api.Tuple.of(
                      1, Arbitraries.longs().between(-finest, maxRetention + 3 * finest)));
          Arbitrary<Long> advances =
              Arbitraries.frequencyOf(
                  net.jqwik.api.Tuple.of(6, Arbitraries.just(0L)),
                  net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(1, 2 * finest)),
                  net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(1, maxRetention / 2)));
          Arbitrary<Step> steps =
              Combinators.combine(
                      offsets,
                      values,
                      advances,
                      Arbitraries.integers().between(0, 9).map(i -> i == 0))
                  .as(Step::new);
          Arbitrary<List<Step>> sequences =
              Arbitraries.oneOf(
                  steps.list().ofMinSize(1).ofMaxSize(80),
                  // in order, with duplicates
                  steps
                      .list()
                      .ofMinSize(1)
                      .ofMaxSize(80)
                      .map(
                          l -> {
                            List<Step> sorted = new ArrayList<>(l);
                            sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
                            return sorted;
                          }),
                  // sparse: few points far apart
                  steps.list().ofMinSize(1).ofMaxSize(6));
          return Combinators.combine(
                  Arbitraries.of(0L, 30L, 300L, 1_000_000L),
                  Arbitraries.of(false, true),
                  Arbitraries.longs().between(0, maxRetention + maxRetention / 2),
                  sequences)
              .as((grace, empty, start, seq) -> new Case(layout, grace, empty, T0 + start, seq));
        });
  }

  @Property(tries = 400)
  void outputAppliedToEmptyFilesEqualsUpdateManyPerPoint(@ForAll("cases") Case c)
      throws IOException {
    String metric = "series." + SERIES.incrementAndGet();
    LAYOUTS_BY_NAME.put(metric, c.layout());
    RollupDriver driver =
        DRIVERS.computeIfAbsent(
            c.grace() + "/" + c.newFilesEmpty(),
            k ->
                new RollupDriver(
                    name -> LAYOUTS_BY_NAME.get(name),
                    c.grace(),
                    T0,
                    null,
                    Map.of(AggregatorConfig.NEW_SERIES_FILES_EMPTY, c.newFilesEmpty())));

    int n = c.steps().size();
    long[] timestamps = new long[n];
    double[] values = new double[n];
    long[] nows = new long[n];
    int accepted = 0;
    long now = c.startNow();
    for (Step s : c.steps()) {
      now += s.nowAdvance();
      long ts = T0 + s.offset();
      driver.clock.set(now);
      driver.send(metric, ts, s.value());
      if (s.emitAfter()) {
        driver.emit();
      }
      // Every point goes to the reference: only whisper itself drops one (older than the maximum
      // retention), and the aggregator must leave the files as whisper would, whatever the grace.
      timestamps[accepted] = ts;
      values[accepted] = s.value();
      nows[accepted] = now;
      accepted++;
    }
    driver.emit();

    List<ArchivePoint> mine = new ArrayList<>();
    // The records of one wall-clock time are one emission, unless a raw point is among them (its
    // series' pending slots go just before it, at the same time): each slot at most once in it.
    Map<Long, List<ArchivePoint>> byTime = new java.util.LinkedHashMap<>();
    List<String> sent = new ArrayList<>();
    for (var r : driver.archiveTopic().readRecordsToList()) {
      ArchivePoint p = r.value();
      if (p.getMetric().toString().equals(metric)) {
        mine.add(p);
        byTime.computeIfAbsent(r.timestamp(), t -> new ArrayList<>()).add(p);
        sent.add(
            r.timestamp()
                + ":"
                + p.getArchive()
                + "@"
                + p.getTimestamp()
                + (p.getNow() == null ? "" : "/now " + p.getNow()));
      }
    }
    for (List<ArchivePoint> emission : byTime.values()) {
      if (emission.stream().allMatch(p -> p.getNow() == null)) {
        Map<String, Integer> slots = new HashMap<>();
        for (ArchivePoint p : emission) {
          String slot = p.getArchive() + "@" + p.getTimestamp();
          assertThat(slots.merge(slot, 1, Integer::sum)).as("%s in %s", slot, sent).isEqualTo(1);
        }
      }
    }
    Path dir = Files.createTempDirectory("rollup-diff");
    try {
      var expected =
          ArchiveDump.reference(
              dir.resolve("reference.wsp"),
              c.layout(),
              java.util.Arrays.copyOf(timestamps, accepted),
              java.util.Arrays.copyOf(values, accepted),
              java.util.Arrays.copyOf(nows, accepted));
      var actual = ArchiveDump.applied(dir.resolve("applied.wsp"), c.layout(), mine);
      assertThat(actual).as("archives of %s", c).isEqualTo(expected);
    } finally {
      Files.deleteIfExists(dir.resolve("reference.wsp"));
      Files.deleteIfExists(dir.resolve("applied.wsp"));
      Files.deleteIfExists(dir);
    }
  }

  @AfterContainer
  static void closeDrivers() {
    DRIVERS.values().forEach(RollupDriver::close);
    DRIVERS.clear();
  }
}

package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.WhisperBytes.assertBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WhisperFile#updateEach} leaves the file that one {@code update_many} call per point, each
 * with its own {@code now}, leaves: against this implementation's own calls here, and against
 * python3-whisper's in {@link ReferenceDifferentialTest}.
 */
class UpdateEachTest {

  /** Points in the order a series' raw points reach the sink: each with the now it was seen at. */
  record Points(long[] timestamps, double[] values, long[] nows) {

    int count() {
      return timestamps.length;
    }
  }

  @Property(tries = 300)
  void liveLikeRunsLeaveTheBytesOfOneCallPerPoint(@ForAll long seed) throws Exception {
    Random rnd = new Random(seed);
    SeriesLayout layout = ReferenceDifferentialTest.randomLayout(rnd);
    assertSameAsOneByOne(seed, layout, liveLike(rnd, layout));
  }

  @Property(tries = 200)
  void anyOrderLeavesTheBytesOfOneCallPerPoint(@ForAll long seed) throws Exception {
    Random rnd = new Random(seed);
    SeriesLayout layout = ReferenceDifferentialTest.randomLayout(rnd);
    assertSameAsOneByOne(seed, layout, flatten(ReferenceDifferentialTest.randomCalls(rnd, layout)));
  }

  @Test
  void anHourOfLivePointsRollsUpAsOnePointAtATime(@TempDir Path tmp) throws Exception {
    // 10s:1h,60s:1d,600s:30d; 360 points 10 s apart cross 60 minutes and 6 ten-minute intervals
    SeriesLayout layout =
        new SeriesLayout(
            List.of(
                new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440), new ArchiveSpec(600, 4320)),
            AggregationMethod.AVERAGE,
            0.5f);
    int n = 360;
    long[] ts = new long[n];
    double[] vs = new double[n];
    long[] nows = new long[n];
    long start = 1_700_000_000L / 600 * 600;
    for (int i = 0; i < n; i++) {
      ts[i] = start + 10L * i;
      vs[i] = i;
      nows[i] = ts[i] + 3;
    }
    Path each = tmp.resolve("each.wsp");
    Path single = tmp.resolve("single.wsp");
    try (WhisperFile a = WhisperFile.create(each, layout, FillMode.SPARSE);
        WhisperFile b = WhisperFile.create(single, layout, FillMode.SPARSE)) {
      a.updateEach(ts, vs, nows, n);
      for (int i = 0; i < n; i++) {
        b.updateMany(new long[] {ts[i]}, new double[] {vs[i]}, 1, nows[i]);
      }
      FetchResult minutes = a.fetch(start, start + 3600, start + 3605, 60);
      assertThat(minutes.values()).hasSize(60);
      // whisper's fetch starts a step after from: entry k is minute k + 1, the mean of the
      // ten-second
      // values 6(k + 1) to 6(k + 1) + 5
      assertThat(minutes.values()[10]).isEqualTo(68.5);
      FetchResult tens = a.fetch(start, start + 3600, start + 3605, 600);
      // entry 2 is the interval from 1,800 s: the ten-second values 180 to 239
      assertThat(tens.values()[2]).isEqualTo(209.5);
    }
    assertBytes(Files.readAllBytes(each), Files.readAllBytes(single), "360 live points");
  }

  @Test
  void aTimestampOutsideU32FailsAfterThePointsBeforeIt(@TempDir Path tmp) throws Exception {
    SeriesLayout layout =
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 60), new ArchiveSpec(60, 60)), AggregationMethod.SUM, 0f);
    long base = 1_700_000_000L;
    long[] ts = {base, base + 10, -20, base + 30};
    double[] vs = {1, 2, 3, 4};
    long[] nows = {base + 1, base + 11, -15, base + 31};
    Path file = tmp.resolve("u32.wsp");
    try (WhisperFile wsp = WhisperFile.create(file, layout, FillMode.SPARSE)) {
      assertThatThrownBy(() -> wsp.updateEach(ts, vs, nows, 4))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("u32");
      FetchResult r = wsp.fetch(base - 10, base + 40, base + 41);
      assertThat(r.values()).containsExactly(1.0, 2.0, null, null, null);
    }
  }

  private static void assertSameAsOneByOne(long seed, SeriesLayout layout, Points points)
      throws Exception {
    Path dir = Files.createTempDirectory("whisper-each");
    Path each = dir.resolve("each.wsp");
    Path single = dir.resolve("single.wsp");
    try {
      try (WhisperFile a = WhisperFile.create(each, layout, FillMode.SPARSE);
          WhisperFile b = WhisperFile.create(single, layout, FillMode.SPARSE)) {
        a.updateEach(points.timestamps(), points.values(), points.nows(), points.count());
        for (int i = 0; i < points.count(); i++) {
          b.updateMany(
              new long[] {points.timestamps()[i]},
              new double[] {points.values()[i]},
              1,
              points.nows()[i]);
        }
      }
      assertBytes(
          Files.readAllBytes(each),
          Files.readAllBytes(single),
          "seed " + seed + " layout " + layout.archives() + " xff " + layout.xFilesFactor());
    } finally {
      Files.deleteIfExists(each);
      Files.deleteIfExists(single);
      Files.delete(dir);
    }
  }

  /**
   * Mostly increasing timestamps a step or a few apart, each seen a little after its time, with
   * gaps of up to two laps, repeats, late points, points older than the retention and future ones.
   */
  static Points liveLike(Random rnd, SeriesLayout layout) {
    ArchiveSpec first = layout.archives().get(0);
    long step = first.secondsPerPoint();
    int n = 1 + rnd.nextInt(120);
    long[] ts = new long[n];
    double[] vs = new double[n];
    long[] nows = new long[n];
    long t = 1_700_000_000L + rnd.nextInt(100_000);
    for (int i = 0; i < n; i++) {
      int kind = rnd.nextInt(40);
      if (kind == 0) {
        t += first.retention() + rnd.nextInt((int) first.retention() + 1); // a gap of a lap or more
      } else if (kind < 4) {
        t += step * (2 + rnd.nextInt(4)); // a few missed points
      } else if (kind < 6 && i > 0) {
        ts[i] = ts[rnd.nextInt(i)]; // a repeat of an earlier point
        vs[i] = rnd.nextInt(100);
        nows[i] = t + rnd.nextInt(5);
        continue;
      } else if (kind == 6) {
        ts[i] = t - rnd.nextInt((int) layout.maxRetention() + 600); // late, maybe too old
        vs[i] = rnd.nextInt(100);
        nows[i] = t + rnd.nextInt(5);
        continue;
      } else {
        t += step;
      }
      ts[i] = t + rnd.nextInt((int) step); // not always on the step
      vs[i] = rnd.nextInt(7) == 0 ? Double.NaN : rnd.nextInt(1000) - 300;
      nows[i] = t + (rnd.nextInt(20) == 0 ? -step : rnd.nextInt((int) step * 3 + 1));
    }
    return new Points(ts, vs, nows);
  }

  static Points flatten(List<ReferenceDifferentialTest.Call> calls) {
    List<long[]> rows = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (ReferenceDifferentialTest.Call call : calls) {
      for (int i = 0; i < call.timestamps().length; i++) {
        rows.add(new long[] {call.timestamps()[i], call.now()});
        values.add(call.values()[i]);
      }
    }
    long[] ts = new long[rows.size()];
    double[] vs = new double[rows.size()];
    long[] nows = new long[rows.size()];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = rows.get(i)[0];
      nows[i] = rows.get(i)[1];
      vs[i] = values.get(i);
    }
    return new Points(ts, vs, nows);
  }
}

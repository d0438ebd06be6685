package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.WhisperBytes.assertBytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random layouts, methods, xFilesFactors and update_many sequences applied by this implementation
 * and by python3-whisper; the two files must be identical byte for byte.
 */
@AddLifecycleHook(ReferenceWhisper.Required.class)
class ReferenceDifferentialTest {

  private static final float[] XFFS = {0f, 0.1f, 0.5f, 1f, 0.25f, 0.3333f, 0.75f};
  private static Path dir;

  @BeforeContainer
  static void makeDir() throws Exception {
    dir = Files.createTempDirectory("whisper-diff");
  }

  @AfterContainer
  static void removeDir() throws Exception {
    if (dir != null) {
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  record Call(long now, long[] timestamps, double[] values) {}

  @Property(tries = 80)
  void updateManyMatchesReferenceByteForByte(@ForAll long seed) throws Exception {
    Random rnd = new Random(seed);
    SeriesLayout layout = randomLayout(rnd);
    List<Call> calls = randomCalls(rnd, layout);

    Path expected = dir.resolve(seed + "-py.wsp");
    Path actual = dir.resolve(seed + "-java.wsp");
    String answer = ReferenceWhisper.apply(request(expected, layout, calls));
    assertThat(answer).as("reference for seed %d", seed).isEqualTo("ok");
    try (WhisperFile wsp = WhisperFile.create(actual, layout, FillMode.SPARSE)) {
      for (Call c : calls) {
        wsp.updateMany(c.timestamps(), c.values(), c.timestamps().length, c.now());
      }
    }
    assertBytes(
        Files.readAllBytes(actual),
        Files.readAllBytes(expected),
        "seed "
            + seed
            + " layout "
            + layout.archives()
            + " "
            + layout.method()
            + " xff "
            + layout.xFilesFactor());
    Files.delete(actual);
    Files.delete(expected);
  }

  /** A series' raw points, as the sink gets them, against python3-whisper called once per point. */
  @Property(tries = 60)
  void updateEachMatchesOneReferenceCallPerPoint(@ForAll long seed) throws Exception {
    Random rnd = new Random(seed);
    SeriesLayout layout = randomLayout(rnd);
    UpdateEachTest.Points points =
        rnd.nextBoolean()
            ? UpdateEachTest.liveLike(rnd, layout)
            : UpdateEachTest.flatten(randomCalls(rnd, layout));
    Assume.that(points.count() > 0); // the reference reads at least one call
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < points.count(); i++) {
      calls.add(
          new Call(
              points.nows()[i],
              new long[] {points.timestamps()[i]},
              new double[] {points.values()[i]}));
    }
    Path expected = dir.resolve(seed + "-each-py.wsp");
    Path actual = dir.resolve(seed + "-each-java.wsp");
    String answer = ReferenceWhisper.apply(request(expected, layout, calls));
    assertThat(answer).as("reference for seed %d", seed).isEqualTo("ok");
    try (WhisperFile wsp = WhisperFile.create(actual, layout, FillMode.SPARSE)) {
      wsp.updateEach(points.timestamps(), points.values(), points.nows(), points.count());
    }
    assertBytes(
        Files.readAllBytes(actual),
        Files.readAllBytes(expected),
        "seed " + seed + " layout " + layout.archives() + " xff " + layout.xFilesFactor());
    Files.delete(actual);
    Files.delete(expected);
  }

  static SeriesLayout randomLayout(Random rnd) {
    int[] firstSpp = {1, 5, 10, 60};
    int spp = firstSpp[rnd.nextInt(firstSpp.length)];
    int points = 6 + rnd.nextInt(25);
    List<ArchiveSpec> archives = new ArrayList<>();
    archives.add(new ArchiveSpec(spp, points));
    int count = 1 + rnd.nextInt(3);
    for (int i = 1; i < count; i++) {
      ArchiveSpec prev = archives.get(i - 1);
      int factor = 2 + rnd.nextInt(Math.min(5, prev.points() - 1));
      int nextSpp = prev.secondsPerPoint() * factor;
      int nextPoints = (int) (prev.retention() / nextSpp) + 1 + rnd.nextInt(10);
      nextPoints = Math.max(nextPoints, 6);
      archives.add(new ArchiveSpec(nextSpp, nextPoints));
    }
    AggregationMethod method = AggregationMethod.values()[rnd.nextInt(8)];
    return new SeriesLayout(archives, method, XFFS[rnd.nextInt(XFFS.length)]);
  }

  // Ages for archive 0 stay within [-2 steps, retention - 3 steps] so a run never exceeds one lap,
  // a case in which whisper.py writes past the archive's end.
  static List<Call> randomCalls(Random rnd, SeriesLayout layout) {
    ArchiveSpec first = layout.archives().get(0);
    long s0 = first.secondsPerPoint();
    long r0 = first.retention();
    long maxRetention = layout.maxRetention();
    long now = 1_700_000_000L + rnd.nextInt(100_000);
    List<Call> calls = new ArrayList<>();
    int n = 1 + rnd.nextInt(4);
    for (int c = 0; c < n; c++) {
      now +=
          rnd.nextInt(3) == 0
              ? rnd.nextInt((int) Math.min(maxRetention, 5000) + 1)
              : rnd.nextInt((int) s0 * 4 + 1);
      int points = rnd.nextInt(40);
      long[] ts = new long[points];
      double[] vs = new double[points];
      int style = rnd.nextInt(4);
      long cursor = now - rnd.nextInt((int) Math.max(1, r0 - 3 * s0 + 1));
      for (int i = 0; i < points; i++) {
        long t;
        if (i > 0 && rnd.nextInt(6) == 0) {
          t = ts[rnd.nextInt(i)]; // duplicate timestamp
        } else if (style == 0) {
          t = cursor + i * s0 + rnd.nextInt((int) s0); // in order, dense
        } else if (style == 1) {
          t = cursor + i * s0 * (1 + rnd.nextInt(4)); // sparse
        } else if (rnd.nextInt(4) == 0) {
          t =
              now
                  - r0
                  - 1
                  - rnd.nextInt((int) (maxRetention - r0 + 60)); // older archives or dropped
        } else {
          t = now - (long) (rnd.nextDouble() * (r0 - s0)) + 2 * s0 - s0; // anywhere in archive 0
        }
        long age = now - t;
        if (age < r0 && age > r0 - 3 * s0) {
          t = now - (r0 - 3 * s0);
        }
        if (age < -2 * s0) {
          t = now + 2 * s0;
        }
        ts[i] = t;
        vs[i] = randomValue(rnd);
      }
      calls.add(new Call(now, ts, vs));
    }
    return calls;
  }

  private static double randomValue(Random rnd) {
    switch (rnd.nextInt(12)) {
      case 0:
        return -0.0;
      case 1:
        return rnd.nextInt(5) == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
      case 2:
        return rnd.nextInt(10) - 5;
      default:
        return (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(12) - 4);
    }
  }

  static String request(Path path, SeriesLayout layout, List<Call> calls) {
    StringBuilder sb = new StringBuilder();
    sb.append(path).append('\t');
    for (int i = 0; i < layout.archives().size(); i++) {
      ArchiveSpec a = layout.archives().get(i);
      sb.append(i == 0 ? "" : ",").append(a.secondsPerPoint()).append(':').append(a.points());
    }
    sb.append('\t').append(layout.method().carbonName()).append('\t');
    sb.append(Double.toHexString(layout.xFilesFactor())).append('\t');
    for (int c = 0; c < calls.size(); c++) {
      Call call = calls.get(c);
      sb.append(c == 0 ? "" : ";").append(call.now()).append('=');
      for (int i = 0; i < call.timestamps().length; i++) {
        sb.append(i == 0 ? "" : ",")
            .append(call.timestamps()[i])
            .append(':')
            .append(Double.toHexString(call.values()[i]));
      }
    }
    return sb.toString();
  }
}

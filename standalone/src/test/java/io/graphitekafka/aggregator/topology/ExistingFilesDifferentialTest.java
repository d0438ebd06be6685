package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.sink.consumer.RecordApplier;
import io.graphitekafka.whisper.FillMode;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Series whose file the aggregator has never seen being written: carbon-cache's files taken over,
 * an imported tree, files kept through a reprocessing. A file first gets a history, written with
 * whisper's own {@code update_many} one point at a time (as the earlier writer would have), up to
 * the moment the pipeline takes the series over; then live and late points go through the real
 * topology (default settings: a new series' file may hold points) and the sink's write path. The
 * file must end byte for byte as whisper leaves it when it gets every point, history and
 * pipeline's, in that order. {@code WhisperFile.updateMany}, checked byte for byte against
 * python3-whisper in whisper-sink, is the reference.
 */
class ExistingFilesDifferentialTest {

  private static final long T0 = 1_700_000_400L; // a multiple of 600
  private static final Map<String, SeriesLayout> LAYOUTS = new ConcurrentHashMap<>();
  private static final AtomicLong SERIES = new AtomicLong();
  private static final Map<Long, RollupDriver> DRIVERS = new ConcurrentHashMap<>();

  @Property(tries = 200)
  void pointsOnTopOfAnEarlierWritersFileEndAsWhisperLeavesThem(@ForAll long seed)
      throws IOException {
    Random random = new Random(seed);
    SeriesLayout base =
        RollupDifferentialTest.LAYOUTS.get(
            random.nextInt(
                RollupDifferentialTest.LAYOUTS.size() - 1)); // the ones with coarser archives
    SeriesLayout layout =
        new SeriesLayout(
            base.archives(),
            AggregationMethod.values()[random.nextInt(AggregationMethod.values().length)],
            RollupDifferentialTest.XFFS.get(random.nextInt(RollupDifferentialTest.XFFS.size())));
    long maxRetention = layout.maxRetention();
    long finest = layout.archives().get(0).secondsPerPoint();
    long grace = new long[] {0, 30, 300, 1_000_000}[random.nextInt(4)];
    String metric = "existing." + SERIES.incrementAndGet();
    LAYOUTS.put(metric, layout);
    RollupDriver driver =
        DRIVERS.computeIfAbsent(grace, g -> new RollupDriver(LAYOUTS::get, g, T0));

    // The earlier writer's history: live points up to the takeover, some late ones among them.
    long takeover = T0 + maxRetention + random.nextInt((int) maxRetention);
    long now = takeover - random.nextInt((int) (2 * finest * 10));
    int historyCount = 1 + random.nextInt(40);
    long[] historyTimes = new long[historyCount];
    double[] historyValues = new double[historyCount];
    long[] historyNows = new long[historyCount];
    for (int i = 0; i < historyCount; i++) {
      now = Math.min(takeover, now + random.nextInt((int) finest + 1));
      historyTimes[i] =
          random.nextInt(4) == 0
              ? now - random.nextInt((int) maxRetention)
              : now - random.nextInt((int) (3 * finest));
      historyValues[i] = value(random);
      historyNows[i] = now;
    }

    Path dir = Files.createTempDirectory("existing-files");
    try {
      Path root = dir.resolve("whisper");
      Path file = SeriesPaths.resolve(root, metric);
      Path reference = dir.resolve("reference.wsp");
      Files.createDirectories(file.getParent());
      try (WhisperFile history = WhisperFile.create(file, layout, FillMode.ZERO)) {
        for (int i = 0; i < historyCount; i++) {
          history.updateMany(
              new long[] {historyTimes[i]}, new double[] {historyValues[i]}, 1, historyNows[i]);
        }
      }
      Files.copy(file, reference);

      // The pipeline takes over: live points from the takeover on, late points into the history.
      int count = 1 + random.nextInt(60);
      List<String> steps = new ArrayList<>();
      now = takeover;
      long minNow = Long.MAX_VALUE;
      try (WhisperFile expected = WhisperFile.open(reference)) {
        for (int i = 0; i < count; i++) {
          now += random.nextInt(3) == 0 ? random.nextInt((int) finest * 2) : 0;
          long ts =
              switch (random.nextInt(4)) {
                case 0 -> now - random.nextInt((int) maxRetention + 20); // late, any age
                case 1 -> now - random.nextInt((int) (6 * finest)); // just behind
                default -> now + random.nextInt(2); // live
              };
          double v = value(random);
          driver.clock.set(now);
          driver.send(metric, ts, v);
          if (random.nextInt(8) == 0) {
            driver.emit();
          }
          expected.updateMany(new long[] {ts}, new double[] {v}, 1, now);
          minNow = Math.min(minNow, now);
          steps.add(ts + "=" + v + "@" + now);
        }
      }
      driver.emit();
      List<byte[]> output = new ArrayList<>();
      for (var r : driver.rawArchiveRecords()) {
        if (r.key.equals(metric)) {
          output.add(r.value);
        }
      }
      try (RecordApplier sink =
          new RecordApplier(root, Clock.fixed(Instant.ofEpochSecond(minNow), ZoneOffset.UTC))) {
        sink.apply(output);
      }

      String description =
          String.format(
              "seed %d: %s, grace %d, history up to %d, then %s",
              seed, layout, grace, takeover, steps);
      assertThat(ArchiveDump.read(file)).as(description).isEqualTo(ArchiveDump.read(reference));
      assertThat(Files.readAllBytes(file)).as(description).isEqualTo(Files.readAllBytes(reference));
    } finally {
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /**
   * A case found by the property: a late point whose age is just within the coarsest archive's
   * retention while its slot starts before it, which the sink once dropped as too old.
   */
  @Example
  void aLatePointWhoseSlotStartsBeforeTheRetention() throws IOException {
    pointsOnTopOfAnEarlierWritersFileEndAsWhisperLeavesThem(-233);
  }

  /**
   * A case found by the property: two laps of one ring position written in one sink batch, the
   * older lap last, which the sink once wrote in interval order instead of the order they came in.
   */
  @Example
  void twoLapsOfOneSlotInOneBatchEndAsTheLastWrittenLeavesIt() throws IOException {
    pointsOnTopOfAnEarlierWritersFileEndAsWhisperLeavesThem(-1339586L);
  }

  private static double value(Random random) {
    return random.nextInt(4) == 0 ? random.nextDouble() * 100 : random.nextInt(11) - 5;
  }

  @AfterContainer
  static void closeDrivers() {
    DRIVERS.values().forEach(RollupDriver::close);
    DRIVERS.clear();
  }
}

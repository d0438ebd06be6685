package io.graphitekafka.whisper;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the sink's hot path, {@link WhisperFile#writeSlots} into 1,000 open files (page
 * cache, no fsync), reported per point; and of {@link WhisperFile#create}, reported per file.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class WhisperFileBenchmark {

  static final int FILES = 1000;
  static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(
              new ArchiveSpec(60, 1440), new ArchiveSpec(300, 2016), new ArchiveSpec(3600, 8760)),
          AggregationMethod.AVERAGE,
          0.5f);

  /** 1,000 open files, each written with a batch of consecutive minute slots per invocation. */
  @State(Scope.Benchmark)
  public static class OpenFiles {
    @Param({"10", "100"})
    int pointsPerBatch;

    Path dir;
    WhisperFile[] files;
    long[] intervals;
    double[] values;
    long next = 1_700_000_040L;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("whisper-bench");
      files = new WhisperFile[FILES];
      for (int i = 0; i < FILES; i++) {
        files[i] = WhisperFile.create(dir.resolve("m" + i + ".wsp"), LAYOUT, FillMode.SPARSE);
      }
      intervals = new long[pointsPerBatch];
      values = new double[pointsPerBatch];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      for (WhisperFile f : files) {
        f.close();
      }
      deleteTree(dir);
    }
  }

  /** Writes one batch into each of the 1,000 files; the batch moves on by its length every time. */
  @Benchmark
  @OperationsPerInvocation(FILES)
  public void writeSlotsBatchPerFile(OpenFiles s) throws IOException {
    int n = s.pointsPerBatch;
    for (int i = 0; i < n; i++) {
      s.intervals[i] = s.next + 60L * i;
      s.values[i] = i * 0.5;
    }
    s.next += 60L * n;
    for (WhisperFile f : s.files) {
      f.writeSlots(0, s.intervals, s.values, n);
    }
  }

  /** 10s:6h,1m:7d,10m:5y (conf/storage-schemas.conf's default): 3.3 MB a file. */
  static final SeriesLayout LARGE_LAYOUT =
      new SeriesLayout(
          List.of(
              new ArchiveSpec(10, 2160), new ArchiveSpec(60, 10080), new ArchiveSpec(600, 262800)),
          AggregationMethod.AVERAGE,
          0.5f);

  /** A directory that receives new files during one iteration and is removed after it. */
  @State(Scope.Benchmark)
  public static class CreateDir {
    @Param({"ZERO", "SPARSE", "FALLOCATE"})
    FillMode fill;

    /** {@code small}: {@link #LAYOUT}, 121 KiB; {@code large}: {@link #LARGE_LAYOUT}, 3.3 MB. */
    @Param({"small", "large"})
    String layout;

    Path dir;
    long counter;

    @Setup(Level.Iteration)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("whisper-create");
    }

    @TearDown(Level.Iteration)
    public void tearDown() throws IOException {
      deleteTree(dir);
    }
  }

  @Benchmark
  public Path create(CreateDir s) throws IOException {
    Path p = s.dir.resolve("c" + s.counter++ + ".wsp");
    SeriesLayout layout = s.layout.equals("large") ? LARGE_LAYOUT : LAYOUT;
    try (WhisperFile f = WhisperFile.create(p, layout, s.fill)) {
      return f.path();
    }
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}

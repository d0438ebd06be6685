package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.schemas.naming.InvalidSeriesNameException;
import io.graphitekafka.schemas.storage.AggregationMethod;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.sink.SinkMetrics;
import io.graphitekafka.sink.whisper.FillMode;
import io.graphitekafka.sink.whisper.WhisperFile;
import io.graphitekafka.sink.whisper.WhisperFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveWriterTest {

  private static final long NOW = 1_800_000_000L;
  private static final long T0 = NOW - 600;
  private static final SeriesLayout RECORDS = new SeriesLayout(
      List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440)), AggregationMethod.AVERAGE, 0.5f);

  @TempDir Path dataDir;
  private final SinkMetrics metrics = new SinkMetrics();
  private ArchiveWriter writer;

  private ArchiveWriter writer() {
    writer = new ArchiveWriter(dataDir.resolve("whisper"), true, FillMode.SPARSE, false, 2, metrics,
        Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
    return writer;
  }

  @AfterEach
  void close() throws Exception {
    if (writer != null) {
      writer.close();
    }
  }

  private static SeriesBatch batch(String metric, SeriesLayout layout, long[][] points) {
    SeriesBatch b = new SeriesBatch(metric, layout);
    for (long[] p : points) {
      b.add((int) p[0], p[1], p[2]);
    }
    return b;
  }

  @Test
  void writesOnlyTheArchivesAnExistingFileWithAnotherLayoutHasAndCountsTheMismatchOnce()
      throws Exception {
    Path path = dataDir.resolve("whisper/a/b.wsp");
    SeriesLayout existing = new SeriesLayout(
        List.of(new ArchiveSpec(60, 100), new ArchiveSpec(600, 100)), AggregationMethod.MAX, 0f);
    WhisperFile.create(path, existing, FillMode.ZERO).close();
    ArchiveWriter w = writer();

    w.write(batch("a.b", RECORDS, new long[][] {{0, T0, 1}, {1, T0, 2}}));
    w.write(batch("a.b", RECORDS, new long[][] {{1, T0 + 60, 3}}));
    w.flush();

    assertThat(metrics.layoutMismatches.sum()).isEqualTo(1);
    assertThat(metrics.droppedNoArchive.sum()).isEqualTo(1); // the 10 s point: the file has no 10 s archive
    try (WhisperFile f = WhisperFile.openReadOnly(path)) {
      assertThat(f.layout()).isEqualTo(existing); // never reshaped
      assertThat(f.fetch(T0 - 1, T0 + 60, NOW, 60).values()).containsExactly(2.0, 3.0);
    }
  }

  @Test
  void neverWritesIntoACorruptFileAndSaysWhichFile() throws Exception {
    Path path = dataDir.resolve("whisper/bad/file.wsp");
    Files.createDirectories(path.getParent());
    byte[] garbage = {0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    Files.write(path, garbage);
    ArchiveWriter w = writer();

    assertThatThrownBy(() -> w.write(batch("bad.file", RECORDS, new long[][] {{0, T0, 1}})))
        .isInstanceOf(WhisperFormatException.class).hasMessageContaining(path.toString());
    assertThat(Files.readAllBytes(path)).isEqualTo(garbage);
  }

  @Test
  void dropsAndCountsSlotsOlderThanTheirArchivesRetention() throws Exception {
    ArchiveWriter w = writer();
    // archive 0 keeps one hour: T0 - 3600 is past it and shares T0's ring slot
    w.write(batch("c", RECORDS, new long[][] {{0, T0, 5}, {0, T0 - 3600, 9}, {1, T0 - 3600, 4}}));
    w.flush();

    assertThat(metrics.droppedTooOld.sum()).isEqualTo(1);
    assertThat(metrics.committedPoints.sum()).isEqualTo(2);
    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/c.wsp"))) {
      assertThat(f.fetch(T0 - 1, T0, NOW).values()[0]).isEqualTo(5.0);
      assertThat(f.fetch(T0 - 3601, T0 - 3600, NOW, 60).values()[0]).isEqualTo(4.0);
    }
  }

  @Test
  void keepsFilesCorrectWhenTheOpenFileLimitEvictsThem() throws Exception {
    ArchiveWriter w = writer(); // at most 2 open
    for (String m : List.of("m1", "m2", "m3", "m1")) {
      w.write(batch(m, RECORDS, new long[][] {{0, T0, m.charAt(1) - '0'}}));
    }
    w.flush();
    assertThat(metrics.creates.sum()).isEqualTo(3);
    for (String m : List.of("m1", "m2", "m3")) {
      try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/" + m + ".wsp"))) {
        assertThat(f.fetch(T0 - 1, T0, NOW).values()[0]).isEqualTo((double) (m.charAt(1) - '0'));
      }
    }
  }

  @Test
  void refusesNamesThatCannotBeAFileInsideTheWhisperDirectory() {
    ArchiveWriter w = writer();
    for (String name : List.of("a..b", "a/b", ".hidden", "x.", "a.\0.b", "")) {
      assertThatThrownBy(() -> w.pathOf(name)).as(name).isInstanceOf(InvalidSeriesNameException.class);
    }
    assertThat(w.pathOf("servers.web01.cpu"))
        .isEqualTo(dataDir.resolve("whisper/servers/web01/cpu.wsp").toAbsolutePath().normalize());
  }
}

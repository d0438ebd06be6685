package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.whisper.FillMode;
import io.graphitekafka.whisper.WhisperFile;
import io.graphitekafka.whisper.WhisperFormatException;
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
  private static final SeriesLayout RECORDS =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440)),
          AggregationMethod.AVERAGE,
          0.5f);

  @TempDir Path dataDir;
  private final SinkStats metrics = SinkStats.create();
  private ArchiveWriter writer;

  private ArchiveWriter writer() {
    writer =
        new ArchiveWriter(
            FillMode.SPARSE,
            false,
            2,
            metrics,
            Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
    return writer;
  }

  @AfterEach
  void close() throws Exception {
    if (writer != null) {
      writer.close();
    }
  }

  private SeriesBatch batch(String metric, SeriesLayout layout, long[][] points) {
    SeriesBatch b =
        new SeriesBatch(
            metric, SeriesPaths.resolve(dataDir.resolve("whisper"), metric), layout, true);
    for (long[] p : points) {
      b.add(layout.archives().get((int) p[0]).secondsPerPoint(), p[1], p[2]);
    }
    return b;
  }

  @Test
  void withFsyncFilesInNewNestedDirectoriesAreWrittenAndFlushed() throws Exception {
    writer =
        new ArchiveWriter(
            FillMode.SPARSE,
            true,
            2,
            metrics,
            Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

    writer.write(batch("deep.new.dirs.x", RECORDS, new long[][] {{0, T0, 1}}));
    writer.write(batch("deep.new.dirs.y", RECORDS, new long[][] {{0, T0, 2}}));
    writer.write(batch("other.z", RECORDS, new long[][] {{0, T0, 3}}));
    writer.flush(); // syncs every directory made for the new files, up to the whisper root
    writer.flush();

    assertThat(metrics.creates.sum()).isEqualTo(3);
    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/deep/new/dirs/y.wsp"))) {
      assertThat(f.fetch(T0 - 1, T0 + 9, NOW).values()).containsExactly(2.0);
    }
  }

  @Test
  void writesOnlyTheArchivesAnExistingFileWithAnotherLayoutHasAndCountsTheMismatchOnce()
      throws Exception {
    Path path = dataDir.resolve("whisper/a/b.wsp");
    SeriesLayout existing =
        new SeriesLayout(
            List.of(new ArchiveSpec(60, 100), new ArchiveSpec(600, 100)),
            AggregationMethod.MAX,
            0f);
    WhisperFile.create(path, existing, FillMode.ZERO).close();
    ArchiveWriter w = writer();

    WriteResult first = w.write(batch("a.b", RECORDS, new long[][] {{0, T0, 1}, {1, T0, 2}}));
    w.write(batch("a.b", RECORDS, new long[][] {{1, T0 + 60, 3}}));
    w.flush();

    assertThat(metrics.layoutMismatches.sum()).isEqualTo(1);
    assertThat(first.droppedNoArchive())
        .isEqualTo(1); // the 10 s point: the file has no 10 s archive
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
        .isInstanceOf(WhisperFormatException.class)
        .hasMessageContaining(path.toString());
    assertThat(Files.readAllBytes(path)).isEqualTo(garbage);
  }

  @Test
  void dropsAndCountsSlotsOlderThanTheirArchivesRetention() throws Exception {
    ArchiveWriter w = writer();
    // archive 0 keeps one hour: T0 - 3600 is past it and shares T0's ring slot
    WriteResult r =
        w.write(
            batch("c", RECORDS, new long[][] {{0, T0, 5}, {0, T0 - 3600, 9}, {1, T0 - 3600, 4}}));
    w.flush();

    assertThat(r.droppedTooOld()).isEqualTo(1);
    assertThat(r.written()).isEqualTo(2);
    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/c.wsp"))) {
      assertThat(f.fetch(T0 - 1, T0, NOW).values()[0]).isEqualTo(5.0);
      assertThat(f.fetch(T0 - 3601, T0 - 3600, NOW, 60).values()[0]).isEqualTo(4.0);
    }
  }

  @Test
  void keepsASlotWhileItsLastSecondIsWithinTheRetentionAsWhisperTakesSuchAPoint() throws Exception {
    writer =
        new ArchiveWriter(
            FillMode.SPARSE,
            false,
            2,
            metrics,
            Clock.fixed(Instant.ofEpochSecond(NOW + 5), ZoneOffset.UTC));
    // At NOW + 5 whisper takes a point at NOW - 3595 (age 3600) into slot NOW - 3600; no second of
    // slot NOW - 3610 is that young.
    WriteResult r =
        writer.write(batch("edge", RECORDS, new long[][] {{0, NOW - 3600, 1}, {0, NOW - 3610, 2}}));
    assertThat(r.written()).isEqualTo(1);
    assertThat(r.droppedTooOld()).isEqualTo(1);
  }

  @Test
  void ofTwoLapsOfOneSlotInABatchTheLastWrittenStaysAsIfWrittenOneByOne() throws Exception {
    // archive 0 keeps one hour: T0 + 3600 shares T0's ring slot, and T0 comes last
    writer()
        .write(
            batch("laps", RECORDS, new long[][] {{0, T0 + 3600, 1}, {0, T0 + 10, 3}, {0, T0, 2}}));
    writer.flush();

    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/laps.wsp"))) {
      assertThat(f.fetch(T0 - 1, T0 + 19, NOW).values()).containsExactly(2.0, 3.0);
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
  void fileBytesDoNotDependOnHowTheStreamWasCutIntoBatches() throws Exception {
    // the same slots in offset order; T0 + 30 comes first, lower intervals later
    long[][] stream = {
      {0, T0 + 30, 1},
      {0, T0, 2},
      {0, T0 + 10, 3},
      {1, T0 + 60, 4},
      {1, T0, 5},
      {0, T0 + 30, 6},
      {0, T0 - 50, 7}
    };
    ArchiveWriter w = writer();
    w.write(batch("whole", RECORDS, stream));
    for (long[] p : stream) {
      w.write(batch("cut", RECORDS, new long[][] {p}));
    }
    w.write(batch("halves", RECORDS, java.util.Arrays.copyOfRange(stream, 0, 3)));
    w.write(batch("halves", RECORDS, java.util.Arrays.copyOfRange(stream, 3, stream.length)));
    w.flush();

    byte[] whole = Files.readAllBytes(dataDir.resolve("whisper/whole.wsp"));
    assertThat(Files.readAllBytes(dataDir.resolve("whisper/cut.wsp"))).isEqualTo(whole);
    assertThat(Files.readAllBytes(dataDir.resolve("whisper/halves.wsp"))).isEqualTo(whole);
    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/whole.wsp"))) {
      // the first slot in offset order became the base of archive 0: its first slot holds T0 + 30
      assertThat(
              java.nio.ByteBuffer.wrap(whole, (int) f.header().archives().get(0).offset(), 4)
                  .getInt())
          .isEqualTo((int) (T0 + 30));
      assertThat(f.fetch(T0 - 60, T0 + 30, NOW).values())
          .containsExactly(7.0, null, null, null, null, 2.0, 3.0, null, 6.0);
    }
  }

  @Test
  void replacesAFileLeftHalfCreatedByACrash() throws Exception {
    Path leftover = dataDir.resolve("whisper/half.wsp.creating");
    Files.createDirectories(leftover.getParent());
    Files.write(leftover, new byte[] {1, 2, 3});
    ArchiveWriter w = writer();
    w.write(batch("half", RECORDS, new long[][] {{0, T0, 1}}));
    w.flush();
    assertThat(leftover).doesNotExist();
    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/half.wsp"))) {
      assertThat(f.fetch(T0 - 1, T0, NOW).values()[0]).isEqualTo(1.0);
    }
  }

  private static DecodedPoint slot(SeriesLayout layout, int archive, long interval, double value) {
    return new DecodedPoint(
        "r.s",
        null,
        layout,
        layout.archives().get(archive).secondsPerPoint(),
        interval,
        value,
        DecodedPoint.NOT_RAW);
  }

  private static DecodedPoint raw(SeriesLayout layout, long timestamp, double value, long now) {
    return new DecodedPoint("r.s", null, layout, 0, timestamp, value, now);
  }

  private SeriesBatch batchOf(SeriesLayout layout, DecodedPoint... points) {
    SeriesBatch b = new SeriesBatch("r.s", dataDir.resolve("whisper/r/s.wsp"), layout, true);
    for (DecodedPoint p : points) {
      b.add(p);
    }
    return b;
  }

  @Test
  void rawPointsAreAppliedAsUpdateManyAgainstTheFileInOrderWithTheSlots() throws Exception {
    // Slots, then raw points, then a slot again: the raw points' propagation reads the slots
    // written before them, and the last slot rewrites what a raw point wrote.
    SeriesBatch b =
        batchOf(
            RECORDS,
            slot(RECORDS, 0, T0, 1),
            slot(RECORDS, 0, T0 + 10, 2),
            raw(RECORDS, T0 + 25, 6, NOW),
            raw(RECORDS, T0 - 2000, 9, NOW),
            slot(RECORDS, 0, T0 + 20, 3));
    assertThat(b.points()).isEqualTo(5);
    WriteResult result = writer().write(b);
    writer.flush();

    Path reference = dataDir.resolve("reference.wsp");
    try (WhisperFile f = WhisperFile.create(reference, RECORDS, FillMode.SPARSE)) {
      f.writeSlots(0, new long[] {T0, T0 + 10}, new double[] {1, 2}, 2);
      f.updateMany(new long[] {T0 + 25}, new double[] {6}, 1, NOW);
      f.updateMany(new long[] {T0 - 2000}, new double[] {9}, 1, NOW);
      f.writeSlots(0, new long[] {T0 + 20}, new double[] {3}, 1);
    }
    assertThat(result).isEqualTo(new WriteResult(5, 0, 0));
    assertThat(Files.readAllBytes(dataDir.resolve("whisper/r/s.wsp")))
        .isEqualTo(Files.readAllBytes(reference));
    try (WhisperFile f = WhisperFile.openReadOnly(dataDir.resolve("whisper/r/s.wsp"))) {
      // the minute from the two slots and the raw point (T0 + 20 was raw 6 when it propagated)
      assertThat(f.fetch(T0 - 1, T0 + 59, NOW, 60).values()).containsExactly(3.0);
      // the point 2600 s old is in the 10 s archive, which keeps 3600 s
      assertThat(f.fetch(T0 - 2001, T0 - 1991, NOW).values()).containsExactly(9.0);
    }
  }

  @Test
  void aRawPointOlderThanTheFilesRetentionAtItsNowIsDroppedAndCountedAsWhisperDropsIt()
      throws Exception {
    long maxRetention = RECORDS.maxRetention();
    WriteResult result =
        writer()
            .write(
                batchOf(
                    RECORDS,
                    raw(RECORDS, NOW - maxRetention - 1, 1, NOW),
                    raw(RECORDS, NOW - 60, 2, NOW)));
    assertThat(result).isEqualTo(new WriteResult(1, 1, 0));
  }

  @Test
  void aRawPointGoesIntoTheArchivesOfTheFileItFindsNotThoseOfItsRecord() throws Exception {
    Path path = dataDir.resolve("whisper/r/s.wsp");
    SeriesLayout existing =
        new SeriesLayout(
            List.of(new ArchiveSpec(60, 100), new ArchiveSpec(600, 100)),
            AggregationMethod.MAX,
            0f);
    WhisperFile.create(path, existing, FillMode.ZERO).close();

    writer().write(batchOf(RECORDS, raw(RECORDS, T0 + 70, 4, NOW)));
    writer.flush();

    try (WhisperFile f = WhisperFile.openReadOnly(path)) {
      assertThat(f.fetch(T0 + 59, T0 + 119, NOW).values()).containsExactly(4.0);
      assertThat(f.fetch(T0 - 1, T0 + 599, NOW, 600).values()).containsExactly(4.0);
    }
  }
}

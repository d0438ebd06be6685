package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.WhisperBytes.bytes;
import static io.graphitekafka.whisper.WhisperBytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spec's worked examples, slot writes, validation and error handling. */
class WhisperFileTest {

  private static final long T0 = 1699999800L; // a multiple of 300
  private static final SeriesLayout EXAMPLE_B =
      layout(AggregationMethod.AVERAGE, 0.5f, 10, 6, 60, 5, 300, 6);

  @TempDir Path dir;

  static SeriesLayout layout(AggregationMethod method, float xff, int... sppPoints) {
    List<ArchiveSpec> specs = new java.util.ArrayList<>();
    for (int i = 0; i < sppPoints.length; i += 2) {
      specs.add(new ArchiveSpec(sppPoints[i], sppPoints[i + 1]));
    }
    return new SeriesLayout(specs, method, xff);
  }

  private static byte[] point(long ts, double value) {
    return ByteBuffer.allocate(12).putInt((int) ts).putDouble(value).array();
  }

  @Test
  void createsExampleAHeaderFromUnsortedArchives() throws Exception {
    Path file = dir.resolve("a.wsp");
    SeriesLayout unsorted =
        layout(AggregationMethod.AVERAGE, 0.5f, 3600, 26280, 60, 1440, 300, 8640);
    try (WhisperFile wsp = WhisperFile.create(file, unsorted, FillMode.SPARSE)) {
      assertThat(wsp.header().fileSize()).isEqualTo(436372);
      assertThat(wsp.header().maxRetention()).isEqualTo(94608000);
      assertThat(wsp.header().archives())
          .extracting(ArchiveInfo::offset)
          .containsExactly(52L, 17332L, 121012L);
    }
    assertThat(Files.size(file)).isEqualTo(436372);
    assertThat(hex(Files.readAllBytes(file), 0, 52))
        .isEqualTo(
            "00000001"
                + "05a39a80"
                + "3f000000"
                + "00000003"
                + "00000034"
                + "0000003c"
                + "000005a0"
                + "000043b4"
                + "0000012c"
                + "000021c0"
                + "0001d8b4"
                + "00000e10"
                + "000066a8");
  }

  @Test
  void encodesXffAndMethodCodes() throws Exception {
    Path file = dir.resolve("sub/dir/m.wsp");
    try (WhisperFile wsp =
        WhisperFile.create(file, layout(AggregationMethod.MAX, 0.1f, 60, 10), FillMode.ZERO)) {
      assertThat(wsp.path()).isEqualTo(file);
    }
    assertThat(hex(Files.readAllBytes(file), 0, 12))
        .isEqualTo("00000004" + "00000258" + "3dcccccd");
  }

  @Test
  void exampleCPropagatesStepByStep() throws Exception {
    Path file = dir.resolve("c.wsp");
    try (WhisperFile wsp = WhisperFile.create(file, EXAMPLE_B, FillMode.ZERO)) {
      assertThat(wsp.header().archives())
          .extracting(ArchiveInfo::offset)
          .containsExactly(52L, 124L, 184L);
      assertThat(Files.size(file)).isEqualTo(256);

      wsp.updateMany(new long[] {T0, T0 + 10, T0 + 20}, new double[] {1, 2, 6}, 3, T0 + 55);
      assertThat(hex(bytes(file, 52, 12), 0, 12)).isEqualTo("6553f038" + "3ff0000000000000");
      assertThat(bytes(file, 64, 24)).isEqualTo(concat(point(T0 + 10, 2), point(T0 + 20, 6)));
      // 3 of 6 known: 0.5 >= 0.5, average 3.0 goes to the first slot of archive 1.
      assertThat(hex(bytes(file, 124, 12), 0, 12)).isEqualTo("6553f038" + "4008000000000000");
      // 1 of 5 known in archive 1: archive 2 stays empty.
      assertThat(bytes(file, 184, 72)).containsOnly(0);

      assertThat(wsp.fetch(T0 - 1, T0 + 50, T0 + 55))
          .isEqualTo(
              new FetchResult(T0, T0 + 60, 10, new Double[] {1.0, 2.0, 6.0, null, null, null}));
      assertThat(wsp.fetch(T0, T0 + 50, T0 + 55))
          .isEqualTo(
              new FetchResult(T0 + 10, T0 + 60, 10, new Double[] {2.0, 6.0, null, null, null}));

      byte[] archive1Before = bytes(file, 124, 60);
      wsp.updateMany(new long[] {T0 + 60, T0 + 70}, new double[] {5, 7}, 2, T0 + 75);
      // T0+60 wraps onto offset 52, T0+70 onto 64; T0+20 at 76 is now stale for T0+80.
      assertThat(bytes(file, 52, 36))
          .isEqualTo(concat(point(T0 + 60, 5), point(T0 + 70, 7), point(T0 + 20, 6)));
      assertThat(bytes(file, 124, 60)).isEqualTo(archive1Before);
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuffer b = ByteBuffer.allocate(parts.length * 12);
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  @Test
  void writeSlotsWritesOneRunSortedAndKeepsTheLastDuplicate() throws Exception {
    Path file = dir.resolve("w.wsp");
    try (WhisperFile wsp =
        WhisperFile.create(file, layout(AggregationMethod.SUM, 0f, 60, 10), FillMode.ZERO)) {
      long b = 1700000040L; // aligned to 60
      // Out of order, unaligned, with a duplicate interval whose later input value must win.
      wsp.writeSlots(
          0, new long[] {b + 120, b, b + 61, b + 125, b + 180}, new double[] {3, 1, 2, 9, 4}, 5);
      assertThat(bytes(file, 28, 48))
          .isEqualTo(concat(point(b, 1), point(b + 60, 2), point(b + 120, 9), point(b + 180, 4)));
      assertThat(bytes(file, 76, 72)).containsOnly(0);
      // Nothing propagates: there is only one archive, and the other slots stay untouched.
      assertThat(wsp.fetch(b - 1, b + 200, b + 200))
          .isEqualTo(new FetchResult(b, b + 240, 60, new Double[] {1.0, 2.0, 9.0, 4.0}));
    }
  }

  @Test
  void writeSlotsWrapsARunAroundTheArchiveEnd() throws Exception {
    Path file = dir.resolve("wrap.wsp");
    try (WhisperFile wsp =
        WhisperFile.create(
            file, layout(AggregationMethod.AVERAGE, 0.5f, 10, 6, 60, 5), FillMode.ZERO)) {
      long b = 1700000000L;
      wsp.writeSlots(0, new long[] {b}, new double[] {1}, 1);
      // Slots b+40 .. b+80: the last two wrap onto slots 0 and 1 (offset 40 = 16 + 2*12).
      wsp.writeSlots(0, new long[] {b + 40, b + 50, b + 60, b + 70}, new double[] {5, 6, 7, 8}, 4);
      assertThat(bytes(file, 40, 72))
          .isEqualTo(
              concat(
                  point(b + 60, 7),
                  point(b + 70, 8),
                  new byte[12],
                  new byte[12],
                  point(b + 40, 5),
                  point(b + 50, 6)));
      // No propagation into archive 1.
      assertThat(bytes(file, 112, 60)).containsOnly(0);
      // The base read from slot 0 is now b+60; later slots still land where whisper puts them.
      wsp.writeSlots(0, new long[] {b + 80}, new double[] {9}, 1);
      assertThat(bytes(file, 64, 12)).isEqualTo(point(b + 80, 9));
    }
  }

  @Test
  void writeSlotsIntoASecondArchiveAndLongerThanOneLap() throws Exception {
    Path file = dir.resolve("lap.wsp");
    try (WhisperFile wsp =
        WhisperFile.create(
            file, layout(AggregationMethod.AVERAGE, 0.5f, 10, 6, 60, 5), FillMode.ZERO)) {
      long b = 1700000040L;
      long[] t = new long[7];
      double[] v = new double[7];
      for (int i = 0; i < 7; i++) {
        t[i] = b + 60L * i;
        v[i] = i;
      }
      wsp.writeSlots(1, t, v, 7);
      // Base b: seven slots over five points leave the newest lap, b+300 and b+360 on slots 0 and
      // 1.
      assertThat(bytes(file, 112, 60))
          .isEqualTo(
              concat(
                  point(b + 300, 5),
                  point(b + 360, 6),
                  point(b + 120, 2),
                  point(b + 180, 3),
                  point(b + 240, 4)));
      assertThat(bytes(file, 40, 72)).containsOnly(0);
    }
  }

  @Test
  void rejectsTimestampsOutsideU32() throws Exception {
    Path file = dir.resolve("u32.wsp");
    try (WhisperFile wsp = WhisperFile.create(file, EXAMPLE_B, FillMode.ZERO)) {
      // 2^32 + 2 aligns down to 2^32 - 6, which fits; 2^32 + 20 does not.
      wsp.writeSlots(0, new long[] {(1L << 32) + 2}, new double[] {1}, 1);
      assertThat(bytes(file, 52, 12)).isEqualTo(point((1L << 32) - 6, 1));
      assertThatThrownBy(() -> wsp.writeSlots(0, new long[] {(1L << 32) + 20}, new double[] {1}, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("u32");
      assertThatThrownBy(() -> wsp.writeSlots(0, new long[] {-10}, new double[] {1}, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("u32");
      long now = (1L << 32) - 5;
      assertThatThrownBy(
              () -> wsp.updateMany(new long[] {now - 10, now + 10}, new double[] {1, 2}, 2, now))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("4294967300");
    }
    // Nothing was written by any of the failed calls.
    assertThat(bytes(file, 64, 192)).containsOnly(0);
  }

  @Test
  void updateMatchesWhisperAndRejectsUncoveredTimestamps() throws Exception {
    Path file = dir.resolve("u.wsp");
    try (WhisperFile wsp = WhisperFile.create(file, EXAMPLE_B, FillMode.ZERO)) {
      assertThatThrownBy(() -> wsp.update(T0 + 1, 1, T0))
          .isInstanceOf(TimestampNotCoveredException.class)
          .hasMessageContaining(file.toString());
      assertThatThrownBy(() -> wsp.update(T0 - 1800, 1, T0))
          .isInstanceOf(TimestampNotCoveredException.class);
      wsp.update(T0, 1, T0 + 5);
      wsp.update(T0 + 10, 2, T0 + 15);
      wsp.update(T0 + 20, 6, T0 + 25);
      assertThat(bytes(file, 52, 36))
          .isEqualTo(concat(point(T0, 1), point(T0 + 10, 2), point(T0 + 20, 6)));
      assertThat(bytes(file, 124, 12)).isEqualTo(point(T0, 3));
      // Age 100 > 60 goes raw into archive 1 at its slot relative to base T0.
      wsp.update(T0 + 61, 4, T0 + 161);
      assertThat(bytes(file, 136, 12)).isEqualTo(point(T0 + 60, 4));
    }
  }

  @Test
  void validatesLayoutsLikeWhisper() {
    assertThatThrownBy(
            () -> WhisperHeader.forLayout(layout(AggregationMethod.AVERAGE, 0.5f, 10, 360, 60, 60)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer");
    assertThatThrownBy(
            () ->
                WhisperHeader.forLayout(layout(AggregationMethod.AVERAGE, 0.5f, 60, 100, 90, 100)))
        .hasMessageContaining("multiple");
    assertThatThrownBy(
            () -> WhisperHeader.forLayout(layout(AggregationMethod.AVERAGE, 0.5f, 10, 3, 60, 100)))
        .hasMessageContaining("consolidates 6");
    assertThatThrownBy(
            () -> WhisperHeader.forLayout(layout(AggregationMethod.AVERAGE, 0.5f, 60, 10, 60, 20)))
        .hasMessageContaining("same precision");
  }

  @Test
  void createFailsForAnExistingFileAndLeavesItAlone() throws Exception {
    Path file = dir.resolve("exists.wsp");
    Files.write(file, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> WhisperFile.create(file, EXAMPLE_B, FillMode.ZERO))
        .isInstanceOf(FileAlreadyExistsException.class)
        .hasMessageContaining(file.toString());
    assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
  }

  @Test
  void fetchSelectsArchivesAndReturnsNullOutsideRetention() throws Exception {
    Path file = dir.resolve("f.wsp");
    try (WhisperFile wsp = WhisperFile.create(file, EXAMPLE_B, FillMode.ZERO)) {
      assertThat(wsp.fetch(T0 + 10, T0 + 20, T0)).isNull();
      assertThat(wsp.fetch(T0 - 4000, T0 - 1801, T0)).isNull();
      assertThat(wsp.fetch(T0 - 100, T0, T0, 60).step()).isEqualTo(60);
      assertThat(wsp.fetch(T0 - 100, T0, T0, 60).values()).containsOnlyNulls();
      assertThatThrownBy(() -> wsp.fetch(T0 - 100, T0, T0, 30))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> wsp.fetch(T0, T0 - 1, T0))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void readOnlyFilesRefuseWrites() throws Exception {
    Path file = dir.resolve("ro.wsp");
    WhisperFile.create(file, EXAMPLE_B, FillMode.ZERO).close();
    try (WhisperFile wsp = WhisperFile.openReadOnly(file)) {
      assertThatThrownBy(() -> wsp.writeSlots(0, new long[] {T0}, new double[] {1}, 1))
          .hasMessageContaining("read-only");
    }
  }

  @Test
  void opensHeadersOfAnyArchiveCountFromOneOrTwoReads() throws Exception {
    // the header is read in one go up to 8 archives, in two beyond: check both sides of the
    // boundary
    for (int count : new int[] {1, 7, 8, 9, 12}) {
      int[] sppPoints = new int[2 * count];
      int spp = 1;
      for (int i = 0; i < count; i++) {
        sppPoints[2 * i] = spp;
        sppPoints[2 * i + 1] = 4;
        spp *= 2;
      }
      SeriesLayout layout = layout(AggregationMethod.MAX, 0.25f, sppPoints);
      Path file = dir.resolve("archives" + count + ".wsp");
      WhisperFile.create(file, layout, FillMode.SPARSE).close();
      try (WhisperFile wsp = WhisperFile.open(file)) {
        assertThat(wsp.layout()).as("%d archives", count).isEqualTo(layout);
        assertThat(wsp.header().archives()).hasSize(count);
      }
    }
  }

  @Test
  void aReopenedFileWritesWhereAFileKeptOpenDoes() throws Exception {
    // Opening reads the first archive's base with the header when the header has up to 8 archives,
    // and on its own after a longer one; either way a reopened file must put slots where a file
    // kept open does, also for a base above 2^31 and for a run that wraps around the archive's end.
    for (int count : new int[] {1, 7, 8, 9}) {
      for (long base : new long[] {1_700_000_000L, 3_000_000_000L}) {
        int[] sppPoints = new int[2 * count];
        for (int i = 0; i < count; i++) {
          sppPoints[2 * i] = 10 << i;
          sppPoints[2 * i + 1] = 5;
        }
        SeriesLayout layout = layout(AggregationMethod.SUM, 0f, sppPoints);
        long[] first = {base};
        long[] later = {base + 30, base + 40, base + 50, base + 60};
        double[] values = {1, 2, 3, 4};
        Path kept = dir.resolve("kept" + count + "-" + base + ".wsp");
        try (WhisperFile wsp = WhisperFile.create(kept, layout, FillMode.SPARSE)) {
          wsp.writeSlots(0, first, new double[] {9}, 1);
          wsp.writeSlots(0, later.clone(), values.clone(), 4);
        }
        Path reopened = dir.resolve("reopened" + count + "-" + base + ".wsp");
        try (WhisperFile wsp = WhisperFile.create(reopened, layout, FillMode.SPARSE)) {
          wsp.writeSlots(0, first, new double[] {9}, 1);
        }
        try (WhisperFile wsp = WhisperFile.open(reopened)) {
          assertThat(wsp.isArchiveEmpty(0)).isFalse();
          wsp.writeSlots(0, later.clone(), values.clone(), 4);
        }
        assertThat(Files.readAllBytes(reopened))
            .as("%d archives, base %d", count, base)
            .isEqualTo(Files.readAllBytes(kept));
        try (WhisperFile wsp = WhisperFile.openReadOnly(reopened)) {
          // base+50 and base+60 wrapped onto the slots of base and base+10
          assertThat(wsp.fetch(base + 29, base + 60, base + 60, 10).values())
              .containsExactly(1.0, 2.0, 3.0, 4.0);
        }
      }
    }
  }
}

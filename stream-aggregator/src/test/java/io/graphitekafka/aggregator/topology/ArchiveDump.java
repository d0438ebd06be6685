package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.whisper.ArchiveInfo;
import io.graphitekafka.whisper.FillMode;
import io.graphitekafka.whisper.WhisperFile;
import io.graphitekafka.whisper.WhisperHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test support: Whisper files as comparable values. Every archive becomes the map of the
 * (timestamp, value) pairs its slots hold, whatever their ring position, so two files compare equal
 * when they hold the same points even if their archives start at different slots.
 */
public final class ArchiveDump {

  private ArchiveDump() {}

  /**
   * Per archive, slot timestamp to value bits (bits, so that NaN equals NaN and -0.0 differs from
   * 0.0).
   */
  public static List<Map<Long, Long>> read(Path file) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
    int archiveCount = buf.getInt(12);
    List<Map<Long, Long>> out = new ArrayList<>();
    for (int a = 0; a < archiveCount; a++) {
      int entry = WhisperHeader.METADATA_SIZE + a * WhisperHeader.ARCHIVE_INFO_SIZE;
      long offset = Integer.toUnsignedLong(buf.getInt(entry));
      int points = buf.getInt(entry + 8);
      Map<Long, Long> slots = new TreeMap<>();
      for (int i = 0; i < points; i++) {
        int at = (int) (offset + (long) i * ArchiveInfo.POINT_SIZE);
        long ts = Integer.toUnsignedLong(buf.getInt(at));
        long bits = buf.getLong(at + 4);
        if (ts != 0 || bits != 0) {
          slots.put(ts, bits);
        }
      }
      out.add(slots);
    }
    return out;
  }

  /**
   * The reference: an empty file given the points one {@code update_many} call each, at each's now.
   */
  public static List<Map<Long, Long>> reference(
      Path file, SeriesLayout layout, long[] timestamps, double[] values, long[] nows)
      throws IOException {
    try (WhisperFile wsp = WhisperFile.create(file, layout, FillMode.ZERO)) {
      for (int i = 0; i < timestamps.length; i++) {
        wsp.updateMany(new long[] {timestamps[i]}, new double[] {values[i]}, 1, nows[i]);
      }
    }
    return read(file);
  }

  /**
   * The aggregator's output applied to an empty file, one write per record, in order: a slot record
   * written as it is, a raw point with whisper's {@code update_many} at the record's now.
   */
  public static List<Map<Long, Long>> applied(
      Path file, SeriesLayout layout, List<ArchivePoint> records) throws IOException {
    try (WhisperFile wsp = WhisperFile.create(file, layout, FillMode.ZERO)) {
      for (ArchivePoint p : records) {
        if (!Layouts.fromAvro(p.getLayout()).equals(layout)) {
          throw new AssertionError(
              "record carries layout " + p.getLayout() + ", expected " + layout);
        }
        if (p.getNow() != null) {
          wsp.updateMany(new long[] {p.getTimestamp()}, new double[] {p.getValue()}, 1, p.getNow());
        } else {
          wsp.writeSlots(
              p.getArchive(), new long[] {p.getTimestamp()}, new double[] {p.getValue()}, 1);
        }
      }
    }
    return read(file);
  }
}

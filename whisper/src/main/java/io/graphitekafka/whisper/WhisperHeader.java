package io.graphitekafka.whisper;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The parsed header of a Whisper file: aggregation method, maximum retention, xFilesFactor and the
 * archive table (finest archive first). Encodes to, and is validated like, whisper 1.1's on-disk
 * header.
 */
public record WhisperHeader(
    AggregationMethod method, long maxRetention, float xFilesFactor, List<ArchiveInfo> archives) {

  /** Bytes of the fixed metadata block that precedes the archive table. */
  public static final int METADATA_SIZE = 16;

  /** Bytes of one archive table entry. */
  public static final int ARCHIVE_INFO_SIZE = 12;

  static final long MAX_U32 = 0xFFFF_FFFFL;

  // One read covers the metadata, an archive table of up to 8 archives and the first archive's
  // base.
  private static final long HEADER_READ = METADATA_SIZE + 8L * ARCHIVE_INFO_SIZE;

  public WhisperHeader {
    archives = List.copyOf(archives);
  }

  /**
   * Lays out a new file for {@code layout} after whisper.py's {@code validateArchiveList}: archives
   * sorted by precision, distinct precisions that divide each other, strictly growing retention,
   * and enough points in each archive to fill one slot of the next.
   *
   * @throws IllegalArgumentException if whisper would refuse the layout, or if an offset or the
   *     maximum retention would not fit the format's u32 fields
   */
  public static WhisperHeader forLayout(SeriesLayout layout) {
    List<ArchiveSpec> sorted = new ArrayList<>(layout.archives());
    sorted.sort(Comparator.comparingInt(ArchiveSpec::secondsPerPoint));
    String problem = archiveListProblem(sorted);
    if (problem != null) {
      throw new IllegalArgumentException("invalid Whisper archive list " + sorted + ": " + problem);
    }
    long offset = METADATA_SIZE + (long) ARCHIVE_INFO_SIZE * sorted.size();
    long maxRetention = 0;
    List<ArchiveInfo> infos = new ArrayList<>(sorted.size());
    for (ArchiveSpec spec : sorted) {
      if (offset > MAX_U32) {
        throw new IllegalArgumentException(
            "archive list " + sorted + " does not fit a Whisper file (offsets are u32)");
      }
      infos.add(new ArchiveInfo(offset, spec.secondsPerPoint(), spec.points()));
      offset += (long) spec.points() * ArchiveInfo.POINT_SIZE;
      maxRetention = Math.max(maxRetention, spec.retention());
    }
    if (maxRetention > MAX_U32) {
      throw new IllegalArgumentException(
          "maximum retention " + maxRetention + "s of " + sorted + " does not fit a u32");
    }
    return new WhisperHeader(layout.method(), maxRetention, layout.xFilesFactor(), infos);
  }

  /**
   * Returns why whisper.py's {@code validateArchiveList} would reject these archives (already
   * sorted by precision), or {@code null} if it accepts them.
   */
  static String archiveListProblem(List<ArchiveSpec> sorted) {
    if (sorted.isEmpty()) {
      return "at least one archive is required";
    }
    for (int i = 0; i + 1 < sorted.size(); i++) {
      ArchiveSpec a = sorted.get(i);
      ArchiveSpec b = sorted.get(i + 1);
      if (a.secondsPerPoint() >= b.secondsPerPoint()) {
        return "archives " + i + " and " + (i + 1) + " have the same precision";
      }
      if (b.secondsPerPoint() % a.secondsPerPoint() != 0) {
        return "precision "
            + b.secondsPerPoint()
            + "s of archive "
            + (i + 1)
            + " is not a multiple of "
            + a.secondsPerPoint()
            + "s";
      }
      if (b.retention() <= a.retention()) {
        return "archive " + (i + 1) + " must cover a longer time than archive " + i;
      }
      int perSlot = b.secondsPerPoint() / a.secondsPerPoint();
      if (a.points() < perSlot) {
        return "archive "
            + (i + 1)
            + " consolidates "
            + perSlot
            + " points of archive "
            + i
            + ", which has only "
            + a.points();
      }
    }
    return null;
  }

  /** Bytes of metadata plus archive table. */
  public int headerSize() {
    return METADATA_SIZE + ARCHIVE_INFO_SIZE * archives.size();
  }

  /** Total file size: header plus every archive. */
  public long fileSize() {
    ArchiveInfo last = archives.get(archives.size() - 1);
    return last.end();
  }

  /** The layout this header describes. */
  public SeriesLayout layout() {
    List<ArchiveSpec> specs = new ArrayList<>(archives.size());
    for (ArchiveInfo a : archives) {
      specs.add(a.spec());
    }
    return new SeriesLayout(specs, method, xFilesFactor);
  }

  /** The archive index whose precision is {@code secondsPerPoint}, or -1. */
  public int indexOfPrecision(int secondsPerPoint) {
    for (int i = 0; i < archives.size(); i++) {
      if (archives.get(i).secondsPerPoint() == secondsPerPoint) {
        return i;
      }
    }
    return -1;
  }

  /** The header as it is stored at the start of the file. */
  ByteBuffer encode() {
    ByteBuffer buf = ByteBuffer.allocate(headerSize());
    buf.putInt(method.code());
    buf.putInt((int) maxRetention);
    buf.putFloat(xFilesFactor);
    buf.putInt(archives.size());
    for (ArchiveInfo a : archives) {
      buf.putInt((int) a.offset());
      buf.putInt(a.secondsPerPoint());
      buf.putInt(a.points());
    }
    return buf.flip();
  }

  /** A multi-line summary in the spirit of {@code whisper-info}. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("aggregationMethod: ").append(method.carbonName()).append('\n');
    sb.append("maxRetention: ").append(maxRetention).append('\n');
    sb.append("xFilesFactor: ").append(String.format(Locale.ROOT, "%s", (double) xFilesFactor));
    sb.append('\n').append("fileSize: ").append(fileSize()).append('\n');
    for (int i = 0; i < archives.size(); i++) {
      ArchiveInfo a = archives.get(i);
      sb.append('\n').append("Archive ").append(i).append('\n');
      sb.append("offset: ").append(a.offset()).append('\n');
      sb.append("secondsPerPoint: ").append(a.secondsPerPoint()).append('\n');
      sb.append("points: ").append(a.points()).append('\n');
      sb.append("retention: ").append(a.retention()).append('\n');
      sb.append("size: ").append(a.size()).append('\n');
    }
    return sb.toString();
  }

  /**
   * Reads and checks the header (whisper.py {@code __readHeader}, plus a check of the archive
   * table), and sets {@code firstBase[0]} to the first archive's base where the one read of a
   * header of up to 8 archives reached it (it follows the header), else to 0.
   */
  static WhisperHeader read(FileChannel ch, Path path, long[] firstBase) throws IOException {
    long fileSize = ch.size();
    if (fileSize < METADATA_SIZE) {
      throw new WhisperFormatException(
          path,
          "file has " + fileSize + " bytes, less than the " + METADATA_SIZE + "-byte metadata");
    }
    // one read for the metadata, the archive table of up to 8 archives and the first archive's base
    // (which saves a read of its own when the file is written), a second read for a longer table
    ByteBuffer meta = ByteBuffer.allocate((int) Math.min(fileSize, HEADER_READ + 4));
    FileIo.readFully(ch, meta, 0, path);
    meta.flip();
    long type = Integer.toUnsignedLong(meta.getInt());
    long maxRetention = Integer.toUnsignedLong(meta.getInt());
    float xff = meta.getFloat();
    long count = Integer.toUnsignedLong(meta.getInt());
    if (type < 1 || type > 8) {
      throw new WhisperFormatException(
          path, "unknown aggregation type " + type + " (expected 1..8)");
    }
    if (!(xff >= 0f && xff <= 1f)) {
      throw new WhisperFormatException(path, "xFilesFactor " + xff + " is outside [0, 1]");
    }
    if (count == 0) {
      throw new WhisperFormatException(path, "archive count is 0");
    }
    long headerSize = METADATA_SIZE + ARCHIVE_INFO_SIZE * count;
    if (headerSize > fileSize) {
      throw new WhisperFormatException(
          path,
          "archive table of "
              + count
              + " entries needs "
              + headerSize
              + " bytes, file has "
              + fileSize);
    }
    ByteBuffer table = meta;
    if (headerSize > meta.limit()) {
      table = ByteBuffer.allocate((int) (headerSize - METADATA_SIZE));
      FileIo.readFully(ch, table, METADATA_SIZE, path);
      table.flip();
    }
    List<ArchiveInfo> archives = new ArrayList<>((int) count);
    List<ArchiveSpec> specs = new ArrayList<>((int) count);
    long expectedOffset = headerSize;
    long computedMaxRetention = 0;
    for (int i = 0; i < count; i++) {
      long offset = Integer.toUnsignedLong(table.getInt());
      long spp = Integer.toUnsignedLong(table.getInt());
      long points = Integer.toUnsignedLong(table.getInt());
      if (spp == 0 || spp > Integer.MAX_VALUE || points == 0 || points > Integer.MAX_VALUE) {
        throw new WhisperFormatException(
            path, "archive " + i + " has " + spp + " seconds per point and " + points + " points");
      }
      if (offset != expectedOffset) {
        throw new WhisperFormatException(
            path, "archive " + i + " starts at offset " + offset + ", expected " + expectedOffset);
      }
      ArchiveInfo info = new ArchiveInfo(offset, (int) spp, (int) points);
      archives.add(info);
      specs.add(info.spec());
      expectedOffset = info.end();
      computedMaxRetention = Math.max(computedMaxRetention, info.retention());
    }
    if (expectedOffset != fileSize) {
      throw new WhisperFormatException(
          path,
          "archives end at byte " + expectedOffset + " but the file has " + fileSize + " bytes");
    }
    if (computedMaxRetention != maxRetention) {
      throw new WhisperFormatException(
          path,
          "maxRetention " + maxRetention + " differs from the archives' " + computedMaxRetention);
    }
    String problem = archiveListProblem(specs);
    if (problem != null) {
      throw new WhisperFormatException(path, "archive table whisper would not create: " + problem);
    }
    firstBase[0] =
        headerSize + 4 <= meta.limit() ? Integer.toUnsignedLong(meta.getInt((int) headerSize)) : 0;
    return new WhisperHeader(
        AggregationMethod.fromCode((int) type), maxRetention, xff, List.copyOf(archives));
  }
}

package io.graphitekafka.whisper;

import io.graphitekafka.graphite.storage.ArchiveSpec;

/**
 * One entry of a Whisper archive table: the absolute byte offset of the archive's first slot, its
 * precision and its number of points.
 */
public record ArchiveInfo(long offset, int secondsPerPoint, int points) {

  /** Bytes of one point on disk: a u32 interval start and an f64 value. */
  public static final int POINT_SIZE = 12;

  public ArchiveInfo {
    if (offset < 0 || secondsPerPoint <= 0 || points <= 0) {
      throw new IllegalArgumentException(
          "invalid archive (offset " + offset + ", " + secondsPerPoint + "s x " + points + ")");
    }
  }

  /** Bytes this archive occupies in the file. */
  public long size() {
    return (long) points * POINT_SIZE;
  }

  /** Seconds of history this archive covers. */
  public long retention() {
    return (long) secondsPerPoint * points;
  }

  /** The byte offset just past this archive's last slot. */
  public long end() {
    return offset + size();
  }

  /**
   * The start of the interval holding {@code timestamp}, rounded toward minus infinity like Python.
   */
  public long interval(long timestamp) {
    return timestamp - Math.floorMod(timestamp, (long) secondsPerPoint);
  }

  /** This archive's precision and size without its position. */
  public ArchiveSpec spec() {
    return new ArchiveSpec(secondsPerPoint, points);
  }
}

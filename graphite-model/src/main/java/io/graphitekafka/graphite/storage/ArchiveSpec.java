package io.graphitekafka.graphite.storage;

/**
 * One archive of a Whisper file: its precision in seconds per point and how many points it keeps.
 */
public record ArchiveSpec(int secondsPerPoint, int points) {

  public ArchiveSpec {
    if (secondsPerPoint <= 0) {
      throw new IllegalArgumentException(
          "secondsPerPoint must be positive, was " + secondsPerPoint);
    }
    if (points <= 0) {
      throw new IllegalArgumentException("points must be positive, was " + points);
    }
  }

  /** Seconds of history this archive covers. */
  public long retention() {
    return (long) secondsPerPoint * points;
  }

  /**
   * The start of the interval of this archive that holds {@code timestamp}, with Python's floor
   * rounding.
   */
  public long interval(long timestamp) {
    return timestamp - Math.floorMod(timestamp, (long) secondsPerPoint);
  }

  @Override
  public String toString() {
    return secondsPerPoint + ":" + points;
  }
}

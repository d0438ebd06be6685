package io.graphitekafka.graphite.storage;

import java.util.Locale;

/**
 * Whisper's eight aggregation methods, with the codes stored in a file header and results equal to
 * whisper.py's {@code aggregate()} under CPython 3.11 (plain left-to-right double sums; {@code
 * max}/{@code min} keep the earliest value on ties and never replace with a NaN that comes later).
 */
public enum AggregationMethod {
  AVERAGE(1, "average"),
  SUM(2, "sum"),
  LAST(3, "last"),
  MAX(4, "max"),
  MIN(5, "min"),
  AVG_ZERO(6, "avg_zero"),
  ABSMAX(7, "absmax"),
  ABSMIN(8, "absmin");

  private final int code;
  private final String carbonName;

  AggregationMethod(int code, String carbonName) {
    this.code = code;
    this.carbonName = carbonName;
  }

  /** The u32 code in a Whisper header. */
  public int code() {
    return code;
  }

  /** The name used in storage-aggregation.conf and by whisper's tools. */
  public String carbonName() {
    return carbonName;
  }

  public static AggregationMethod fromCode(int code) {
    for (AggregationMethod m : values()) {
      if (m.code == code) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown Whisper aggregation type " + code + " (expected 1..8)");
  }

  /**
   * Parses one of whisper's method names; whisper compares them as given, so this is
   * case-sensitive.
   */
  public static AggregationMethod fromName(String name) {
    for (AggregationMethod m : values()) {
      if (m.carbonName.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown aggregation method '"
            + name
            + "' (expected one of average, sum, last, max, min,"
            + " avg_zero, absmax, absmin)");
  }

  /**
   * Aggregates the known values of one lower-archive interval.
   *
   * @param known the known values in time order, in {@code known[0..count)}
   * @param count how many values are known, at least 1
   * @param slots how many higher-archive slots the interval spans (the divisor of {@code avg_zero})
   */
  public double aggregate(double[] known, int count, int slots) {
    if (count <= 0) {
      throw new IllegalArgumentException("aggregate needs at least one known value");
    }
    switch (this) {
      case AVERAGE:
        return sum(known, count) / count;
      case SUM:
        return sum(known, count);
      case LAST:
        return known[count - 1];
      case MAX:
        {
          double best = known[0];
          for (int i = 1; i < count; i++) {
            if (known[i] > best) {
              best = known[i];
            }
          }
          return best;
        }
      case MIN:
        {
          double best = known[0];
          for (int i = 1; i < count; i++) {
            if (known[i] < best) {
              best = known[i];
            }
          }
          return best;
        }
      case AVG_ZERO:
        return sum(known, count) / slots;
      case ABSMAX:
        {
          double best = known[0];
          for (int i = 1; i < count; i++) {
            if (Math.abs(known[i]) > Math.abs(best)) {
              best = known[i];
            }
          }
          return best;
        }
      case ABSMIN:
        {
          double best = known[0];
          for (int i = 1; i < count; i++) {
            if (Math.abs(known[i]) < Math.abs(best)) {
              best = known[i];
            }
          }
          return best;
        }
      default:
        throw new AssertionError(this);
    }
  }

  // CPython 3.11 sum() over floats: a plain double accumulator starting at 0.0, left to right.
  private static double sum(double[] values, int count) {
    double total = 0.0;
    for (int i = 0; i < count; i++) {
      total += values[i];
    }
    return total;
  }

  @Override
  public String toString() {
    return carbonName.toLowerCase(Locale.ROOT);
  }
}

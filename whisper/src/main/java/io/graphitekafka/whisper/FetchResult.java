package io.graphitekafka.whisper;

import java.util.Arrays;
import java.util.Objects;

/**
 * The answer of {@link WhisperFile#fetch}, shaped like whisper.py's {@code ((fromInterval,
 * untilInterval, step), values)}: {@code values[i]} belongs to interval {@code fromInterval + i *
 * step} and is {@code null} where the slot holds no point for that interval.
 *
 * <p>The array is not copied; callers should treat it as read-only.
 */
public record FetchResult(long fromInterval, long untilInterval, int step, Double[] values) {

  public FetchResult {
    Objects.requireNonNull(values, "values");
  }

  /** Number of slots returned. */
  public int size() {
    return values.length;
  }

  /** The interval start of slot {@code i}. */
  public long intervalAt(int i) {
    return fromInterval + (long) i * step;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FetchResult other
        && fromInterval == other.fromInterval
        && untilInterval == other.untilInterval
        && step == other.step
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fromInterval, untilInterval, step, Arrays.hashCode(values));
  }

  @Override
  public String toString() {
    return "FetchResult["
        + fromInterval
        + ", "
        + untilInterval
        + ", "
        + step
        + ", "
        + Arrays.toString(values)
        + "]";
  }
}

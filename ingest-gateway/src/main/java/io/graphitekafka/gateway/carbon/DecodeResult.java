package io.graphitekafka.gateway.carbon;

import java.util.Objects;

/**
 * The outcome of decoding one Carbon datapoint: a {@link Point} ready for name validation, or a
 * {@link Reject} saying why the input was refused.
 */
public sealed interface DecodeResult permits DecodeResult.Point, DecodeResult.Reject {

  /**
   * A datapoint as carbon would hand it to its cache.
   *
   * @param rawName the path exactly as received (not yet validated or tag-normalized)
   * @param value the value; never NaN, may be infinite as carbon stores it
   * @param timestamp epoch seconds in {@code [0, 2^32)}, after truncation, arrival-time
   *     substitution and resolution flooring
   */
  record Point(String rawName, double value, long timestamp) implements DecodeResult {
    public Point {
      Objects.requireNonNull(rawName, "rawName");
    }
  }

  /**
   * Input that was refused.
   *
   * @param reason the stable reason
   * @param detail a short human-readable explanation, bounded in length
   */
  record Reject(RejectReason reason, String detail) implements DecodeResult {
    public Reject {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(detail, "detail");
    }
  }
}

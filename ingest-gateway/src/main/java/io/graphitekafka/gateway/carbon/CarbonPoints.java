package io.graphitekafka.gateway.carbon;

import io.graphitekafka.gateway.carbon.DecodeResult.Point;
import io.graphitekafka.gateway.carbon.DecodeResult.Reject;

/**
 * The datapoint filters that carbon applies to both plaintext and pickle input (protocols.py {@code
 * MetricReceiver.metricReceived}), plus the Whisper timestamp range check.
 */
final class CarbonPoints {

  /** Whisper stores timestamps as u32, so valid timestamps lie in {@code [0, 2^32)}. */
  static final long TIMESTAMP_LIMIT = 1L << 32;

  private static final double LONG_RANGE = 0x1p63;

  private CarbonPoints() {}

  /**
   * Turns parsed numbers into a point or a reject, in carbon's order: NaN value, then {@code
   * int(ts) == -1} means "now", then resolution flooring. {@code resolution <= 1} leaves {@code
   * int(ts)} as is.
   */
  static DecodeResult toPoint(
      String name, double timestamp, double value, long arrivalMillis, int resolution) {
    if (Double.isNaN(value)) {
      return new Reject(RejectReason.NAN_VALUE, "value is nan");
    }
    if (Double.isNaN(timestamp)) {
      // carbon: int(nan) raises ValueError outside its try block
      return new Reject(RejectReason.NONFINITE_TIMESTAMP, "timestamp is nan");
    }
    if (Double.isInfinite(timestamp)) {
      return new Reject(
          RejectReason.NONFINITE_TIMESTAMP,
          timestamp > 0 ? "timestamp is inf" : "timestamp is -inf");
    }
    if (!(timestamp > -LONG_RANGE && timestamp < LONG_RANGE)) {
      return rangeReject(Double.toString(timestamp));
    }
    long ts = (long) timestamp; // truncates toward zero, like Python's int()
    if (ts == -1) {
      // "use current time if none given" (carbon issue #54): any ts in (-2, -1]
      ts = Math.floorDiv(arrivalMillis, 1000L);
    }
    if (resolution > 1) {
      // MIN_TIMESTAMP_RESOLUTION: int(ts) // res * res, flooring like Python's //
      ts = Math.floorDiv(ts, (long) resolution) * resolution;
    }
    if (ts < 0 || ts >= TIMESTAMP_LIMIT) {
      return rangeReject(Long.toString(ts));
    }
    return new Point(name, value, ts);
  }

  private static Reject rangeReject(String ts) {
    return new Reject(RejectReason.TIMESTAMP_RANGE, "timestamp " + ts + " outside [0, 2^32)");
  }
}

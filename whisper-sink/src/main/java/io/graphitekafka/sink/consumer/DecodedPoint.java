package io.graphitekafka.sink.consumer;

import io.graphitekafka.graphite.storage.SeriesLayout;
import java.nio.file.Path;

/**
 * One validated archive record: the series, its file inside the whisper root, the layout its
 * records carry, and either a slot (precision, aligned interval, value) or, when {@code now} is
 * set, a raw point (its own timestamp in {@code interval}, precision 0) to apply with whisper's
 * {@code update_many} at {@code now}.
 */
record DecodedPoint(
    String metric,
    Path path,
    SeriesLayout layout,
    int secondsPerPoint,
    long interval,
    double value,
    long now) {

  /** {@link #now} of a slot record. */
  static final long NOT_RAW = Long.MIN_VALUE;

  boolean raw() {
    return now != NOT_RAW;
  }
}

package io.graphitekafka.service.metrics;

import java.util.function.LongSupplier;

/**
 * Back-to-back windows of one metrics interval on a nanosecond clock, for gauges that report the
 * last complete interval as carbon's do (avgUpdateTime, cpuUsage). Not thread-safe: callers
 * synchronize.
 */
public final class MetricsWindow {

  private final LongSupplier nanoClock;
  private final long windowNanos;
  private long start;

  public MetricsWindow(long windowSeconds, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    this.windowNanos = Math.max(1, windowSeconds) * 1_000_000_000L;
    this.start = nanoClock.getAsLong();
  }

  /** Nanoseconds since the current window started. */
  public long elapsed() {
    return nanoClock.getAsLong() - start;
  }

  /**
   * If the current window is complete, starts the next one now and returns the completed window's
   * length in nanoseconds; otherwise returns -1.
   */
  public long roll() {
    long now = nanoClock.getAsLong();
    long length = now - start;
    if (length < windowNanos) {
      return -1;
    }
    start = now;
    return length;
  }
}

package io.graphitekafka.sink.metrics;

import io.graphitekafka.service.metrics.MetricsWindow;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The sink's self-metrics in a {@link SelfMetrics} of role {@code agents}, under carbon-cache's
 * stat names (committedPoints, updateOperations, pointsPerUpdate, avgUpdateTime, creates, errors),
 * plus the sink's own drop and reject counters, a consumer-lag gauge per owned partition, and what
 * to alert on when the sink cannot write: {@code writeErrors} and the {@code stalledSeconds} gauge.
 */
public final class SinkStats {

  public static final String ROLE = "agents";
  private static final long NOT_STALLED = Long.MIN_VALUE;

  private final SelfMetrics metrics;
  private final LongSupplier nanoClock;
  private final MetricsWindow window;
  private final Map<Integer, Long> lag = new ConcurrentHashMap<>();
  // nanoClock time of the first failure of the batch being retried; NOT_STALLED while batches
  // commit
  private volatile long stalledSince = NOT_STALLED;

  public final LongAdder committedPoints;
  public final LongAdder updateOperations;
  public final LongAdder creates;
  public final LongAdder errors;
  public final LongAdder writeErrors;
  public final LongAdder layoutMismatches;
  public final LongAdder droppedTooOld;
  public final LongAdder droppedNoArchive;
  public final LongAdder rejected;
  public final LongAdder createPauses;
  public final LongAdder throttlePauses;

  // The current and the last complete window of write statistics, for
  // pointsPerUpdate/avgUpdateTime.
  private long windowPoints;
  private long windowOps;
  private long windowNanosSpent;
  private double lastPointsPerUpdate = Double.NaN;
  private double lastAvgUpdateSeconds = Double.NaN;

  public SinkStats(SelfMetrics metrics, long windowSeconds, LongSupplier nanoClock) {
    this.metrics = metrics;
    this.nanoClock = nanoClock;
    this.window = new MetricsWindow(windowSeconds, nanoClock);
    this.committedPoints = metrics.counter("committedPoints");
    this.updateOperations = metrics.counter("updateOperations");
    this.creates = metrics.counter("creates");
    this.errors = metrics.counter("errors");
    this.writeErrors = metrics.counter("writeErrors");
    this.layoutMismatches = metrics.counter("layoutMismatches");
    this.droppedTooOld = metrics.counter("droppedTooOld");
    this.droppedNoArchive = metrics.counter("droppedNoArchive");
    this.rejected = metrics.counter("rejected");
    this.createPauses = metrics.counter("createPauses");
    this.throttlePauses = metrics.counter("throttlePauses");
    metrics.gauge("pointsPerUpdate", () -> windowValue(true));
    metrics.gauge("avgUpdateTime", () -> windowValue(false));
    metrics.gauge("stalledSeconds", this::stalledSeconds);
  }

  /** A fresh {@code agents} registry with one-minute windows, for tests and tools. */
  public static SinkStats create() {
    return new SinkStats(new SelfMetrics(ROLE), 60, System::nanoTime);
  }

  public SelfMetrics metrics() {
    return metrics;
  }

  /** Counts a bad record under {@code rejects.<reason>} and in the total. */
  public void reject(String reason) {
    rejected.increment();
    metrics.counter("rejects." + reason).increment();
  }

  /** Adds committed file updates: how many, how many points they held, and the time they took. */
  public synchronized void updates(long operations, long points, long nanos) {
    committedPoints.add(points);
    updateOperations.add(operations);
    roll();
    windowOps += operations;
    windowPoints += points;
    windowNanosSpent += nanos;
  }

  private synchronized double windowValue(boolean pointsPerUpdate) {
    roll();
    if (Double.isNaN(lastPointsPerUpdate) && windowOps > 0) {
      // no complete window yet: report the current one
      return pointsPerUpdate
          ? (double) windowPoints / windowOps
          : windowNanosSpent / 1e9 / windowOps;
    }
    if (Double.isNaN(lastPointsPerUpdate)) {
      throw new IllegalStateException("no updates yet"); // left out of the report, as carbon does
    }
    return pointsPerUpdate ? lastPointsPerUpdate : lastAvgUpdateSeconds;
  }

  private void roll() {
    if (window.roll() < 0) {
      return;
    }
    if (windowOps > 0) {
      lastPointsPerUpdate = (double) windowPoints / windowOps;
      lastAvgUpdateSeconds = windowNanosSpent / 1e9 / windowOps;
    } else {
      lastPointsPerUpdate = Double.NaN;
      lastAvgUpdateSeconds = Double.NaN;
    }
    windowPoints = 0;
    windowOps = 0;
    windowNanosSpent = 0;
  }

  /**
   * Marks a failed attempt to write or commit a batch (the disk is full, a file cannot be written,
   * the broker is away); {@code stalledSeconds} counts from the first failure until {@link
   * #committed()}.
   */
  public void failed() {
    if (stalledSince == NOT_STALLED) {
      stalledSince = nanoClock.getAsLong();
    }
  }

  /** Marks a batch written, flushed and committed: the sink is not stalled. */
  public void committed() {
    stalledSince = NOT_STALLED;
  }

  /**
   * Seconds since the sink last failed to write or commit a batch it has not managed to since; else
   * 0.
   */
  public double stalledSeconds() {
    long since = stalledSince;
    return since == NOT_STALLED ? 0.0 : Math.max(1, nanoClock.getAsLong() - since) / 1e9;
  }

  /** Sets the lag of an owned partition, registering its {@code consumerLag.<partition>} gauge. */
  public void lag(int partition, long records) {
    if (lag.put(partition, records) == null) {
      metrics.gauge("consumerLag." + partition, () -> lag.getOrDefault(partition, 0L));
    }
  }

  /** Removes the lag gauge of a partition this sink no longer owns. */
  public void removeLag(int partition) {
    lag.remove(partition);
    metrics.removeGauge("consumerLag." + partition);
  }

  /** The last known lag of each owned partition. */
  public Map<Integer, Long> lags() {
    return Map.copyOf(lag);
  }
}

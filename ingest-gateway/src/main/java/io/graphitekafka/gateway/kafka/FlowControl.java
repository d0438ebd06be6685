package io.graphitekafka.gateway.kafka;

import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tracks the bytes and records handed to the producer and not yet acknowledged, and turns that into
 * a paused/resumed signal with hysteresis: readers pause above the pause level and resume once the
 * producer has drained to the resume level. Thread-safe; the hot path is two atomic adds.
 */
public final class FlowControl {

  /** Told when reading should stop or may go on; called on whichever thread crossed the level. */
  public interface Listener {
    void onPause();

    void onResume();
  }

  private final long pauseBytes;
  private final long resumeBytes;
  private final long dropBytes;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final LongAdder backpressureMillis;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean paused;
  private long accountedUntilNanos;

  /**
   * @param pauseBytes pause readers when unacknowledged bytes exceed this
   * @param resumeBytes resume them when unacknowledged bytes fall to this
   * @param dropBytes above this, input that cannot wait (UDP) is dropped
   */
  public FlowControl(long pauseBytes, long resumeBytes, long dropBytes, SelfMetrics metrics) {
    if (resumeBytes >= pauseBytes) {
      throw new IllegalArgumentException(
          "resumeBytes " + resumeBytes + " >= pauseBytes " + pauseBytes);
    }
    this.pauseBytes = pauseBytes;
    this.resumeBytes = resumeBytes;
    this.dropBytes = dropBytes;
    this.backpressureMillis = metrics.counter(GatewayStats.BACKPRESSURE_MILLIS);
    metrics.gauge(GatewayStats.INFLIGHT_BYTES, bytes::get);
    metrics.gauge(GatewayStats.INFLIGHT_RECORDS, records::get);
    metrics.gauge(GatewayStats.BACKPRESSURE_ACTIVE, () -> paused ? 1 : 0);
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** Called before a record of {@code size} bytes is handed to the producer. */
  public void acquire(int size) {
    records.incrementAndGet();
    if (bytes.addAndGet(size) > pauseBytes && !paused) {
      transition(true);
    }
  }

  /** Called when the record is acknowledged or has failed for good. */
  public void release(int size) {
    records.decrementAndGet();
    if (bytes.addAndGet(-size) <= resumeBytes && paused) {
      transition(false);
    }
  }

  public boolean isPaused() {
    return paused;
  }

  /** Whether input that cannot be paused may still be produced without risking a blocking send. */
  public boolean acceptsUnpausable() {
    return bytes.get() < dropBytes;
  }

  public long inflightBytes() {
    return bytes.get();
  }

  public long inflightRecords() {
    return records.get();
  }

  /** Moves the time paused so far into the backpressure counter; call it periodically. */
  public synchronized void accountPausedTime() {
    if (paused) {
      long now = System.nanoTime();
      backpressureMillis.add((now - accountedUntilNanos) / 1_000_000);
      accountedUntilNanos = now - (now - accountedUntilNanos) % 1_000_000;
    }
  }

  private synchronized void transition(boolean pause) {
    // re-check under the lock: another thread may have crossed the level the other way meanwhile
    long current = bytes.get();
    boolean shouldPause = pause ? current > pauseBytes : !(current <= resumeBytes);
    if (shouldPause == paused) {
      return;
    }
    if (shouldPause) {
      accountedUntilNanos = System.nanoTime();
      paused = true;
      listeners.forEach(Listener::onPause);
    } else {
      accountPausedTime();
      paused = false;
      listeners.forEach(Listener::onResume);
    }
  }
}

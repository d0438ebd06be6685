package io.graphitekafka.aggregator.carbonlink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The points the aggregator accepted and its files may not hold yet, per series, in arrival order:
 * what carbon-cache would still hold in its cache, for graphite-web's carbonlink queries. {@link
 * PointsFeed} adds each point of the input as soon as Kafka has it; the rollup adds the points it
 * makes itself (aggregates, renamed points), and every point while carbon's rules are in force. A
 * point is kept for {@code window}, long enough to be emitted and committed, and then for as long
 * as the rollup and the sinks are behind ({@link #hold}, from {@link GroupProgress}), so that a
 * query finds every point accepted and not yet in the file. A point already in the file may be
 * returned as well; graphite-web puts it in the slot the file holds it in already.
 *
 * <p>The feed and the stream threads add, the carbonlink listener reads; each series' points are
 * guarded by their own lock, so neither waits on more than one series. At most {@link
 * #MAX_PER_SERIES} points are kept per series; beyond that the oldest go first.
 */
public final class RecentPoints {

  /** The most points kept per series. */
  public static final int MAX_PER_SERIES = 4096;

  /** Keeps nothing: carbonlink is off. */
  public static final RecentPoints NONE = new RecentPoints(Duration.ZERO, System::nanoTime);

  private final long windowNanos;
  private final LongSupplier nanoClock;
  private final Map<String, Ring> series = new ConcurrentHashMap<>();
  private final LongAdder points = new LongAdder();

  /**
   * How much longer than the window points are kept: how far the rollup and the sinks are behind.
   */
  private volatile long holdNanos;

  /**
   * @param window how long a point is kept after it was accepted; zero keeps nothing
   * @param nanoClock the time, as {@link System#nanoTime()}
   */
  public RecentPoints(Duration window, LongSupplier nanoClock) {
    this.windowNanos = window.toNanos();
    this.nanoClock = nanoClock;
  }

  /** Whether points are kept at all. */
  public boolean enabled() {
    return windowNanos > 0;
  }

  /**
   * Keeps points for {@code nanos} beyond the window from now on (the rollup's and the sinks' lag):
   * points leave the window only once their files hold them.
   */
  public void hold(long nanos) {
    holdNanos = Math.max(0, nanos);
  }

  /** How much longer than the window points are kept now, in nanoseconds. */
  public long holdNanos() {
    return holdNanos;
  }

  private long keptFrom(long now) {
    return now - windowNanos - holdNanos;
  }

  /** Adds a point accepted now. */
  public void add(String metric, long timestamp, double value) {
    if (windowNanos <= 0) {
      return;
    }
    long now = nanoClock.getAsLong();
    while (true) {
      Ring ring = series.computeIfAbsent(metric, k -> new Ring());
      synchronized (ring) {
        if (ring.dead) {
          continue; // forgotten by expireIdle between the lookup and the lock
        }
        points.add(-ring.expire(keptFrom(now)));
        if (ring.add(timestamp, value, now)) {
          points.increment();
        }
        return;
      }
    }
  }

  /** The series' points accepted within the window, oldest first, as {@code (timestamp, value)}. */
  public List<Point> get(String metric) {
    Ring ring = series.get(metric);
    if (ring == null) {
      return List.of();
    }
    long from = keptFrom(nanoClock.getAsLong());
    synchronized (ring) {
      return ring.since(from);
    }
  }

  /** Forgets series without a point in the window; returns how many were forgotten. */
  public int expireIdle() {
    long from = keptFrom(nanoClock.getAsLong());
    int removed = 0;
    Iterator<Map.Entry<String, Ring>> it = series.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Ring> e = it.next();
      Ring ring = e.getValue();
      synchronized (ring) {
        points.add(-ring.expire(from));
        if (ring.size == 0) {
          ring.dead = true;
          it.remove();
          removed++;
        }
      }
    }
    return removed;
  }

  /** Series holding points. */
  public int seriesCount() {
    return series.size();
  }

  /** Points held. */
  public long pointCount() {
    return points.sum();
  }

  /** A point as carbonlink returns it. */
  public record Point(long timestamp, double value) {}

  /** One series' points: a circular buffer that grows up to {@link #MAX_PER_SERIES}. */
  private static final class Ring {
    long[] timestamps = new long[4];
    double[] values = new double[4];
    long[] added = new long[4];
    int head;
    int size;
    boolean dead;

    /** Adds a point; false if the oldest was dropped to make room, so the count is unchanged. */
    boolean add(long timestamp, double value, long now) {
      boolean grew = true;
      if (size == timestamps.length) {
        if (size < MAX_PER_SERIES) {
          grow();
        } else {
          head = (head + 1) % timestamps.length;
          size--;
          grew = false;
        }
      }
      int i = (head + size) % timestamps.length;
      timestamps[i] = timestamp;
      values[i] = value;
      added[i] = now;
      size++;
      return grew;
    }

    /** Drops points added before {@code from}; returns how many. */
    int expire(long from) {
      int dropped = 0;
      while (size > 0 && added[head] - from < 0) {
        head = (head + 1) % timestamps.length;
        size--;
        dropped++;
      }
      return dropped;
    }

    List<Point> since(long from) {
      List<Point> out = new ArrayList<>(size);
      for (int k = 0; k < size; k++) {
        int i = (head + k) % timestamps.length;
        if (added[i] - from >= 0) {
          out.add(new Point(timestamps[i], values[i]));
        }
      }
      return out;
    }

    private void grow() {
      int n = timestamps.length * 2;
      long[] t = new long[n];
      double[] v = new double[n];
      long[] a = new long[n];
      for (int k = 0; k < size; k++) {
        int i = (head + k) % timestamps.length;
        t[k] = timestamps[i];
        v[k] = values[i];
        a[k] = added[i];
      }
      timestamps = t;
      values = v;
      added = a;
      head = 0;
    }
  }
}

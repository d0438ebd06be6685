package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.rules.RuleMethod;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * carbon-aggregator's buffer of one output series, kept in event time: for each interval of {@code
 * frequency} seconds it holds what the method needs of every input point (all values for a
 * percentile, a running sum, minimum or maximum otherwise), whether its aggregate changed since it
 * was last sent, and the intervals back to {@code latenessIntervals} before the newest.
 *
 * <p>An interval is kept until it is more than {@code latenessIntervals} behind the newest and has
 * had no value for {@code latenessIntervals × frequency} seconds of wall-clock time: event time
 * alone would drop intervals that slower input partitions are still filling (a catch-up, a replay),
 * wall-clock time alone would drop every interval of a replay at once. A value for an interval
 * already dropped is too late: its aggregate would cover only the late values.
 *
 * <p>Running values follow arrival order as carbon's do, so a sum equals carbon's {@code
 * sum(values)} for the same order.
 */
final class AggregateBuffer {

  private static final byte FORMAT = 1;
  private static final long NONE = Long.MIN_VALUE;

  final int frequency;
  final RuleMethod method;
  private long newest = NONE;
  private long droppedThrough = NONE;
  private int size;
  private long[] touched = new long[2];
  private long[] intervals = new long[2];
  private boolean[] dirty = new boolean[2];
  private int[] counts = new int[2];
  private double[] running = new double[2];
  private double[][] values = new double[2][];

  AggregateBuffer(int frequency, RuleMethod method) {
    this.frequency = frequency;
    this.method = method;
  }

  /** The start of the interval holding {@code timestamp}, as carbon computes it. */
  long intervalOf(long timestamp) {
    return timestamp - Math.floorMod(timestamp, (long) frequency);
  }

  /** Whether a point for {@code interval} comes after the interval was dropped. */
  boolean tooLate(long interval) {
    return interval <= droppedThrough && find(interval) < 0;
  }

  /** Adds one input value to its interval, at {@code nowMillis} of wall-clock time. */
  void add(long interval, double value, long nowMillis) {
    int i = find(interval);
    if (i < 0) {
      i = insert(-i - 1, interval);
    }
    int n = counts[i];
    if (method.needsAllValues()) {
      double[] v = values[i];
      if (v == null || v.length == n) {
        values[i] = v = Arrays.copyOf(v == null ? new double[0] : v, Math.max(4, n * 2));
      }
      v[n] = value;
    } else if (n == 0) {
      running[i] = method == RuleMethod.SUM || method == RuleMethod.AVG ? 0.0 + value : value;
    } else {
      running[i] = accumulate(running[i], value);
    }
    counts[i] = n + 1;
    dirty[i] = true;
    touched[i] = nowMillis;
    newest = Math.max(newest, interval);
  }

  private double accumulate(double acc, double value) {
    return switch (method) {
      case SUM, AVG -> acc + value;
      case MIN -> value < acc ? value : acc;
      case MAX -> value > acc ? value : acc;
      default -> acc;
    };
  }

  /** The aggregate of interval {@code i} over every value it got. */
  double aggregate(int i) {
    int n = counts[i];
    return switch (method) {
      case SUM, MIN, MAX -> running[i];
      case AVG -> running[i] / n;
      case COUNT -> n;
      default -> method.apply(values[i], n);
    };
  }

  int size() {
    return size;
  }

  long intervalAt(int i) {
    return intervals[i];
  }

  boolean dirtyAt(int i) {
    return dirty[i];
  }

  void markSent(int i) {
    dirty[i] = false;
  }

  boolean anyDirty() {
    for (int i = 0; i < size; i++) {
      if (dirty[i]) {
        return true;
      }
    }
    return false;
  }

  /** The values held in all intervals: carbon's {@code bufferedDatapoints} for this output. */
  long bufferedValues() {
    long total = 0;
    for (int i = 0; i < size; i++) {
      total += counts[i];
    }
    return total;
  }

  /**
   * Drops the sent intervals that are more than {@code latenessIntervals} behind the newest and had
   * no value for as many intervals of wall-clock time.
   *
   * @return the number of values dropped with them
   */
  long expire(int latenessIntervals, long nowMillis) {
    long window = (long) latenessIntervals * frequency;
    long dropped = 0;
    int kept = 0;
    for (int i = 0; i < size; i++) {
      if (!dirty[i] && intervals[i] < newest - window && nowMillis - touched[i] >= window * 1000) {
        dropped += counts[i];
        droppedThrough = Math.max(droppedThrough, intervals[i]);
        continue;
      }
      move(i, kept++);
    }
    for (int i = kept; i < size; i++) {
      values[i] = null;
    }
    size = kept;
    return dropped;
  }

  private void move(int from, int to) {
    if (from == to) {
      return;
    }
    intervals[to] = intervals[from];
    touched[to] = touched[from];
    dirty[to] = dirty[from];
    counts[to] = counts[from];
    running[to] = running[from];
    values[to] = values[from];
  }

  private int find(long interval) {
    int lo = 0;
    int hi = size - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (intervals[mid] < interval) {
        lo = mid + 1;
      } else if (intervals[mid] > interval) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -lo - 1;
  }

  private int insert(int at, long interval) {
    if (size == intervals.length) {
      int capacity = size * 2;
      intervals = Arrays.copyOf(intervals, capacity);
      touched = Arrays.copyOf(touched, capacity);
      dirty = Arrays.copyOf(dirty, capacity);
      counts = Arrays.copyOf(counts, capacity);
      running = Arrays.copyOf(running, capacity);
      values = Arrays.copyOf(values, capacity);
    }
    for (int i = size; i > at; i--) {
      move(i - 1, i);
    }
    intervals[at] = interval;
    touched[at] = 0;
    dirty[at] = false;
    counts[at] = 0;
    running[at] = 0;
    values[at] = null;
    size++;
    return at;
  }

  /**
   * The store's form: format, frequency, method, newest, dropped-through, then each interval
   * (start, last touched, sent or not, count, running value, values).
   */
  byte[] toBytes() {
    int bytes = 1 + 4 + 1 + 8 + 8 + 4;
    for (int i = 0; i < size; i++) {
      bytes += 8 + 8 + 1 + 4 + 8 + (method.needsAllValues() ? 8 * counts[i] : 0);
    }
    ByteBuffer out = ByteBuffer.allocate(bytes);
    out.put(FORMAT).putInt(frequency).put((byte) method.ordinal()).putLong(newest);
    out.putLong(droppedThrough).putInt(size);
    for (int i = 0; i < size; i++) {
      out.putLong(intervals[i]).putLong(touched[i]);
      out.put((byte) (dirty[i] ? 1 : 0)).putInt(counts[i]);
      out.putDouble(running[i]);
      if (method.needsAllValues()) {
        for (int k = 0; k < counts[i]; k++) {
          out.putDouble(values[i][k]);
        }
      }
    }
    return out.array();
  }

  /**
   * Reads {@link #toBytes}.
   *
   * @throws IllegalArgumentException if the bytes are not a buffer of this format
   */
  static AggregateBuffer fromBytes(byte[] bytes) {
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      if (in.get() != FORMAT) {
        throw new IllegalArgumentException("unknown aggregate buffer format " + bytes[0]);
      }
      int frequency = in.getInt();
      int method = in.get();
      if (frequency < 1 || method < 0 || method >= RuleMethod.values().length) {
        throw new IllegalArgumentException("frequency " + frequency + ", method " + method);
      }
      AggregateBuffer b = new AggregateBuffer(frequency, RuleMethod.values()[method]);
      b.newest = in.getLong();
      b.droppedThrough = in.getLong();
      int size = in.getInt();
      for (int i = 0; i < size; i++) {
        int at = b.insert(b.size, in.getLong());
        b.touched[at] = in.getLong();
        b.dirty[at] = in.get() != 0;
        int n = in.getInt();
        if (n < 1 || (b.method.needsAllValues() && n > in.remaining() / 8)) {
          throw new IllegalArgumentException("interval with " + n + " values");
        }
        b.counts[at] = n;
        b.running[at] = in.getDouble();
        if (b.method.needsAllValues()) {
          double[] v = new double[Math.max(4, n)];
          for (int k = 0; k < n; k++) {
            v[k] = in.getDouble();
          }
          b.values[at] = v;
        }
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " bytes after the buffer");
      }
      return b;
    } catch (java.nio.BufferUnderflowException | ArrayIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("truncated or corrupt aggregate buffer", e);
    }
  }
}

package io.graphitekafka.aggregator.topology;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The remembered slots of one archive of one series, sorted by interval, in primitive arrays so
 * that a point costs no allocation. Each entry mirrors what the archive's ring holds at that
 * interval's position, and a dirty entry is a slot write that has not been emitted yet.
 */
final class SlotTable {

  private static final int INITIAL_CAPACITY = 8;

  private long[] intervals;
  private double[] values;
  private boolean[] dirty;
  private int size;
  private int dirtyCount;

  SlotTable() {
    this(INITIAL_CAPACITY);
  }

  private SlotTable(int capacity) {
    intervals = new long[capacity];
    values = new double[capacity];
    dirty = new boolean[capacity];
  }

  int size() {
    return size;
  }

  int dirtyCount() {
    return dirtyCount;
  }

  long intervalAt(int i) {
    return intervals[i];
  }

  double valueAt(int i) {
    return values[i];
  }

  boolean dirtyAt(int i) {
    return dirty[i];
  }

  /**
   * The index of the first entry whose interval is at least {@code interval}, or {@link #size()}.
   */
  int lowerBound(long interval) {
    return lowerBound(interval, size);
  }

  /** {@link #lowerBound(long)} among the first {@code end} entries. */
  private int lowerBound(long interval, int end) {
    int lo = 0;
    int hi = end;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (intervals[mid] < interval) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * {@link #lowerBound}, looking at the last few entries first: points mostly arrive in time order,
   * so the interval sought is usually among them (and in cache).
   */
  int lowerBoundFromEnd(long interval) {
    int i = size;
    for (int steps = 0; steps < 8; steps++) {
      if (i == 0 || intervals[i - 1] < interval) {
        return i;
      }
      i--;
    }
    return lowerBound(interval, i);
  }

  /**
   * Records a write of {@code value} at {@code interval}. Entries of earlier or later laps that
   * share the ring position ({@code retention} apart) are forgotten, since the file's slot now
   * holds this interval (whisper.py {@code __archive_update_many} writes by position, whatever the
   * slot held before).
   */
  void put(long interval, double value, long retention) {
    if (size > 0
        && Math.max(intervals[size - 1], interval) - Math.min(intervals[0], interval)
            >= retention) {
      removeRingMates(interval, retention);
    }
    int i = lowerBoundFromEnd(interval);
    if (i < size && intervals[i] == interval) {
      values[i] = value;
      if (!dirty[i]) {
        dirty[i] = true;
        dirtyCount++;
      }
      return;
    }
    if (size == intervals.length) {
      int capacity = intervals.length * 2;
      intervals = Arrays.copyOf(intervals, capacity);
      values = Arrays.copyOf(values, capacity);
      dirty = Arrays.copyOf(dirty, capacity);
    }
    System.arraycopy(intervals, i, intervals, i + 1, size - i);
    System.arraycopy(values, i, values, i + 1, size - i);
    System.arraycopy(dirty, i, dirty, i + 1, size - i);
    intervals[i] = interval;
    values[i] = value;
    dirty[i] = true;
    dirtyCount++;
    size++;
  }

  private void removeRingMates(long interval, long retention) {
    int kept = 0;
    for (int i = 0; i < size; i++) {
      long t = intervals[i];
      if (t != interval && Math.floorMod(t - interval, retention) == 0) {
        if (dirty[i]) {
          dirtyCount--;
        }
        continue;
      }
      move(i, kept++);
    }
    size = kept;
  }

  /**
   * Forgets {@code interval} and every entry sharing its ring position ({@code retention} apart),
   * whose slot a write the table does not see may have replaced.
   *
   * @return the latest of {@code interval} and the forgotten intervals
   */
  long forget(long interval, long retention) {
    if (size == 0) {
      return interval;
    }
    if (Math.max(intervals[size - 1], interval) - Math.min(intervals[0], interval) < retention) {
      // within one lap: only the interval itself can share its position
      int i = lowerBoundFromEnd(interval);
      if (i < size && intervals[i] == interval) {
        removeAt(i);
      }
      return interval;
    }
    long latest = interval;
    int kept = 0;
    for (int i = 0; i < size; i++) {
      long t = intervals[i];
      if (Math.floorMod(t - interval, retention) == 0) {
        latest = Math.max(latest, t);
        if (dirty[i]) {
          dirtyCount--;
        }
        continue;
      }
      move(i, kept++);
    }
    size = kept;
    return latest;
  }

  /** {@link #put} of a slot the file holds already: the entry is not dirty. */
  void putClean(long interval, double value, long retention) {
    put(interval, value, retention);
    int i = lowerBoundFromEnd(interval);
    if (dirty[i]) {
      dirty[i] = false;
      dirtyCount--;
    }
  }

  private void removeAt(int i) {
    if (dirty[i]) {
      dirtyCount--;
    }
    int tail = size - i - 1;
    System.arraycopy(intervals, i + 1, intervals, i, tail);
    System.arraycopy(values, i + 1, values, i, tail);
    System.arraycopy(dirty, i + 1, dirty, i, tail);
    size--;
  }

  /** Marks every entry as emitted. */
  void markClean() {
    Arrays.fill(dirty, 0, size, false);
    dirtyCount = 0;
  }

  /**
   * Forgets clean entries before {@code keepFrom}; dirty ones stay until they have been emitted.
   */
  void trimCleanBefore(long keepFrom) {
    if (size == 0 || intervals[0] >= keepFrom) {
      return;
    }
    // Entries are sorted: only those before `end` can go, and the rest moves down in one block.
    int end = keepFrom == Long.MAX_VALUE ? size : lowerBound(keepFrom);
    int kept = 0;
    for (int i = 0; i < end; i++) {
      if (dirty[i]) {
        move(i, kept++);
      }
    }
    if (kept < end) {
      int tail = size - end;
      System.arraycopy(intervals, end, intervals, kept, tail);
      System.arraycopy(values, end, values, kept, tail);
      System.arraycopy(dirty, end, dirty, kept, tail);
      size = kept + tail;
    }
  }

  private void move(int from, int to) {
    if (from != to) {
      intervals[to] = intervals[from];
      values[to] = values[from];
      dirty[to] = dirty[from];
    }
  }

  /** Bytes {@link #writeTo} needs. */
  int serializedSize() {
    return 4 + size * 13;
  }

  /** Intervals are whisper's u32 timestamps, so four bytes hold them. */
  void writeTo(ByteBuffer buf) {
    buf.putInt(size);
    for (int i = 0; i < size; i++) {
      buf.putInt((int) intervals[i]);
      buf.putDouble(values[i]);
      buf.put(dirty[i] ? (byte) 1 : (byte) 0);
    }
  }

  static SlotTable readFrom(ByteBuffer buf) {
    int n = buf.getInt();
    SlotTable table = new SlotTable(Math.max(INITIAL_CAPACITY, n));
    for (int i = 0; i < n; i++) {
      table.intervals[i] = Integer.toUnsignedLong(buf.getInt());
      table.values[i] = buf.getDouble();
      boolean d = buf.get() != 0;
      table.dirty[i] = d;
      if (d) {
        table.dirtyCount++;
      }
    }
    table.size = n;
    return table;
  }
}

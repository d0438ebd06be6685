package io.graphitekafka.sink.consumer;

import io.graphitekafka.graphite.storage.SeriesLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The writes of one poll for one series, in offset order: slot writes grouped by archive precision,
 * then the raw points that came after them, then (in {@link #next()}) whatever came after those.
 * Slots are keyed by precision rather than archive index, so records of one series carrying
 * different layouts still land in the right archive. A raw point's propagation reads the slots
 * written before it, so slots and raw points are never reordered across each other.
 */
final class SeriesBatch {

  final String metric;
  final Path path;
  final SeriesLayout layout;
  private int[] precisions;
  private long[][] intervals;
  private double[][] values;
  private int[] counts;
  private final boolean keepsRecords;
  private final List<ByteBuffer> records = new ArrayList<>();
  private long[] rawTimestamps;
  private double[] rawValues;
  private long[] rawNows;
  private int rawCount;

  /** The writes that came after this part's raw points; null if none did. */
  private SeriesBatch next;

  /** The part new writes go to (the head's field). */
  private SeriesBatch tail = this;

  /**
   * @param keepsRecords whether to keep the records' raw values: needed only when the file may turn
   *     out to be corrupt when it is opened, that is when it is not open yet (an open file's header
   *     has been checked). Not keeping them spares holding every value of the batch until it is
   *     written.
   */
  SeriesBatch(String metric, Path path, SeriesLayout layout, boolean keepsRecords) {
    this.metric = metric;
    this.path = path;
    this.layout = layout;
    this.keepsRecords = keepsRecords;
    int n = layout.archives().size();
    this.precisions = new int[n];
    for (int i = 0; i < n; i++) {
      precisions[i] = layout.archives().get(i).secondsPerPoint();
    }
    this.intervals = new long[n][];
    this.values = new double[n][];
    this.counts = new int[n];
  }

  /** Adds a decoded record of this series after every write added before it. */
  void add(DecodedPoint point) {
    SeriesBatch part = tail;
    if (point.raw()) {
      part.addRaw(point.interval(), point.value(), point.now());
      return;
    }
    if (part.rawCount > 0) {
      part.next = new SeriesBatch(metric, path, layout, false);
      tail = part.next;
      part = tail;
    }
    part.add(point.secondsPerPoint(), point.interval(), point.value());
  }

  private void addRaw(long timestamp, double value, long now) {
    if (rawTimestamps == null) {
      rawTimestamps = new long[4];
      rawValues = new double[4];
      rawNows = new long[4];
    } else if (rawCount == rawTimestamps.length) {
      rawTimestamps = Arrays.copyOf(rawTimestamps, rawCount * 2);
      rawValues = Arrays.copyOf(rawValues, rawCount * 2);
      rawNows = Arrays.copyOf(rawNows, rawCount * 2);
    }
    rawTimestamps[rawCount] = timestamp;
    rawValues[rawCount] = value;
    rawNows[rawCount] = now;
    rawCount++;
  }

  void add(int secondsPerPoint, long interval, double value) {
    int a = slotOf(secondsPerPoint);
    if (intervals[a] == null) {
      intervals[a] = new long[8];
      values[a] = new double[8];
    } else if (counts[a] == intervals[a].length) {
      intervals[a] = Arrays.copyOf(intervals[a], counts[a] * 2);
      values[a] = Arrays.copyOf(values[a], counts[a] * 2);
    }
    intervals[a][counts[a]] = interval;
    values[a][counts[a]] = value;
    counts[a]++;
  }

  private int slotOf(int secondsPerPoint) {
    for (int i = 0; i < precisions.length; i++) {
      if (precisions[i] == secondsPerPoint) {
        return i;
      }
    }
    int n = precisions.length + 1;
    precisions = Arrays.copyOf(precisions, n);
    precisions[n - 1] = secondsPerPoint;
    intervals = Arrays.copyOf(intervals, n);
    values = Arrays.copyOf(values, n);
    counts = Arrays.copyOf(counts, n);
    return n - 1;
  }

  /**
   * Keeps a record's raw value, if this batch keeps them, so the batch can be rejected whole if its
   * file cannot be written.
   */
  void addRecord(ByteBuffer raw) {
    if (keepsRecords) {
      records.add(raw);
    }
  }

  boolean keepsRecords() {
    return keepsRecords;
  }

  List<ByteBuffer> records() {
    return records;
  }

  /**
   * How many precisions the batch holds; index them with {@link #precision(int)} and the others.
   */
  int archiveSlots() {
    return precisions.length;
  }

  int precision(int slot) {
    return precisions[slot];
  }

  int count(int slot) {
    return counts[slot];
  }

  long[] intervals(int slot) {
    return intervals[slot];
  }

  double[] values(int slot) {
    return values[slot];
  }

  /** The raw points after this part's slots, in offset order. */
  int rawCount() {
    return rawCount;
  }

  long rawTimestamp(int i) {
    return rawTimestamps[i];
  }

  double rawValue(int i) {
    return rawValues[i];
  }

  long rawNow(int i) {
    return rawNows[i];
  }

  /** The part with the writes that came after this part's raw points, or null. */
  SeriesBatch next() {
    return next;
  }

  /** Slot writes and raw points in this part and the parts after it. */
  int points() {
    int n = rawCount;
    for (int c : counts) {
      n += c;
    }
    return next == null ? n : n + next.points();
  }
}

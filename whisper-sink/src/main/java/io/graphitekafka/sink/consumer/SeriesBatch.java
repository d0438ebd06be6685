package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.storage.SeriesLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The slot writes of one poll for one series, grouped by archive precision, in offset order. Keyed by
 * precision rather than archive index, so records of one series carrying different layouts still land
 * in the right archive.
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

  /**
   * @param keepsRecords whether to keep the records' raw values: needed only when the file may turn
   *     out to be corrupt when it is opened, that is when it is not open yet (an open file's header has
   *     been checked). Not keeping them spares holding every value of the batch until it is written.
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

  /** How many precisions the batch holds; index them with {@link #precision(int)} and the others. */
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

  int points() {
    int n = 0;
    for (int c : counts) {
      n += c;
    }
    return n;
  }
}

package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.storage.SeriesLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The slot writes of one poll for one series, grouped by archive, in arrival order. */
final class SeriesBatch {

  final String metric;
  final SeriesLayout layout;
  private long[][] intervals;
  private double[][] values;
  private int[] counts;
  private final List<byte[]> records = new ArrayList<>();

  SeriesBatch(String metric, SeriesLayout layout) {
    this.metric = metric;
    this.layout = layout;
    int n = layout.archives().size();
    this.intervals = new long[n][];
    this.values = new double[n][];
    this.counts = new int[n];
  }

  void add(int archive, long interval, double value) {
    if (archive >= counts.length) {
      int n = archive + 1;
      intervals = Arrays.copyOf(intervals, n);
      values = Arrays.copyOf(values, n);
      counts = Arrays.copyOf(counts, n);
    }
    if (intervals[archive] == null) {
      intervals[archive] = new long[8];
      values[archive] = new double[8];
    } else if (counts[archive] == intervals[archive].length) {
      intervals[archive] = Arrays.copyOf(intervals[archive], counts[archive] * 2);
      values[archive] = Arrays.copyOf(values[archive], counts[archive] * 2);
    }
    intervals[archive][counts[archive]] = interval;
    values[archive][counts[archive]] = value;
    counts[archive]++;
  }

  /** Keeps a reference to a record's raw value, so the batch can be rejected whole if it cannot be written. */
  void addRecord(byte[] raw) {
    records.add(raw);
  }

  List<byte[]> records() {
    return records;
  }

  int archiveSlots() {
    return counts.length;
  }

  int count(int archive) {
    return counts[archive];
  }

  long[] intervals(int archive) {
    return intervals[archive];
  }

  double[] values(int archive) {
    return values[archive];
  }

  int points() {
    int n = 0;
    for (int c : counts) {
      n += c;
    }
    return n;
  }
}

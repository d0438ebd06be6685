package io.graphitekafka.whisper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * whisper.py's own writes, point for point: {@code update} and {@code update_many} with their
 * archive selection by age, their runs and their propagation to coarser archives under the
 * xFilesFactor.
 */
final class WhisperUpdate {

  private static final Logger LOG = LoggerFactory.getLogger(WhisperUpdate.class);

  private WhisperUpdate() {}

  /**
   * Applies whisper.py's {@code update_many(points, now)}: points are grouped by age into the
   * finest archive that covers them (future points go to archive 0, points older than the maximum
   * retention are dropped), written in runs and propagated to coarser archives under the
   * xFilesFactor. Among points with the same timestamp the first in input order is kept, as whisper
   * does. Timestamps are already whole seconds ({@code int()} is the caller's).
   *
   * @throws IllegalArgumentException if a point to be written does not fit the u32 timestamps;
   *     nothing is written then
   */
  static void updateMany(SlotStore store, long[] timestamps, double[] values, int count, long now)
      throws IOException {
    if (count == 0) {
      return;
    }
    int[] order = newestFirst(timestamps, count);
    List<ArchiveInfo> archives = store.header().archives();
    // file_update_many: walk newest to oldest, advancing the archive cursor while it cannot hold
    // the point's age; group g covers order[groupStart[g]..groupEnd[g]) and goes to
    // groupArchive[g].
    int[] groupArchive = new int[archives.size()];
    int[] groupStart = new int[archives.size()];
    int[] groupEnd = new int[archives.size()];
    int groups = 0;
    int cursor = 0;
    int start = 0;
    int kept = count;
    for (int i = 0; i < count; i++) {
      long age = now - timestamps[order[i]];
      while (cursor < archives.size() && archives.get(cursor).retention() < age) {
        if (i > start) {
          groupArchive[groups] = cursor;
          groupStart[groups] = start;
          groupEnd[groups] = i;
          groups++;
        }
        start = i;
        cursor++;
      }
      if (cursor == archives.size()) {
        kept = i;
        break;
      }
    }
    if (cursor < archives.size() && kept > start) {
      groupArchive[groups] = cursor;
      groupStart[groups] = start;
      groupEnd[groups] = kept;
      groups++;
    }
    for (int g = 0; g < groups; g++) {
      ArchiveInfo archive = archives.get(groupArchive[g]);
      for (int i = groupStart[g]; i < groupEnd[g]; i++) {
        // struct.pack fails on the aligned interval, which may fit where the raw timestamp does
        // not.
        store.checkU32(archive.interval(timestamps[order[i]]));
      }
    }
    if (kept < count) {
      LOG.trace(
          "{}: dropped {} points older than the maximum retention", store.path(), count - kept);
    }
    for (int g = 0; g < groups; g++) {
      archiveUpdateMany(
          store, groupArchive[g], timestamps, values, order, groupStart[g], groupEnd[g]);
    }
  }

  /**
   * Applies whisper.py's {@code update(value, timestamp, now)}: one point into the finest archive
   * that covers its age, then propagated down until a coarser archive is not updated.
   *
   * @throws TimestampNotCoveredException if the point is in the future or at least the maximum
   *     retention old
   */
  static void update(SlotStore store, long timestamp, double value, long now) throws IOException {
    long age = now - timestamp;
    if (!(age < store.header().maxRetention() && age >= 0)) {
      throw new TimestampNotCoveredException(
          store.path(), timestamp, now, store.header().maxRetention());
    }
    List<ArchiveInfo> archives = store.header().archives();
    int index = 0;
    while (archives.get(index).retention() < age) {
      index++;
    }
    ArchiveInfo archive = archives.get(index);
    long interval = archive.interval(timestamp);
    store.checkU32(interval);
    long base = store.base(index);
    long offset = base == 0 ? archive.offset() : SlotStore.slotOffset(archive, base, interval);
    store.writePoint(index, offset, interval, value);
    for (int lower = index + 1; lower < archives.size(); lower++) {
      if (!propagate(store, interval, lower - 1, lower)) {
        break;
      }
    }
  }

  /**
   * Applies each point as its own {@code update_many([(timestamp, value)], now)} with its own
   * {@code now}, in order, with the result of those calls byte for byte, but a run of points that
   * go to the same archive at strictly increasing intervals less than one lap apart is written
   * together: one write per run of consecutive slots, and one read and write per coarser interval
   * instead of one per point.
   *
   * <p>Why that is the same file: within such a run every slot a propagation reads belongs to the
   * interval being propagated (no lap overwrites another, in any archive the run reaches), so a
   * coarser slot only gains known inputs as the run goes on. It is therefore written, after the
   * run's last point in it, with the aggregate of the final finer slots, which is what propagating
   * it once at the end computes; and its first write, which sets an empty archive's base, is at the
   * earliest interval that is ever written. Coarser archives follow only the intervals whose finer
   * propagation wrote, as each point's chain stops where its own propagation fails.
   *
   * @throws IllegalArgumentException as the calls one by one would, after the points before the
   *     offending one are written
   */
  static void updateEach(
      SlotStore store, long[] timestamps, double[] values, long[] nows, int count)
      throws IOException {
    List<ArchiveInfo> archives = store.header().archives();
    int i = 0;
    while (i < count) {
      int target = targetArchive(archives, nows[i] - timestamps[i]);
      int end = i + 1;
      if (target >= 0) {
        ArchiveInfo archive = archives.get(target);
        long first = archive.interval(timestamps[i]);
        long last = first;
        while (end < count) {
          long interval = archive.interval(timestamps[end]);
          if (interval <= last
              || !withinOneLap(archives, target, first, interval)
              || targetArchive(archives, nows[end] - timestamps[end]) != target) {
            break;
          }
          last = interval;
          end++;
        }
      }
      if (target >= 0 && fitsU32(archives.get(target), timestamps, i, end)) {
        updateRun(store, target, timestamps, values, i, end);
      } else {
        // dropped as too old, or failing as the call one by one fails
        for (int k = i; k < end; k++) {
          updateMany(store, new long[] {timestamps[k]}, new double[] {values[k]}, 1, nows[k]);
        }
      }
      i = end;
    }
  }

  /** The archive update_many puts a point of this age in, or -1 if it drops it as too old. */
  private static int targetArchive(List<ArchiveInfo> archives, long age) {
    for (int a = 0; a < archives.size(); a++) {
      if (archives.get(a).retention() >= age) {
        return a;
      }
    }
    return -1;
  }

  /**
   * Whether every slot a run from {@code first} to {@code last} writes or reads, in the target
   * archive and down the coarser ones its propagation reaches, is less than a lap of its archive
   * from the others: a coarser interval reads the finer slots from its own start, which may be
   * before the run's first.
   */
  private static boolean withinOneLap(
      List<ArchiveInfo> archives, int target, long first, long last) {
    ArchiveInfo higher = archives.get(target);
    if (last - first >= higher.retention()) {
      return false;
    }
    for (ArchiveInfo lower : archives) {
      if (lower.secondsPerPoint() <= archives.get(target).secondsPerPoint()) {
        continue;
      }
      long span = lower.interval(last) + lower.secondsPerPoint() - lower.interval(first);
      if (span > higher.retention()) {
        return false;
      }
      higher = lower;
    }
    return true;
  }

  private static boolean fitsU32(ArchiveInfo archive, long[] timestamps, int from, int to) {
    for (int k = from; k < to; k++) {
      long interval = archive.interval(timestamps[k]);
      if (interval < 0 || interval > WhisperHeader.MAX_U32) {
        return false;
      }
    }
    return true;
  }

  // updateEach's run: strictly increasing intervals of one archive, less than a lap apart; a run of
  // one point is exactly update_many of that point.
  private static void updateRun(
      SlotStore store, int target, long[] timestamps, double[] values, int from, int to)
      throws IOException {
    List<ArchiveInfo> archives = store.header().archives();
    ArchiveInfo archive = archives.get(target);
    int n = to - from;
    long[] intervals = new long[n];
    double[] runValues = new double[n];
    for (int k = 0; k < n; k++) {
      intervals[k] = archive.interval(timestamps[from + k]);
      runValues[k] = values[from + k];
    }
    // One point per call has no run of whisper.py's to join across an interval of 0.
    store.writeRuns(target, intervals, runValues, n, false);
    int higher = target;
    long[] written = intervals;
    int writtenCount = n;
    for (int lower = 0; lower < archives.size(); lower++) {
      ArchiveInfo lowerArchive = archives.get(lower);
      if (lowerArchive.secondsPerPoint() <= archive.secondsPerPoint()) {
        continue;
      }
      long[] next = new long[writtenCount];
      int nextCount = 0;
      long previous = Long.MIN_VALUE;
      for (int k = 0; k < writtenCount; k++) {
        long interval = lowerArchive.interval(written[k]);
        if (interval != previous && propagate(store, interval, higher, lower)) {
          next[nextCount++] = interval;
        }
        previous = interval;
      }
      if (nextCount == 0) {
        break;
      }
      written = next;
      writtenCount = nextCount;
      higher = lower;
    }
  }

  // __archive_update_many for one archive group, given newest-first order[start..end).
  private static void archiveUpdateMany(
      SlotStore store,
      int archiveIndex,
      long[] timestamps,
      double[] values,
      int[] order,
      int start,
      int end)
      throws IOException {
    ArchiveInfo archive = store.header().archives().get(archiveIndex);
    int size = end - start;
    // Chronological order is the reverse of newest-first, so identical timestamps come in reverse
    // input order and keeping the last of each interval keeps the first point in input order.
    long[] aligned = new long[size];
    Scratch scratch = Scratch.forRuns(size);
    long[] runIntervals = scratch.runIntervals;
    double[] runValues = scratch.runValues;
    int n = 0;
    for (int k = 0; k < size; k++) {
      int i = order[end - 1 - k];
      long interval = archive.interval(timestamps[i]);
      aligned[k] = interval;
      if (n > 0 && runIntervals[n - 1] == interval) {
        runValues[n - 1] = values[i];
      } else {
        runIntervals[n] = interval;
        runValues[n] = values[i];
        n++;
      }
    }
    store.writeRuns(archiveIndex, runIntervals, runValues, n, true);

    List<ArchiveInfo> archives = store.header().archives();
    int higher = archiveIndex;
    long[] lowerIntervals = new long[size];
    for (int lower = 0; lower < archives.size(); lower++) {
      ArchiveInfo lowerArchive = archives.get(lower);
      if (lowerArchive.secondsPerPoint() <= archive.secondsPerPoint()) {
        continue;
      }
      for (int k = 0; k < size; k++) {
        lowerIntervals[k] = lowerArchive.interval(aligned[k]);
      }
      boolean further = false;
      for (long interval : PythonSetOrder.distinct(lowerIntervals, size)) {
        if (propagate(store, interval, higher, lower)) {
          further = true;
        }
      }
      if (!further) {
        break;
      }
      higher = lower;
    }
  }

  /**
   * whisper.py {@code __propagate}: aggregates the slots of {@code higher} that make up the
   * interval of {@code lower} holding {@code timestamp}; writes it and returns true if enough of
   * them are known.
   */
  private static boolean propagate(SlotStore store, long timestamp, int higherIndex, int lowerIndex)
      throws IOException {
    ArchiveInfo higher = store.header().archives().get(higherIndex);
    ArchiveInfo lower = store.header().archives().get(lowerIndex);
    long lowerInterval = lower.interval(timestamp);
    long higherBase = store.base(higherIndex);
    long firstRel =
        higherBase == 0
            ? 0
            : SlotStore.slotOffset(higher, higherBase, lowerInterval) - higher.offset();
    int slots = lower.secondsPerPoint() / higher.secondsPerPoint();
    ByteBuffer buf = store.readSlots(higher, firstRel, slots);
    double[] known = new double[slots];
    int knownCount = 0;
    long expected = lowerInterval;
    for (int i = 0; i < slots; i++) {
      long ts = Integer.toUnsignedLong(buf.getInt());
      double value = buf.getDouble();
      if (ts == expected) {
        known[knownCount++] = value;
      }
      expected += higher.secondsPerPoint();
    }
    if (knownCount == 0) {
      return false;
    }
    // The stored float32 xFilesFactor widened to double, against a double ratio (not float32).
    if ((double) knownCount / slots < (double) store.header().xFilesFactor()) {
      return false;
    }
    double aggregate = store.header().method().aggregate(known, knownCount, slots);
    long lowerBase = store.base(lowerIndex);
    long offset =
        lowerBase == 0 ? lower.offset() : SlotStore.slotOffset(lower, lowerBase, lowerInterval);
    store.writePoint(lowerIndex, offset, lowerInterval, aggregate);
    return true;
  }

  // Indices of the first count points, sorted by timestamp descending; stable like Python's sort.
  private static int[] newestFirst(long[] timestamps, int count) {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    int[] scratch = new int[count];
    for (int width = 1; width < count; width *= 2) {
      for (int lo = 0; lo < count - width; lo += 2 * width) {
        int mid = lo + width;
        int hi = Math.min(lo + 2 * width, count);
        int a = lo;
        int b = mid;
        int k = lo;
        while (a < mid && b < hi) {
          // Take from the left run unless the right one is strictly newer, which keeps stability.
          scratch[k++] = timestamps[order[b]] > timestamps[order[a]] ? order[b++] : order[a++];
        }
        while (a < mid) {
          scratch[k++] = order[a++];
        }
        while (b < hi) {
          scratch[k++] = order[b++];
        }
        System.arraycopy(scratch, lo, order, lo, hi - lo);
      }
    }
    return order;
  }
}

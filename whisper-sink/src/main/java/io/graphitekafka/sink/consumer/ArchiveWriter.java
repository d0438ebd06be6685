package io.graphitekafka.sink.consumer;

import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.whisper.FillMode;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes series batches into Whisper files, creating missing files from the layout in the records
 * and keeping an LRU of open files. An existing file whose layout differs gets slots only in the
 * archives whose precision it has, and raw points as whisper would apply them to it; the mismatch
 * is counted and logged once per file.
 */
final class ArchiveWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ArchiveWriter.class);

  private final FillMode fillMode;
  private final boolean fsync;

  /** Directories that got a new file since the last flush; only kept with fsync on. */
  private final Set<Path> createdIn = new LinkedHashSet<>();

  private final SinkStats stats;
  private final Clock clock;
  private final LinkedHashMap<String, WhisperFile> open;
  private final Set<WhisperFile> dirty = new HashSet<>();
  private final Set<String> mismatchLogged = new HashSet<>();
  private final SeriesListener listener;
  // a batch's raw points young enough to be written, reused from batch to batch
  private long[] rawTimestamps = new long[16];
  private double[] rawValues = new double[16];
  private long[] rawNows = new long[16];

  ArchiveWriter(FillMode fillMode, boolean fsync, int maxOpenFiles, SinkStats stats, Clock clock) {
    this(fillMode, fsync, maxOpenFiles, stats, clock, SeriesListener.NONE);
  }

  ArchiveWriter(
      FillMode fillMode,
      boolean fsync,
      int maxOpenFiles,
      SinkStats stats,
      Clock clock,
      SeriesListener listener) {
    this.listener = listener;
    this.fillMode = fillMode;
    this.fsync = fsync;
    this.stats = stats;
    this.clock = clock;
    this.open =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, WhisperFile> eldest) {
            if (size() <= maxOpenFiles) {
              return false;
            }
            retire(eldest.getValue());
            return true;
          }
        };
  }

  /** Whether the series' file is open (its header checked); does not count as a use in the LRU. */
  boolean isOpen(String metric) {
    return open.containsKey(metric);
  }

  /** Whether the file exists on disk, so writing it needs no create. */
  boolean exists(Path path) {
    return Files.exists(path);
  }

  /**
   * Writes one series' batch, slots and raw points in the order they came; the data is in the page
   * cache when this returns, durable after flush(). A slot older than its archive's retention (no
   * second of it young enough for whisper to take) is dropped: written, it would land on the ring
   * position of a newer slot and overwrite it. Into an archive never written before, the batch's
   * first slot in offset order is written alone first, so the archive's base (and with it every
   * slot's position) is the same however the stream was cut into batches.
   *
   * @throws io.graphitekafka.whisper.WhisperFormatException if the existing file is corrupt;
   *     nothing is written to it
   */
  WriteResult write(SeriesBatch batch) throws IOException {
    WhisperFile file = file(batch);
    long now = clock.instant().getEpochSecond();
    long[] counts = new long[3];
    for (SeriesBatch part = batch; part != null; part = part.next()) {
      writeSlots(file, part, now, counts);
      writeRaw(file, part, counts);
    }
    dirty.add(file);
    listener.updated(batch.metric);
    return new WriteResult(counts[0], counts[1], counts[2]);
  }

  private void writeSlots(WhisperFile file, SeriesBatch batch, long now, long[] counts)
      throws IOException {
    List<ArchiveSpec> fileArchives = file.layout().archives();
    for (int a = 0; a < batch.archiveSlots(); a++) {
      int count = batch.count(a);
      if (count == 0) {
        continue;
      }
      int target = indexOfPrecision(fileArchives, batch.precision(a));
      if (target < 0) {
        counts[2] += count;
        continue;
      }
      long[] intervals = batch.intervals(a);
      double[] values = batch.values(a);
      ArchiveSpec spec = fileArchives.get(target);
      // whisper takes a point whose age is at most the retention, so a slot is kept while its last
      // second is that young
      long oldest = now - spec.retention() - spec.secondsPerPoint() + 1;
      int kept = dropTooOld(intervals, values, count, oldest);
      counts[1] += count - kept;
      if (kept == 0) {
        continue;
      }
      if (kept > 1 && file.isArchiveEmpty(target)) {
        file.writeSlots(target, intervals, values, 1);
      }
      counts[0] += kept;
      kept = lastPerRingPosition(intervals, values, kept, spec);
      file.writeSlots(target, intervals, values, kept);
    }
  }

  /**
   * Applies the raw points as whisper.py's {@code update_many([(timestamp, value)], now)} with the
   * {@code now} they carry, not this sink's clock, against the file's own layout: the point goes
   * into the finest archive whose retention covers its age then, and the coarser archives are
   * re-aggregated from the slots the file holds. A point older than the file's maximum retention at
   * that {@code now} is dropped, as whisper drops it. A replay applies each point as it was applied
   * the first time, and the records after it in the topic, replayed too, rewrite what they rewrote
   * then. The points are applied together ({@link WhisperFile#updateEach}), which leaves the bytes
   * of the calls one by one at a fraction of their reads and writes.
   */
  private void writeRaw(WhisperFile file, SeriesBatch batch, long[] counts) throws IOException {
    long maxRetention = file.layout().maxRetention();
    int count = batch.rawCount();
    if (rawTimestamps.length < count) {
      int size = Math.max(count, 2 * rawTimestamps.length);
      rawTimestamps = new long[size];
      rawValues = new double[size];
      rawNows = new long[size];
    }
    int kept = 0;
    for (int i = 0; i < count; i++) {
      long timestamp = batch.rawTimestamp(i);
      if (batch.rawNow(i) - timestamp > maxRetention) {
        counts[1]++;
        continue;
      }
      rawTimestamps[kept] = timestamp;
      rawValues[kept] = batch.rawValue(i);
      rawNows[kept] = batch.rawNow(i);
      kept++;
    }
    file.updateEach(rawTimestamps, rawValues, rawNows, kept);
    counts[0] += kept;
  }

  /**
   * Of slots sharing a ring position (intervals a multiple of the retention apart), keeps only the
   * last in offset order, which is the one a file written slot by slot ends with; {@code
   * writeSlots} writes in interval order, which would let the newer lap win instead. Compacts them
   * to the front, in order; returns how many there are.
   */
  private static int lastPerRingPosition(
      long[] intervals, double[] values, int count, ArchiveSpec spec) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < count; i++) {
      min = Math.min(min, intervals[i]);
      max = Math.max(max, intervals[i]);
    }
    if (count < 2 || max - min < spec.retention()) {
      return count; // no two laps: the usual case
    }
    // Position in the high bits, offset order in the low 31: the last of each position sorts last.
    long[] keys = new long[count];
    for (int i = 0; i < count; i++) {
      long position =
          Math.floorMod(Math.floorDiv(intervals[i], spec.secondsPerPoint()), spec.points());
      keys[i] = (position << 31) | i;
    }
    Arrays.sort(keys);
    boolean[] last = new boolean[count];
    for (int k = 0; k < count; k++) {
      if (k == count - 1 || keys[k] >>> 31 != keys[k + 1] >>> 31) {
        last[(int) (keys[k] & 0x7FFF_FFFFL)] = true;
      }
    }
    int kept = 0;
    for (int i = 0; i < count; i++) {
      if (last[i]) {
        intervals[kept] = intervals[i];
        values[kept] = values[i];
        kept++;
      }
    }
    return kept;
  }

  /**
   * Compacts the slots at or after {@code oldest} to the front, in order; returns how many there
   * are.
   */
  private static int dropTooOld(long[] intervals, double[] values, int count, long oldest) {
    int kept = 0;
    for (int i = 0; i < count; i++) {
      if (intervals[i] >= oldest) {
        intervals[kept] = intervals[i];
        values[kept] = values[i];
        kept++;
      }
    }
    return kept;
  }

  /** Makes every write since the last flush durable as configured (fsync, or the page cache). */
  void flush() throws IOException {
    Iterator<WhisperFile> it = dirty.iterator();
    while (it.hasNext()) {
      WhisperFile f = it.next();
      f.flush();
      if (fsync) {
        f.sync();
      }
      it.remove();
    }
    // A file created since the last flush is durable only once its directory entry is: the rename
    // that put it in place (and any directory made for it) reaches the disk with the directory.
    for (Path dir : createdIn) {
      WhisperFile.syncDirectory(dir);
    }
    createdIn.clear();
    listener.flushed(fsync);
  }

  private WhisperFile file(SeriesBatch batch) throws IOException {
    WhisperFile file = open.get(batch.metric);
    if (file != null) {
      return file;
    }
    // an eviction below may flush another file; surface its failure as the IOException it is
    try {
      return openOrCreate(batch);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private WhisperFile openOrCreate(SeriesBatch batch) throws IOException {
    Path path = batch.path;
    WhisperFile file = openIfExists(path);
    if (file == null) {
      Path existing = path.toAbsolutePath().getParent();
      while (fsync && existing != null && !Files.isDirectory(existing)) {
        existing = existing.getParent();
      }
      listener.creating(batch.metric);
      file = WhisperFile.createAtomically(path, batch.layout, fillMode);
      stats.creates.increment();
      if (fsync) {
        // the new file's directory, and each directory made for it up to one that existed before
        for (Path dir = path.toAbsolutePath().getParent(); dir != null; dir = dir.getParent()) {
          createdIn.add(dir);
          if (dir.equals(existing)) {
            break;
          }
        }
      }
      log.debug("created {} with {}", path, batch.layout);
    }
    if (!file.layout().equals(batch.layout) && mismatchLogged.add(batch.metric)) {
      stats.layoutMismatches.increment();
      log.warn(
          "{} has layout {} but records carry {}; writing slots only into the archives whose"
              + " precision matches, raw points into the file's own archives",
          path,
          file.layout(),
          batch.layout);
    }
    open.put(batch.metric, file);
    return file;
  }

  // Opening is tried first, with no stat before it: most writes go to files that exist.
  private static WhisperFile openIfExists(Path path) throws IOException {
    try {
      return WhisperFile.open(path);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static int indexOfPrecision(List<ArchiveSpec> archives, int secondsPerPoint) {
    for (int i = 0; i < archives.size(); i++) {
      if (archives.get(i).secondsPerPoint() == secondsPerPoint) {
        return i;
      }
    }
    return -1;
  }

  // An evicted file is made durable before it is closed, so flush() never meets a closed file.
  private void retire(WhisperFile f) {
    try {
      if (dirty.remove(f)) {
        f.flush();
        if (fsync) {
          f.sync();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("flushing " + f.path(), e);
    } finally {
      closeQuietly(f);
    }
  }

  private static void closeQuietly(WhisperFile f) {
    try {
      f.close();
    } catch (IOException e) {
      log.warn("closing {}: {}", f.path(), e.toString());
    }
  }

  /** Closes every open file without flushing, after a failed write, so they are read afresh. */
  void discard() {
    for (WhisperFile f : new ArrayList<>(open.values())) {
      closeQuietly(f);
    }
    open.clear();
    dirty.clear();
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      discard();
    }
  }
}

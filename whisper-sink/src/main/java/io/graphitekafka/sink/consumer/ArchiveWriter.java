package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.naming.SeriesPaths;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.sink.SinkMetrics;
import io.graphitekafka.sink.whisper.FillMode;
import io.graphitekafka.sink.whisper.WhisperFile;
import io.graphitekafka.sink.whisper.WhisperFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes series batches into Whisper files under the whisper root, creating files from the layout in the
 * records and keeping an LRU of open files. An existing file whose layout differs gets only the archives
 * whose precision it has; the mismatch is counted and logged once per file.
 */
final class ArchiveWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ArchiveWriter.class);

  private final Path whisperRoot;
  private final boolean hashTaggedNames;
  private final FillMode fillMode;
  private final boolean fsync;
  private final SinkMetrics metrics;
  private final Clock clock;
  private final LinkedHashMap<String, WhisperFile> open;
  private final Set<WhisperFile> dirty = new HashSet<>();
  private final Set<String> mismatchLogged = new HashSet<>();

  ArchiveWriter(Path whisperRoot, boolean hashTaggedNames, FillMode fillMode, boolean fsync,
      int maxOpenFiles, SinkMetrics metrics, Clock clock) {
    this.whisperRoot = whisperRoot.toAbsolutePath().normalize();
    this.hashTaggedNames = hashTaggedNames;
    this.fillMode = fillMode;
    this.fsync = fsync;
    this.metrics = metrics;
    this.clock = clock;
    this.open = new LinkedHashMap<>(16, 0.75f, true) {
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

  /** The file a series is stored in; throws if the name cannot map to a file inside the whisper root. */
  Path pathOf(String metric) {
    return SeriesPaths.resolve(whisperRoot, metric, hashTaggedNames);
  }

  /**
   * Writes one series' batch; the data is in the page cache when this returns, durable after flush().
   * A slot older than its archive's retention is dropped and counted: written, it would land on the ring
   * position of a newer slot and overwrite it.
   *
   * @throws WhisperFormatException if the series' existing file is corrupt; nothing is written to it
   */
  void write(SeriesBatch batch) throws IOException {
    WhisperFile file = file(batch.metric, batch.layout);
    List<ArchiveSpec> fileArchives = file.layout().archives();
    List<ArchiveSpec> recordArchives = batch.layout.archives();
    boolean same = fileArchives.equals(recordArchives);
    long now = clock.instant().getEpochSecond();
    for (int a = 0; a < batch.archiveSlots(); a++) {
      int count = batch.count(a);
      if (count == 0) {
        continue;
      }
      int target = same ? a : indexOfPrecision(fileArchives, recordArchives.get(a).secondsPerPoint());
      if (target < 0) {
        metrics.droppedNoArchive.add(count);
        continue;
      }
      int kept = dropTooOld(batch.intervals(a), batch.values(a), count,
          now - fileArchives.get(target).retention());
      metrics.droppedTooOld.add(count - kept);
      if (kept > 0) {
        file.writeSlots(target, batch.intervals(a), batch.values(a), kept);
        metrics.committedPoints.add(kept);
      }
    }
    metrics.updateOperations.increment();
    dirty.add(file);
  }

  /** Compacts the slots at or after {@code oldest} to the front; returns how many there are. */
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

  /** Makes every write since the last flush durable as configured (fsync or page cache). */
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
  }

  private WhisperFile file(String metric, SeriesLayout layout) throws IOException {
    WhisperFile file = open.get(metric);
    if (file != null) {
      return file;
    }
    // an eviction below may flush another file; surface its failure as the IOException it is
    try {
      return openOrCreate(metric, layout);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private WhisperFile openOrCreate(String metric, SeriesLayout layout) throws IOException {
    WhisperFile file;
    Path path = pathOf(metric);
    if (Files.exists(path)) {
      file = WhisperFile.open(path);
    } else {
      file = WhisperFile.create(path, layout, fillMode);
      metrics.creates.increment();
      log.debug("created {} with {}", path, layout);
    }
    if (!file.layout().equals(layout) && mismatchLogged.add(metric)) {
      metrics.layoutMismatches.increment();
      log.warn("{} has layout {} but records carry {}; writing only the archives whose precision"
          + " matches", path, file.layout(), layout);
    }
    open.put(metric, file);
    return file;
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

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      for (WhisperFile f : new ArrayList<>(open.values())) {
        closeQuietly(f);
      }
      open.clear();
    }
  }
}

package io.graphitekafka.whisper;

import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open Whisper file, byte-compatible with whisper 1.1.x: create, {@code update}, {@code
 * update_many} and {@code fetch} as whisper.py does them, plus {@link #writeSlots}, the sink's
 * propagation-free write of already aggregated slots. Not thread-safe: one writer per file.
 */
public final class WhisperFile implements Closeable {

  private static final Logger LOG = LoggerFactory.getLogger(WhisperFile.class);

  private static final long NONE = Long.MIN_VALUE;

  private final Path path;
  private final FileChannel channel;
  private final WhisperHeader header;
  private final SeriesLayout layout;
  private final boolean writable;
  private final SlotStore slots;

  private WhisperFile(
      Path path, FileChannel channel, WhisperHeader header, boolean writable, long firstBase) {
    this.path = path;
    this.channel = channel;
    this.header = header;
    this.layout = header.layout();
    this.writable = writable;
    this.slots = new SlotStore(path, channel, header, firstBase);
  }

  /**
   * Creates a new file for {@code layout} (archives sorted by precision, validated like
   * whisper.py's {@code validateArchiveList}) and returns it open for reading and writing. Missing
   * parent directories are created; a partially written file is deleted.
   *
   * @throws FileAlreadyExistsException if {@code path} exists
   * @throws IllegalArgumentException if whisper would refuse the layout
   */
  public static WhisperFile create(Path path, SeriesLayout layout, FillMode fill)
      throws IOException {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(fill, "fill");
    WhisperHeader header = WhisperHeader.forLayout(layout);
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              path,
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(path.toString(), null, "Whisper file already exists");
    }
    boolean done = false;
    try {
      FileIo.writeFully(ch, header.encode(), 0);
      long dataStart = header.headerSize();
      long end = header.fileSize();
      switch (fill) {
        case ZERO -> FileIo.writeZeros(ch, dataStart, end, FileIo.ZERO_CHUNK);
        case SPARSE -> FileIo.writeZeros(ch, end - 1, end, 1);
        case FALLOCATE -> FileIo.allocate(ch, path, dataStart, end, Fallocate.available());
        default -> throw new AssertionError(fill);
      }
      WhisperFile file = new WhisperFile(path, ch, header, true, 0);
      done = true;
      LOG.debug(
          "created {} ({} bytes, {} archives, {})", path, end, header.archives().size(), fill);
      return file;
    } catch (IOException e) {
      throw new IOException("cannot create Whisper file " + path + ": " + e, e);
    } finally {
      if (!done) {
        FileIo.closeQuietly(ch);
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          LOG.warn("cannot delete partially created Whisper file {}", path, e);
        }
      }
    }
  }

  /**
   * Like {@link #create}, but builds the file under the temporary sibling name {@code
   * <name>.creating} and renames it into place only once it is complete, so a crash never leaves a
   * truncated file at {@code path}. A leftover temporary file from an earlier crash is replaced.
   *
   * @throws FileAlreadyExistsException if {@code path} exists
   */
  public static WhisperFile createAtomically(Path path, SeriesLayout layout, FillMode fill)
      throws IOException {
    Objects.requireNonNull(path, "path");
    if (Files.exists(path)) {
      throw new FileAlreadyExistsException(path.toString(), null, "Whisper file already exists");
    }
    Path temp = path.resolveSibling(path.getFileName() + ".creating");
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.deleteIfExists(temp);
    WhisperFile building = create(temp, layout, fill);
    try {
      Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      FileIo.closeQuietly(building.channel);
      Files.deleteIfExists(temp);
      throw new IOException("cannot rename " + temp + " to " + path + ": " + e, e);
    }
    return new WhisperFile(path, building.channel, building.header, true, 0);
  }

  /**
   * Makes a directory's entries durable (fsync of the directory), so a file renamed into it
   * survives a power loss under its new name. A no-op where the platform cannot open a directory
   * for syncing.
   */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (UnsupportedOperationException | java.nio.file.AccessDeniedException e) {
      // Windows cannot open a directory as a channel; the rename is as durable as it gets there
    }
  }

  /**
   * Opens an existing file for reading and writing after validating its header.
   *
   * @throws WhisperFormatException if the header is corrupt, the archive table does not match the
   *     file, or the file is truncated; nothing is written to such a file
   */
  public static WhisperFile open(Path path) throws IOException {
    return open(path, true);
  }

  /**
   * Opens an existing file for reading only; every write method then throws an {@link IOException}.
   */
  public static WhisperFile openReadOnly(Path path) throws IOException {
    return open(path, false);
  }

  private static WhisperFile open(Path path, boolean writable) throws IOException {
    Objects.requireNonNull(path, "path");
    FileChannel ch =
        writable
            ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
            : FileChannel.open(path, StandardOpenOption.READ);
    try {
      long[] firstBase = new long[1];
      WhisperHeader header = WhisperHeader.read(ch, path, firstBase);
      return new WhisperFile(path, ch, header, writable, firstBase[0]);
    } catch (IOException | RuntimeException e) {
      FileIo.closeQuietly(ch);
      throw e;
    }
  }

  /** The parsed header. */
  public WhisperHeader header() {
    return header;
  }

  /** The layout (archives finest first, method, xFilesFactor) stored in the header. */
  public SeriesLayout layout() {
    return layout;
  }

  /** The file this object reads and writes. */
  public Path path() {
    return path;
  }

  /** A whisper-info style summary of the header. */
  public String info() {
    return header.describe();
  }

  /**
   * Writes already aggregated slot values into one archive without propagating them. Each interval
   * is aligned down to the archive's precision; for duplicate intervals the value that comes last
   * in the input wins. Consecutive intervals are written with one positional write per run, split
   * at the archive's end. An empty archive takes the first run's start as its base, like
   * whisper.py's {@code __archive_update_many}. Callers drop intervals older than the archive's
   * retention themselves: an old interval overwrites whatever newer point shares its slot.
   *
   * @throws IllegalArgumentException if an interval does not fit the format's u32 timestamps
   */
  public void writeSlots(int archiveIndex, long[] intervals, double[] values, int count)
      throws IOException {
    checkWritable();
    checkArrays(intervals, values, count);
    ArchiveInfo archive = header.archives().get(archiveIndex);
    if (count == 0) {
      return;
    }
    Scratch scratch = Scratch.forRuns(count);
    long[] runIntervals = scratch.runIntervals;
    double[] runValues = scratch.runValues;
    long step = archive.secondsPerPoint();
    long previous = NONE;
    boolean ordered = true;
    for (int i = 0; i < count; i++) {
      long interval = intervals[i] - Math.floorMod(intervals[i], step);
      slots.checkU32(interval);
      if (interval < previous) {
        ordered = false;
      }
      previous = interval;
      runIntervals[i] = interval;
    }
    int n;
    if (ordered) {
      n = 0;
      for (int i = 0; i < count; i++) {
        if (n > 0 && runIntervals[n - 1] == runIntervals[i]) {
          runValues[n - 1] = values[i];
        } else {
          runIntervals[n] = runIntervals[i];
          runValues[n] = values[i];
          n++;
        }
      }
    } else {
      // Interval in the high bits, input position in the low 31: sorting the keys orders by
      // interval and, for equal intervals, by input position, so the last of a duplicate group is
      // the newest.
      long[] sortKeys = scratch.sortKeys(count);
      for (int i = 0; i < count; i++) {
        sortKeys[i] = (runIntervals[i] << 31) | i;
      }
      Arrays.sort(sortKeys, 0, count);
      n = 0;
      for (int k = 0; k < count; k++) {
        long interval = sortKeys[k] >>> 31;
        double value = values[(int) (sortKeys[k] & 0x7FFF_FFFFL)];
        if (n > 0 && runIntervals[n - 1] == interval) {
          runValues[n - 1] = value;
        } else {
          runIntervals[n] = interval;
          runValues[n] = value;
          n++;
        }
      }
    }
    slots.writeRuns(archiveIndex, runIntervals, runValues, n, false);
  }

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
  public void updateMany(long[] timestamps, double[] values, int count, long now)
      throws IOException {
    checkWritable();
    checkArrays(timestamps, values, count);
    WhisperUpdate.updateMany(slots, timestamps, values, count, now);
  }

  /**
   * Applies each point as its own {@code update_many([(timestamps[i], values[i])], nows[i])}, in
   * order, and leaves the file those calls would, byte for byte; a run of points at increasing
   * intervals of one archive costs one write per run of slots and one read and write per coarser
   * interval, instead of that for every point (see {@link WhisperUpdate#updateEach}).
   *
   * @throws IllegalArgumentException if a point to be written does not fit the u32 timestamps; the
   *     points before it are written then, as by the calls one by one
   */
  public void updateEach(long[] timestamps, double[] values, long[] nows, int count)
      throws IOException {
    checkWritable();
    checkArrays(timestamps, values, count);
    if (count > nows.length) {
      throw new IllegalArgumentException("count " + count + " exceeds " + nows.length + " nows");
    }
    WhisperUpdate.updateEach(slots, timestamps, values, nows, count);
  }

  /**
   * Applies whisper.py's {@code update(value, timestamp, now)}: one point into the finest archive
   * that covers its age, then propagated down until a coarser archive is not updated.
   *
   * @throws TimestampNotCoveredException if the point is in the future or at least the maximum
   *     retention old
   */
  public void update(long timestamp, double value, long now) throws IOException {
    checkWritable();
    WhisperUpdate.update(slots, timestamp, value, now);
  }

  /**
   * Reads {@code (from, until]} from the finest archive covering {@code now - from}, following
   * whisper.py's {@code fetch}: times are clamped to the retention and to {@code now}, and the slot
   * holding {@code from} is left out.
   *
   * @return the slots, or {@code null} where whisper returns {@code None} (range entirely in the
   *     future or entirely older than the maximum retention)
   * @throws IllegalArgumentException if {@code from > until}
   */
  public FetchResult fetch(long from, long until, long now) throws IOException {
    return fetch(from, until, now, 0);
  }

  /**
   * Like {@link #fetch(long, long, long)} but reads the archive whose precision is {@code
   * secondsPerPoint} (whisper's {@code archiveToSelect}); 0 selects by age.
   *
   * @throws IllegalArgumentException if no archive has that precision
   */
  public FetchResult fetch(long from, long until, long now, int secondsPerPoint)
      throws IOException {
    return WhisperFetch.fetch(slots, from, until, now, secondsPerPoint);
  }

  /**
   * Whether the archive has never been written: its first slot's timestamp is 0, so the next write
   * sets its base (the interval every other slot position is counted from).
   */
  public boolean isArchiveEmpty(int archiveIndex) throws IOException {
    return slots.base(archiveIndex) == 0;
  }

  /** Writes go straight to the file channel, so there is nothing to flush. */
  public void flush() {}

  /** Forces written data to the storage device ({@code fsync} of the data, not the metadata). */
  public void sync() throws IOException {
    try {
      channel.force(false);
    } catch (IOException e) {
      throw slots.annotate("sync", e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } catch (IOException e) {
      throw slots.annotate("close", e);
    }
  }

  private void checkWritable() throws IOException {
    if (!writable) {
      throw new IOException("Whisper file " + path + " is open read-only");
    }
  }

  private static void checkArrays(long[] times, double[] values, int count) {
    if (count < 0 || count > times.length || count > values.length) {
      throw new IllegalArgumentException(
          "count "
              + count
              + " exceeds the arrays ("
              + times.length
              + " timestamps, "
              + values.length
              + " values)");
    }
  }
}

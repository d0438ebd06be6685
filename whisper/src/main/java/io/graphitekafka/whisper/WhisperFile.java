package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.ArchiveInfo.POINT_SIZE;
import static io.graphitekafka.whisper.WhisperHeader.ARCHIVE_INFO_SIZE;
import static io.graphitekafka.whisper.WhisperHeader.MAX_U32;
import static io.graphitekafka.whisper.WhisperHeader.METADATA_SIZE;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

  private static final int ZERO_CHUNK = 16 * 1024;
  private static final int FALLOCATE_CHUNK = 1024 * 1024;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(FALLOCATE_CHUNK).asReadOnlyBuffer();
  private static final long NONE = Long.MIN_VALUE;
  private static final long HEADER_READ = METADATA_SIZE + 8L * ARCHIVE_INFO_SIZE;

  private final Path path;
  private final FileChannel channel;
  private final WhisperHeader header;
  private final SeriesLayout layout;
  private final boolean writable;
  // Non-zero bases read from slot 0 of each archive; 0 means "read it again".
  private final long[] baseCache;

  // Scratch space reused across calls and files to keep the write path and opening a file free of
  // allocation; one per thread, as a file is used by one thread at a time and calls never nest.
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private WhisperFile(Path path, FileChannel channel, WhisperHeader header, boolean writable) {
    this.path = path;
    this.channel = channel;
    this.header = header;
    this.layout = header.layout();
    this.writable = writable;
    this.baseCache = new long[header.archives().size()];
  }

  /**
   * Creates a new file for {@code layout} (archives sorted by precision, validated like whisper.py's
   * {@code validateArchiveList}) and returns it open for reading and writing. Missing parent directories
   * are created; a partially written file is deleted.
   *
   * @throws FileAlreadyExistsException if {@code path} exists
   * @throws IllegalArgumentException if whisper would refuse the layout
   */
  public static WhisperFile create(Path path, SeriesLayout layout, FillMode fill) throws IOException {
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
              path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(path.toString(), null, "Whisper file already exists");
    }
    boolean done = false;
    try {
      writeFully(ch, header.encode(), 0);
      long dataStart = header.headerSize();
      long end = header.fileSize();
      switch (fill) {
        case ZERO -> writeZeros(ch, dataStart, end, ZERO_CHUNK);
        case SPARSE -> writeZeros(ch, end - 1, end, 1);
        case FALLOCATE -> allocate(ch, path, dataStart, end, Fallocate.available());
        default -> throw new AssertionError(fill);
      }
      WhisperFile file = new WhisperFile(path, ch, header, true);
      done = true;
      LOG.debug("created {} ({} bytes, {} archives, {})", path, end, header.archives().size(), fill);
      return file;
    } catch (IOException e) {
      throw new IOException("cannot create Whisper file " + path + ": " + e, e);
    } finally {
      if (!done) {
        closeQuietly(ch);
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          LOG.warn("cannot delete partially created Whisper file {}", path, e);
        }
      }
    }
  }

  /**
   * Gives {@code [from, to)} its blocks: {@code posix_fallocate} where it can be called (the region reads
   * as zeros without being written), else zeros written in 1 MiB chunks, which allocates the same blocks.
   */
  static void allocate(FileChannel ch, Path path, long from, long to, boolean nativeCall)
      throws IOException {
    if (nativeCall) {
      Fallocate.allocate(path, from, to - from);
    } else {
      writeZeros(ch, from, to, FALLOCATE_CHUNK);
    }
  }

  /**
   * Like {@link #create}, but builds the file under the temporary sibling name {@code <name>.creating}
   * and renames it into place only once it is complete, so a crash never leaves a truncated file at
   * {@code path}. A leftover temporary file from an earlier crash is replaced.
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
      closeQuietly(building.channel);
      Files.deleteIfExists(temp);
      throw new IOException("cannot rename " + temp + " to " + path + ": " + e, e);
    }
    return new WhisperFile(path, building.channel, building.header, true);
  }

  /**
   * Makes a directory's entries durable (fsync of the directory), so a file renamed into it survives a
   * power loss under its new name. A no-op where the platform cannot open a directory for syncing.
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
   * @throws WhisperFormatException if the header is corrupt, the archive table does not match the file,
   *     or the file is truncated; nothing is written to such a file
   */
  public static WhisperFile open(Path path) throws IOException {
    return open(path, true);
  }

  /** Opens an existing file for reading only; every write method then throws an {@link IOException}. */
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
      WhisperFile file = new WhisperFile(path, ch, readHeader(ch, path, firstBase), writable);
      file.baseCache[0] = firstBase[0];
      return file;
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /**
   * Reads and checks the header (whisper.py {@code __readHeader}, plus a check of the archive table), and
   * sets {@code firstBase[0]} to the first archive's base where the one read of a header of up to 8
   * archives reached it (it follows the header), else to 0.
   */
  private static WhisperHeader readHeader(FileChannel ch, Path path, long[] firstBase)
      throws IOException {
    long fileSize = ch.size();
    if (fileSize < METADATA_SIZE) {
      throw new WhisperFormatException(
          path, "file has " + fileSize + " bytes, less than the " + METADATA_SIZE + "-byte metadata");
    }
    // one read for the metadata, the archive table of up to 8 archives and the first archive's base
    // (which saves a read of its own when the file is written), a second read for a longer table
    ByteBuffer meta = ByteBuffer.allocate((int) Math.min(fileSize, HEADER_READ + 4));
    readFully(ch, meta, 0, path);
    meta.flip();
    long type = Integer.toUnsignedLong(meta.getInt());
    long maxRetention = Integer.toUnsignedLong(meta.getInt());
    float xff = meta.getFloat();
    long count = Integer.toUnsignedLong(meta.getInt());
    if (type < 1 || type > 8) {
      throw new WhisperFormatException(path, "unknown aggregation type " + type + " (expected 1..8)");
    }
    if (!(xff >= 0f && xff <= 1f)) {
      throw new WhisperFormatException(path, "xFilesFactor " + xff + " is outside [0, 1]");
    }
    if (count == 0) {
      throw new WhisperFormatException(path, "archive count is 0");
    }
    long headerSize = METADATA_SIZE + ARCHIVE_INFO_SIZE * count;
    if (headerSize > fileSize) {
      throw new WhisperFormatException(
          path,
          "archive table of " + count + " entries needs " + headerSize + " bytes, file has " + fileSize);
    }
    ByteBuffer table = meta;
    if (headerSize > meta.limit()) {
      table = ByteBuffer.allocate((int) (headerSize - METADATA_SIZE));
      readFully(ch, table, METADATA_SIZE, path);
      table.flip();
    }
    List<ArchiveInfo> archives = new ArrayList<>((int) count);
    List<ArchiveSpec> specs = new ArrayList<>((int) count);
    long expectedOffset = headerSize;
    long computedMaxRetention = 0;
    for (int i = 0; i < count; i++) {
      long offset = Integer.toUnsignedLong(table.getInt());
      long spp = Integer.toUnsignedLong(table.getInt());
      long points = Integer.toUnsignedLong(table.getInt());
      if (spp == 0 || spp > Integer.MAX_VALUE || points == 0 || points > Integer.MAX_VALUE) {
        throw new WhisperFormatException(
            path, "archive " + i + " has " + spp + " seconds per point and " + points + " points");
      }
      if (offset != expectedOffset) {
        throw new WhisperFormatException(
            path, "archive " + i + " starts at offset " + offset + ", expected " + expectedOffset);
      }
      ArchiveInfo info = new ArchiveInfo(offset, (int) spp, (int) points);
      archives.add(info);
      specs.add(info.spec());
      expectedOffset = info.end();
      computedMaxRetention = Math.max(computedMaxRetention, info.retention());
    }
    if (expectedOffset != fileSize) {
      throw new WhisperFormatException(
          path, "archives end at byte " + expectedOffset + " but the file has " + fileSize + " bytes");
    }
    if (computedMaxRetention != maxRetention) {
      throw new WhisperFormatException(
          path,
          "maxRetention " + maxRetention + " differs from the archives' " + computedMaxRetention);
    }
    String problem = WhisperHeader.archiveListProblem(specs);
    if (problem != null) {
      throw new WhisperFormatException(path, "archive table whisper would not create: " + problem);
    }
    firstBase[0] = headerSize + 4 <= meta.limit()
        ? Integer.toUnsignedLong(meta.getInt((int) headerSize)) : 0;
    return new WhisperHeader(
        AggregationMethod.fromCode((int) type), maxRetention, xff, List.copyOf(archives));
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
   * Writes already aggregated slot values into one archive without propagating them. Each interval is
   * aligned down to the archive's precision; for duplicate intervals the value that comes last in the
   * input wins. Consecutive intervals are written with one positional write per run, split at the
   * archive's end. An empty archive takes the first run's start as its base, like whisper.py's {@code
   * __archive_update_many}. Callers drop intervals older than the archive's retention themselves: an
   * old interval overwrites whatever newer point shares its slot.
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
      checkU32(interval);
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
      // Interval in the high bits, input position in the low 31: sorting the keys orders by interval
      // and, for equal intervals, by input position, so the last of a duplicate group is the newest.
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
    writeRuns(archiveIndex, runIntervals, runValues, n, false);
  }

  /**
   * Applies whisper.py's {@code update_many(points, now)}: points are grouped by age into the finest
   * archive that covers them (future points go to archive 0, points older than the maximum retention are
   * dropped), written in runs and propagated to coarser archives under the xFilesFactor. Among points
   * with the same timestamp the first in input order is kept, as whisper does. Timestamps are already
   * whole seconds ({@code int()} is the caller's).
   *
   * @throws IllegalArgumentException if a point to be written does not fit the u32 timestamps; nothing
   *     is written then
   */
  public void updateMany(long[] timestamps, double[] values, int count, long now)
      throws IOException {
    checkWritable();
    checkArrays(timestamps, values, count);
    if (count == 0) {
      return;
    }
    int[] order = newestFirst(timestamps, count);
    List<ArchiveInfo> archives = header.archives();
    // file_update_many: walk newest to oldest, advancing the archive cursor while it cannot hold the
    // point's age; group g covers order[groupStart[g]..groupEnd[g]) and goes to groupArchive[g].
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
        // struct.pack fails on the aligned interval, which may fit where the raw timestamp does not.
        checkU32(archive.interval(timestamps[order[i]]));
      }
    }
    if (kept < count) {
      LOG.trace("{}: dropped {} points older than the maximum retention", path, count - kept);
    }
    for (int g = 0; g < groups; g++) {
      archiveUpdateMany(groupArchive[g], timestamps, values, order, groupStart[g], groupEnd[g]);
    }
  }

  /**
   * Applies whisper.py's {@code update(value, timestamp, now)}: one point into the finest archive that
   * covers its age, then propagated down until a coarser archive is not updated.
   *
   * @throws TimestampNotCoveredException if the point is in the future or at least the maximum
   *     retention old
   */
  public void update(long timestamp, double value, long now) throws IOException {
    checkWritable();
    long age = now - timestamp;
    if (!(age < header.maxRetention() && age >= 0)) {
      throw new TimestampNotCoveredException(path, timestamp, now, header.maxRetention());
    }
    List<ArchiveInfo> archives = header.archives();
    int index = 0;
    while (archives.get(index).retention() < age) {
      index++;
    }
    ArchiveInfo archive = archives.get(index);
    long interval = archive.interval(timestamp);
    checkU32(interval);
    long base = base(index);
    long offset = base == 0 ? archive.offset() : slotOffset(archive, base, interval);
    writePoint(index, offset, interval, value);
    for (int lower = index + 1; lower < archives.size(); lower++) {
      if (!propagate(interval, lower - 1, lower)) {
        break;
      }
    }
  }

  /**
   * Reads {@code (from, until]} from the finest archive covering {@code now - from}, following
   * whisper.py's {@code fetch}: times are clamped to the retention and to {@code now}, and the slot
   * holding {@code from} is left out.
   *
   * @return the slots, or {@code null} where whisper returns {@code None} (range entirely in the future
   *     or entirely older than the maximum retention)
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
    if (from > until) {
      throw new IllegalArgumentException(
          "invalid time interval: from " + from + " is after until " + until);
    }
    long oldest = now - header.maxRetention();
    if (from > now || until < oldest) {
      return null;
    }
    from = Math.max(from, oldest);
    until = Math.min(until, now);
    List<ArchiveInfo> archives = header.archives();
    int index;
    if (secondsPerPoint != 0) {
      index = header.indexOfPrecision(secondsPerPoint);
      if (index < 0) {
        throw new IllegalArgumentException(
            "invalid granularity " + secondsPerPoint + "s for " + path + " (archives "
                + layout.archives() + ")");
      }
    } else {
      long age = now - from;
      index = 0;
      // file_fetch keeps the last archive when none covers the age.
      while (index < archives.size() - 1 && archives.get(index).retention() < age) {
        index++;
      }
    }
    ArchiveInfo archive = archives.get(index);
    int step = archive.secondsPerPoint();
    long fromInterval = archive.interval(from) + step;
    long untilInterval = archive.interval(until) + step;
    if (fromInterval == untilInterval) {
      untilInterval += step;
    }
    long base = base(index);
    if (base == 0) {
      return new FetchResult(
          fromInterval,
          untilInterval,
          step,
          new Double[(int) Math.floorDiv(untilInterval - fromInterval, (long) step)]);
    }
    // __archive_fetch reads from the from-slot up to the until-slot, wrapping at the archive's end; the
    // same slot for both means a full lap.
    long fromRel = slotOffset(archive, base, fromInterval) - archive.offset();
    long untilRel = slotOffset(archive, base, untilInterval) - archive.offset();
    long bytes = fromRel < untilRel ? untilRel - fromRel : archive.size() - fromRel + untilRel;
    int n = (int) (bytes / POINT_SIZE);
    ByteBuffer buf = readSlots(archive, fromRel, n);
    Double[] values = new Double[n];
    long expected = fromInterval;
    for (int i = 0; i < n; i++) {
      long ts = Integer.toUnsignedLong(buf.getInt());
      double value = buf.getDouble();
      if (ts == expected) {
        values[i] = value;
      }
      expected += step;
    }
    return new FetchResult(fromInterval, untilInterval, step, values);
  }

  /**
   * Whether the archive has never been written: its first slot's timestamp is 0, so the next write sets
   * its base (the interval every other slot position is counted from).
   */
  public boolean isArchiveEmpty(int archiveIndex) throws IOException {
    return base(archiveIndex) == 0;
  }

  /** Writes go straight to the file channel, so there is nothing to flush. */
  public void flush() {}

  /** Forces written data to the storage device ({@code fsync} of the data, not the metadata). */
  public void sync() throws IOException {
    try {
      channel.force(false);
    } catch (IOException e) {
      throw annotate("sync", e);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } catch (IOException e) {
      throw annotate("close", e);
    }
  }

  // __archive_update_many for one archive group, given newest-first order[start..end).
  private void archiveUpdateMany(
      int archiveIndex, long[] timestamps, double[] values, int[] order, int start, int end)
      throws IOException {
    ArchiveInfo archive = header.archives().get(archiveIndex);
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
    writeRuns(archiveIndex, runIntervals, runValues, n, true);

    List<ArchiveInfo> archives = header.archives();
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
        if (propagate(interval, higher, lower)) {
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
   * Writes deduplicated, ascending intervals as runs of consecutive slots. With {@code pythonRuns} an
   * interval of 0 does not end a run, reproducing whisper.py's {@code not previousInterval} test.
   */
  private void writeRuns(
      int archiveIndex, long[] intervals, double[] values, int n, boolean pythonRuns)
      throws IOException {
    ArchiveInfo archive = header.archives().get(archiveIndex);
    long step = archive.secondsPerPoint();
    long base = base(archiveIndex);
    ByteBuffer buf = buffer(n * POINT_SIZE);
    for (int i = 0; i < n; i++) {
      buf.putInt((int) intervals[i]);
      buf.putDouble(values[i]);
    }
    int runStart = 0;
    for (int i = 1; i <= n; i++) {
      long previous = intervals[i - 1];
      boolean continues =
          i < n && ((pythonRuns && previous == 0) || intervals[i] == previous + step);
      if (continues) {
        continue;
      }
      // The run's start as whisper.py computes it: last interval minus (points - 1) steps.
      long runInterval = previous - step * (i - 1 - runStart);
      if (base == 0) {
        base = runInterval;
      }
      writeRun(archiveIndex, archive, base, runInterval, buf, runStart, i);
      runStart = i;
    }
  }

  private void writeRun(
      int archiveIndex, ArchiveInfo archive, long base, long runInterval, ByteBuffer buf, int from,
      int to) throws IOException {
    // A run longer than the archive would overwrite itself; only its newest lap survives.
    if (to - from > archive.points()) {
      int skip = to - from - archive.points();
      runInterval += skip * (long) archive.secondsPerPoint();
      from += skip;
    }
    long offset = slotOffset(archive, base, runInterval);
    long bytes = (long) (to - from) * POINT_SIZE;
    long beyond = offset + bytes - archive.end();
    try {
      if (beyond > 0) {
        writeSlice(buf, from * POINT_SIZE, (int) (bytes - beyond), offset);
        writeSlice(buf, (int) (from * POINT_SIZE + bytes - beyond), (int) beyond, archive.offset());
        baseCache[archiveIndex] = 0;
      } else {
        writeSlice(buf, from * POINT_SIZE, (int) bytes, offset);
        if (offset == archive.offset()) {
          baseCache[archiveIndex] = 0;
        }
      }
    } catch (IOException e) {
      throw annotate("write", e);
    }
  }

  private void writeSlice(ByteBuffer buf, int position, int length, long fileOffset)
      throws IOException {
    buf.limit(position + length).position(position);
    writeFully(channel, buf, fileOffset);
  }

  /**
   * whisper.py {@code __propagate}: aggregates the slots of {@code higher} that make up the interval of
   * {@code lower} holding {@code timestamp}; writes it and returns true if enough of them are known.
   */
  private boolean propagate(long timestamp, int higherIndex, int lowerIndex) throws IOException {
    ArchiveInfo higher = header.archives().get(higherIndex);
    ArchiveInfo lower = header.archives().get(lowerIndex);
    long lowerInterval = lower.interval(timestamp);
    long higherBase = base(higherIndex);
    long firstRel =
        higherBase == 0 ? 0 : slotOffset(higher, higherBase, lowerInterval) - higher.offset();
    int slots = lower.secondsPerPoint() / higher.secondsPerPoint();
    ByteBuffer buf = readSlots(higher, firstRel, slots);
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
    if ((double) knownCount / slots < (double) header.xFilesFactor()) {
      return false;
    }
    double aggregate = header.method().aggregate(known, knownCount, slots);
    long lowerBase = base(lowerIndex);
    long offset = lowerBase == 0 ? lower.offset() : slotOffset(lower, lowerBase, lowerInterval);
    writePoint(lowerIndex, offset, lowerInterval, aggregate);
    return true;
  }

  private void writePoint(int archiveIndex, long offset, long interval, double value)
      throws IOException {
    ByteBuffer buf = buffer(POINT_SIZE);
    buf.putInt((int) interval).putDouble(value).flip();
    try {
      writeFully(channel, buf, offset);
    } catch (IOException e) {
      throw annotate("write", e);
    }
    if (offset == header.archives().get(archiveIndex).offset()) {
      baseCache[archiveIndex] = 0;
    }
  }

  // Reads n slots starting at byteOffset relative to the archive, continuing at its start if needed.
  private ByteBuffer readSlots(ArchiveInfo archive, long relOffset, int n) throws IOException {
    ByteBuffer buf = buffer(n * POINT_SIZE);
    long first = Math.min((long) n * POINT_SIZE, archive.size() - relOffset);
    buf.limit((int) first);
    readFully(channel, buf, archive.offset() + relOffset, path);
    buf.limit(n * POINT_SIZE);
    readFully(channel, buf, archive.offset(), path);
    return buf.flip();
  }

  // The interval stored in the archive's first slot; 0 when the archive has never been written.
  private long base(int archiveIndex) throws IOException {
    long cached = baseCache[archiveIndex];
    if (cached != 0) {
      return cached;
    }
    ByteBuffer buf = buffer(4);
    buf.limit(4);
    readFully(channel, buf, header.archives().get(archiveIndex).offset(), path);
    long base = Integer.toUnsignedLong(buf.getInt(0));
    baseCache[archiveIndex] = base;
    return base;
  }

  private static long slotOffset(ArchiveInfo archive, long base, long interval) {
    long slots = Math.floorDiv(interval - base, (long) archive.secondsPerPoint());
    return archive.offset() + Math.floorMod(slots * POINT_SIZE, archive.size());
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

  private static ByteBuffer buffer(int bytes) {
    return SCRATCH.get().buffer(bytes);
  }

  /** A thread's scratch space: a direct buffer for file I/O and the arrays of the runs being written. */
  private static final class Scratch {
    private ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
    private long[] sortKeys = new long[0];
    private long[] runIntervals = new long[0];
    private double[] runValues = new double[0];

    /** This thread's scratch, with run arrays of at least {@code count} elements. */
    static Scratch forRuns(int count) {
      Scratch s = SCRATCH.get();
      if (s.runIntervals.length < count) {
        int size = Math.max(count, s.runIntervals.length * 2);
        s.runIntervals = new long[size];
        s.runValues = new double[size];
      }
      return s;
    }

    long[] sortKeys(int count) {
      if (sortKeys.length < count) {
        sortKeys = new long[Math.max(count, sortKeys.length * 2)];
      }
      return sortKeys;
    }

    ByteBuffer buffer(int bytes) {
      if (buffer.capacity() < bytes) {
        buffer = ByteBuffer.allocateDirect(Math.max(bytes, buffer.capacity() * 2));
      }
      return buffer.clear();
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
          "count " + count + " exceeds the arrays (" + times.length + " timestamps, "
              + values.length + " values)");
    }
  }

  private void checkU32(long timestamp) {
    if (timestamp < 0 || timestamp > MAX_U32) {
      throw new IllegalArgumentException(
          "timestamp " + timestamp + " for " + path + " is outside the u32 range [0, 2^32)");
    }
  }

  private IOException annotate(String operation, IOException e) {
    return new IOException(operation + " failed for Whisper file " + path + ": " + e, e);
  }

  private static void writeZeros(FileChannel ch, long from, long to, int chunk) throws IOException {
    long position = from;
    while (position < to) {
      ByteBuffer zeros = ZEROS.duplicate();
      zeros.limit((int) Math.min(chunk, to - position));
      writeFully(ch, zeros, position);
      position += zeros.limit();
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
    while (src.hasRemaining()) {
      position += ch.write(src, position);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path)
      throws IOException {
    while (dst.hasRemaining()) {
      int read = ch.read(dst, position);
      if (read < 0) {
        throw new WhisperFormatException(path, "short read at byte " + position);
      }
      position += read;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("ignoring error while closing", e);
    }
  }
}

package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.ArchiveInfo.POINT_SIZE;
import static io.graphitekafka.whisper.WhisperHeader.MAX_U32;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The slots of one open file's archives: positional reads and writes of (interval, value) points,
 * and each archive's base (the interval its first slot holds, which every other position counts
 * from), cached until a write to the first slot may change it.
 */
final class SlotStore {

  private final Path path;
  private final FileChannel channel;
  private final WhisperHeader header;
  // Non-zero bases read from slot 0 of each archive; 0 means "read it again".
  private final long[] baseCache;

  SlotStore(Path path, FileChannel channel, WhisperHeader header, long firstBase) {
    this.path = path;
    this.channel = channel;
    this.header = header;
    this.baseCache = new long[header.archives().size()];
    this.baseCache[0] = firstBase;
  }

  Path path() {
    return path;
  }

  WhisperHeader header() {
    return header;
  }

  FileChannel channel() {
    return channel;
  }

  // The interval stored in the archive's first slot; 0 when the archive has never been written.
  long base(int archiveIndex) throws IOException {
    long cached = baseCache[archiveIndex];
    if (cached != 0) {
      return cached;
    }
    ByteBuffer buf = Scratch.ioBuffer(4);
    buf.limit(4);
    FileIo.readFully(channel, buf, header.archives().get(archiveIndex).offset(), path);
    long base = Integer.toUnsignedLong(buf.getInt(0));
    baseCache[archiveIndex] = base;
    return base;
  }

  // Reads n slots starting at byteOffset relative to the archive, continuing at its start if
  // needed.
  ByteBuffer readSlots(ArchiveInfo archive, long relOffset, int n) throws IOException {
    ByteBuffer buf = Scratch.ioBuffer(n * POINT_SIZE);
    long first = Math.min((long) n * POINT_SIZE, archive.size() - relOffset);
    buf.limit((int) first);
    FileIo.readFully(channel, buf, archive.offset() + relOffset, path);
    buf.limit(n * POINT_SIZE);
    FileIo.readFully(channel, buf, archive.offset(), path);
    return buf.flip();
  }

  /**
   * Writes deduplicated, ascending intervals as runs of consecutive slots. With {@code pythonRuns}
   * an interval of 0 does not end a run, reproducing whisper.py's {@code not previousInterval}
   * test.
   */
  void writeRuns(int archiveIndex, long[] intervals, double[] values, int n, boolean pythonRuns)
      throws IOException {
    ArchiveInfo archive = header.archives().get(archiveIndex);
    long step = archive.secondsPerPoint();
    long base = base(archiveIndex);
    ByteBuffer buf = Scratch.ioBuffer(n * POINT_SIZE);
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
      int archiveIndex,
      ArchiveInfo archive,
      long base,
      long runInterval,
      ByteBuffer buf,
      int from,
      int to)
      throws IOException {
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
    FileIo.writeFully(channel, buf, fileOffset);
  }

  void writePoint(int archiveIndex, long offset, long interval, double value) throws IOException {
    ByteBuffer buf = Scratch.ioBuffer(POINT_SIZE);
    buf.putInt((int) interval).putDouble(value).flip();
    try {
      FileIo.writeFully(channel, buf, offset);
    } catch (IOException e) {
      throw annotate("write", e);
    }
    if (offset == header.archives().get(archiveIndex).offset()) {
      baseCache[archiveIndex] = 0;
    }
  }

  static long slotOffset(ArchiveInfo archive, long base, long interval) {
    long slots = Math.floorDiv(interval - base, (long) archive.secondsPerPoint());
    return archive.offset() + Math.floorMod(slots * POINT_SIZE, archive.size());
  }

  void checkU32(long timestamp) {
    if (timestamp < 0 || timestamp > MAX_U32) {
      throw new IllegalArgumentException(
          "timestamp " + timestamp + " for " + path + " is outside the u32 range [0, 2^32)");
    }
  }

  IOException annotate(String operation, IOException e) {
    return new IOException(operation + " failed for Whisper file " + path + ": " + e, e);
  }
}

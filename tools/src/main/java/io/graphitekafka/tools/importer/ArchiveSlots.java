package io.graphitekafka.tools.importer;

import io.graphitekafka.whisper.ArchiveInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The slots of one archive that whisper would still show: written, and within one lap of the
 * newest.
 */
record ArchiveSlots(long[] timestamps, double[] values, int count) {

  /**
   * Reads archive {@code info} of the file open on {@code channel}. A slot left from an earlier lap
   * of the ring (at least one retention older than the archive's newest slot) is not part of the
   * series any more and is skipped, as whisper's fetch skips it.
   */
  static ArchiveSlots read(FileChannel channel, Path path, ArchiveInfo info) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(info.size()));
    long position = info.offset();
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position);
      if (n < 0) {
        throw new IOException(
            "unexpected end of " + path + " reading the archive at " + info.offset());
      }
      position += n;
    }
    buf.flip();
    long[] ts = new long[info.points()];
    double[] values = new double[info.points()];
    long newest = 0;
    for (int i = 0; i < info.points(); i++) {
      ts[i] = Integer.toUnsignedLong(buf.getInt());
      values[i] = buf.getDouble();
      newest = Math.max(newest, ts[i]);
    }
    long oldestKept = newest - info.retention();
    int count = 0;
    for (int i = 0; i < info.points(); i++) {
      if (ts[i] != 0 && ts[i] > oldestKept) {
        ts[count] = ts[i];
        values[count] = values[i];
        count++;
      }
    }
    return new ArchiveSlots(ts, values, count);
  }
}

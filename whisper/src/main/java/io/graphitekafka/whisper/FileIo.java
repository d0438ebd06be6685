package io.graphitekafka.whisper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Positional file I/O that finishes what it starts: full reads and writes, zero fills, allocation.
 */
final class FileIo {

  private static final Logger LOG = LoggerFactory.getLogger(FileIo.class);

  static final int ZERO_CHUNK = 16 * 1024;
  private static final int FALLOCATE_CHUNK = 1024 * 1024;
  private static final ByteBuffer ZEROS =
      ByteBuffer.allocateDirect(FALLOCATE_CHUNK).asReadOnlyBuffer();

  private FileIo() {}

  /**
   * Gives {@code [from, to)} its blocks: {@code posix_fallocate} where it can be called (the region
   * reads as zeros without being written), else zeros written in 1 MiB chunks, which allocates the
   * same blocks.
   */
  static void allocate(FileChannel ch, Path path, long from, long to, boolean nativeCall)
      throws IOException {
    if (nativeCall) {
      Fallocate.allocate(path, from, to - from);
    } else {
      writeZeros(ch, from, to, FALLOCATE_CHUNK);
    }
  }

  static void writeZeros(FileChannel ch, long from, long to, int chunk) throws IOException {
    long position = from;
    while (position < to) {
      ByteBuffer zeros = ZEROS.duplicate();
      zeros.limit((int) Math.min(chunk, to - position));
      writeFully(ch, zeros, position);
      position += zeros.limit();
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
    while (src.hasRemaining()) {
      position += ch.write(src, position);
    }
  }

  static void readFully(FileChannel ch, ByteBuffer dst, long position, Path path)
      throws IOException {
    while (dst.hasRemaining()) {
      int read = ch.read(dst, position);
      if (read < 0) {
        throw new WhisperFormatException(path, "short read at byte " + position);
      }
      position += read;
    }
  }

  static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      LOG.debug("ignoring error while closing", e);
    }
  }
}

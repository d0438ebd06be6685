package io.graphitekafka.whisper;

import java.nio.ByteBuffer;

/**
 * A thread's scratch space: a direct buffer for file I/O and the arrays of the runs being written.
 */
final class Scratch {

  // One per thread, as a file is used by one thread at a time and calls never nest.
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
  private long[] sortKeys = new long[0];
  long[] runIntervals = new long[0];
  double[] runValues = new double[0];

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

  /** This thread's direct I/O buffer, cleared, of at least {@code bytes}. */
  static ByteBuffer ioBuffer(int bytes) {
    return SCRATCH.get().buffer(bytes);
  }
}

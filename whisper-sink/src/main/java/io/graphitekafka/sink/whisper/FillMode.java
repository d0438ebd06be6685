package io.graphitekafka.sink.whisper;

/**
 * How {@link WhisperFile#create} allocates the data region; the content is all zeros in every mode, so
 * the bytes of a new file do not depend on the choice.
 */
public enum FillMode {
  /** Writes zeros in 16 KiB chunks, as whisper.py's {@code create} does by default. */
  ZERO,
  /** Writes a single zero byte at the last offset and lets the file system leave a hole. */
  SPARSE,
  /**
   * Stands in for whisper's {@code posix_fallocate}, which Java cannot call: the data region is written
   * as zeros in 1 MiB chunks, so every block is allocated up front, with fewer system calls than {@link
   * #ZERO}.
   */
  FALLOCATE
}

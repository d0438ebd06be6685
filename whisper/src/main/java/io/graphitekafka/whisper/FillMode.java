package io.graphitekafka.whisper;

/**
 * How {@link WhisperFile#create} allocates the data region; the content is all zeros in every mode,
 * so the bytes of a new file do not depend on the choice.
 */
public enum FillMode {
  /** Writes zeros in 16 KiB chunks, as whisper.py's {@code create} does by default. */
  ZERO,
  /** Writes a single zero byte at the last offset and lets the file system leave a hole. */
  SPARSE,
  /**
   * Reserves the data region's blocks with {@code posix_fallocate}, as whisper.py does for carbon's
   * {@code WHISPER_FALLOCATE_CREATE} (on in Debian's carbon.conf): every block is allocated up
   * front, none is written. Where the C function cannot be called (not Linux, JNA refused), the
   * region is written as zeros in 1 MiB chunks, which allocates the same blocks more slowly.
   */
  FALLOCATE
}

package io.graphitekafka.whisper;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that is not a readable Whisper file: bad header, inconsistent archive table or short read.
 */
public class WhisperFormatException extends IOException {

  private final Path path;

  public WhisperFormatException(Path path, String problem) {
    super("corrupt Whisper file " + path + ": " + problem);
    this.path = path;
  }

  /** The file that failed to parse. */
  public Path path() {
    return path;
  }
}

package io.graphitekafka.whisper;

import java.nio.file.Path;

/**
 * A single-point {@link WhisperFile#update} for a timestamp in the future or at least the maximum
 * retention in the past, the cases whisper.py's {@code file_update} rejects with {@code
 * TimestampNotCovered}.
 */
public class TimestampNotCoveredException extends IllegalArgumentException {

  public TimestampNotCoveredException(Path path, long timestamp, long now, long maxRetention) {
    super(
        "timestamp "
            + timestamp
            + " is not covered by any archive of "
            + path
            + " (now "
            + now
            + ", age must be within [0, "
            + maxRetention
            + "))");
  }
}

package io.graphitekafka.sink.config;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * Where a sink rewinds its owned partitions at start: the earliest offsets, or the first record
 * whose Kafka timestamp is at or after an instant (found through {@code offsetsForTimes}).
 *
 * @param instant the instant to seek to; {@code null} for the earliest offsets
 */
public record ReplayFrom(Instant instant) {

  public static final ReplayFrom EARLIEST = new ReplayFrom(null);

  public boolean earliest() {
    return instant == null;
  }

  /**
   * Parses {@code earliest}, epoch seconds, an ISO-8601 instant with {@code Z} or an offset ({@code
   * 2026-11-25T10:00:00Z}, {@code 2026-11-25T11:00:00+01:00}) or an ISO date (midnight UTC).
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static ReplayFrom parse(String text) {
    String t = text.trim();
    if (t.equalsIgnoreCase("earliest")) {
      return EARLIEST;
    }
    try {
      long seconds = Long.parseLong(t);
      if (seconds < 0) {
        throw new IllegalArgumentException("replay.from must not be negative, was '" + text + "'");
      }
      return new ReplayFrom(Instant.ofEpochSecond(seconds));
    } catch (NumberFormatException e) {
      // not epoch seconds; try the ISO forms
    }
    try {
      return new ReplayFrom(OffsetDateTime.parse(t).toInstant());
    } catch (DateTimeParseException e) {
      // try a date
    }
    try {
      return new ReplayFrom(LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "replay.from must be earliest, epoch seconds or an ISO-8601"
              + " instant such as 2026-11-25T10:00:00Z, was '"
              + text
              + "'");
    }
  }
}

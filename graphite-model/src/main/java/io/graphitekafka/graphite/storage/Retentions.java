package io.graphitekafka.graphite.storage;

import io.graphitekafka.graphite.python.PythonStrings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Carbon's retention syntax ({@code 10s:6h,1m:7d}) and whisper's rules for a valid archive list.
 * Parsing follows carbon's {@code util.parseRetentionDef}; validation follows whisper's {@code
 * validateArchiveList}, plus the limits of the file header that whisper would only hit when
 * creating.
 */
public final class Retentions {

  private static final long MAX_U32 = 0xFFFF_FFFFL;

  private Retentions() {}

  /**
   * Parses a comma-separated retention list and validates it.
   *
   * @return the archives sorted by secondsPerPoint
   * @throws IllegalArgumentException naming the offending text and the rule that failed
   */
  public static List<ArchiveSpec> parse(String text) {
    return validate(parseUnvalidated(text));
  }

  /**
   * Parses a comma-separated retention list without whisper's list rules, in the order written.
   * Carbon treats a failure here as fatal, while a list that parses but fails {@link #validate}
   * only skips its section.
   */
  public static List<ArchiveSpec> parseUnvalidated(String text) {
    if (text == null) {
      throw new IllegalArgumentException("retentions must not be null");
    }
    List<ArchiveSpec> archives = new ArrayList<>();
    // carbon storage.py loadStorageSchemas: options['retentions'].split(','), each definition
    // stripped.
    for (String def : text.split(",", -1)) {
      archives.add(parseDefinition(def));
    }
    return archives;
  }

  /**
   * Parses one {@code precision:history} definition the way carbon's {@code util.parseRetentionDef}
   * does: precision is digits (seconds) or digits plus one of the units s, m, h, d, w, y; history
   * is a point count or digits plus a unit, giving {@code points = int(seconds / precision)}.
   */
  public static ArchiveSpec parseDefinition(String definition) {
    String def = PythonStrings.strip(definition);
    String[] parts = def.split(":", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException(
          "invalid retention definition '" + definition + "': expected precision:history");
    }
    long precision = parseAmount(parts[0], definition, "precision");
    if (precision <= 0 || precision > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "invalid retention definition '"
              + definition
              + "': precision must be between 1 and "
              + Integer.MAX_VALUE
              + " seconds, was "
              + precision);
    }
    long points;
    if (isDigits(parts[1])) {
      points = parseDigits(parts[1], definition, "history");
    } else {
      // carbon util.py parseRetentionDef: seconds / precision, truncated by Archive's int().
      points = parseAmount(parts[1], definition, "history") / precision;
    }
    if (points <= 0 || points > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "invalid retention definition '"
              + definition
              + "': the history must give between 1 and "
              + Integer.MAX_VALUE
              + " points, gives "
              + points);
    }
    return new ArchiveSpec((int) precision, (int) points);
  }

  /**
   * Checks an archive list against whisper's {@code validateArchiveList} rules and the header
   * limits.
   *
   * @return a copy sorted by secondsPerPoint
   * @throws IllegalArgumentException naming the archives and the rule that failed
   */
  public static List<ArchiveSpec> validate(List<ArchiveSpec> archives) {
    if (archives == null || archives.isEmpty()) {
      throw new IllegalArgumentException("at least one archive is required");
    }
    List<ArchiveSpec> sorted = new ArrayList<>(archives);
    sorted.sort(Comparator.comparingInt(ArchiveSpec::secondsPerPoint));
    for (int i = 0; i + 1 < sorted.size(); i++) {
      ArchiveSpec a = sorted.get(i);
      ArchiveSpec b = sorted.get(i + 1);
      String pair = " (archive" + i + ": " + a + ", archive" + (i + 1) + ": " + b + ")";
      if (a.secondsPerPoint() >= b.secondsPerPoint()) {
        throw new IllegalArgumentException(
            "two archives have the same precision" + pair + " in " + sorted);
      }
      if (b.secondsPerPoint() % a.secondsPerPoint() != 0) {
        throw new IllegalArgumentException(
            "a lower-precision archive's secondsPerPoint must be a multiple of the higher one's"
                + pair
                + " in "
                + sorted);
      }
      if (b.retention() <= a.retention()) {
        throw new IllegalArgumentException(
            "a lower-precision archive must cover a strictly longer retention"
                + pair
                + " in "
                + sorted);
      }
      int perConsolidation = b.secondsPerPoint() / a.secondsPerPoint();
      if (a.points() < perConsolidation) {
        throw new IllegalArgumentException(
            "archive"
                + i
                + " needs at least "
                + perConsolidation
                + " points to fill one slot of the next archive"
                + pair
                + " in "
                + sorted);
      }
    }
    // whisper.create packs maxRetention and every archive offset as u32 ('!L').
    long maxRetention = sorted.get(sorted.size() - 1).retention();
    if (maxRetention > MAX_U32) {
      throw new IllegalArgumentException(
          "the longest retention of "
              + sorted
              + " exceeds the u32 header field: "
              + maxRetention
              + " s");
    }
    long fileSize = 16L + 12L * sorted.size();
    for (ArchiveSpec a : sorted) {
      fileSize += 12L * a.points();
    }
    if (fileSize > MAX_U32) {
      throw new IllegalArgumentException(
          "a Whisper file for "
              + sorted
              + " would need "
              + fileSize
              + " bytes, over the 4 GiB offset limit");
    }
    return List.copyOf(sorted);
  }

  /**
   * Formats archives back into carbon's syntax with plain numbers, e.g. {@code 60:1440,300:8640}.
   */
  public static String format(List<ArchiveSpec> archives) {
    StringBuilder sb = new StringBuilder();
    for (ArchiveSpec a : archives) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(a.secondsPerPoint()).append(':').append(a.points());
    }
    return sb.toString();
  }

  private static long parseAmount(String part, String definition, String what) {
    if (isDigits(part)) {
      return parseDigits(part, definition, what);
    }
    // carbon util.py parseRetentionDef: r'^(\d+)([a-z]+)$' and a unit that is exactly one key of
    // UnitMultipliers; \d and str.isdigit() accept any Unicode decimal digit.
    int i = 0;
    while (i < part.length() && Character.isDigit(part.charAt(i))) {
      i++;
    }
    String unit = part.substring(i);
    if (i == 0 || unit.isEmpty() || !unit.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
      throw new IllegalArgumentException(
          "invalid retention definition '"
              + definition
              + "': invalid "
              + what
              + " specification '"
              + part
              + "' (expected digits with an optional unit s, m, h, d, w or y)");
    }
    long multiplier = unitSeconds(unit);
    if (multiplier < 0) {
      throw new IllegalArgumentException(
          "invalid retention definition '"
              + definition
              + "': invalid unit '"
              + unit
              + "' (carbon accepts exactly one of s, m, h, d, w, y)");
    }
    long amount = parseDigits(part.substring(0, i), definition, what);
    try {
      return Math.multiplyExact(amount, multiplier);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(
          "invalid retention definition '" + definition + "': " + what + " is too large", e);
    }
  }

  private static long unitSeconds(String unit) {
    switch (unit) {
      case "s":
        return 1;
      case "m":
        return 60;
      case "h":
        return 3600;
      case "d":
        return 86400;
      case "w":
        return 604800;
      case "y":
        return 31536000;
      default:
        return -1;
    }
  }

  private static boolean isDigits(String s) {
    return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
  }

  private static long parseDigits(String digits, String definition, String what) {
    long value = 0;
    for (int i = 0; i < digits.length(); i++) {
      value = value * 10 + Character.digit(digits.charAt(i), 10);
      if (value > MAX_U32) {
        throw new IllegalArgumentException(
            "invalid retention definition '"
                + definition
                + "': "
                + what
                + " '"
                + digits
                + "' is too large");
      }
    }
    return value;
  }
}

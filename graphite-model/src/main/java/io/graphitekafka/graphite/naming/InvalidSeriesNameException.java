package io.graphitekafka.graphite.naming;

/**
 * A series name that cannot be stored, with a stable reason code for counters and the rejects
 * topic.
 */
public class InvalidSeriesNameException extends IllegalArgumentException {

  /** The name is empty, or its metric part is empty or only {@code ~}. */
  public static final String EMPTY_NAME = "empty_name";

  /**
   * The metric part has an empty dot-separated component ({@code a..b}, a leading or trailing dot).
   */
  public static final String EMPTY_COMPONENT = "empty_component";

  /** {@code /}, NUL, whitespace, a control character or an unpaired surrogate. */
  public static final String BAD_CHARACTER = "bad_character";

  /**
   * A tag section carbon's {@code TaggedSeries} cannot parse, or that would not survive a re-parse.
   */
  public static final String BAD_TAG = "bad_tag";

  /** Longer than the name or path-component limit in UTF-8 bytes. */
  public static final String TOO_LONG = "too_long";

  /** A name given as normalized that {@link SeriesNames#normalize} would change. */
  public static final String NOT_NORMALIZED = "not_normalized";

  /** The name would address a file outside the Whisper root. */
  public static final String PATH_ESCAPE = "path_escape";

  private final String reason;
  private final String name;

  public InvalidSeriesNameException(String reason, String name, String detail) {
    super("invalid series name " + quote(name) + " (" + reason + "): " + detail);
    this.reason = reason;
    this.name = name;
  }

  /** The stable reason code, one of the constants of this class. */
  public String reason() {
    return reason;
  }

  /** The rejected name as given. */
  public String name() {
    return name;
  }

  /** Quotes a name for a message, escaping control characters and shortening very long names. */
  static String quote(String name) {
    if (name == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("'");
    int limit = Math.min(name.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7F || Character.isSurrogate(c) || Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (limit < name.length()) {
      sb.append("...' (").append(name.length()).append(" chars)");
    } else {
      sb.append('\'');
    }
    return sb.toString();
  }
}

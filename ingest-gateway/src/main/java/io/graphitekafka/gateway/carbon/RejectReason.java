package io.graphitekafka.gateway.carbon;

/**
 * Why a line, a pickle frame or one pickle element was not accepted. The {@link #code()} is stable:
 * it names the rejected-input counter and is written to the rejects topic.
 */
public enum RejectReason {
  /** A blank line (nothing but whitespace); carbon logs these as invalid lines too. */
  EMPTY_LINE("empty_line"),
  /** A line that does not split into exactly {@code path value timestamp}. */
  FIELD_COUNT("field_count"),
  /** A value that Python's {@code float()} does not accept, or that is not a number at all. */
  BAD_VALUE("bad_value"),
  /** A NaN value; carbon drops these silently, we count them. */
  NAN_VALUE("nan_value"),
  /** A timestamp that Python's {@code float()} does not accept, or that is not a number at all. */
  BAD_TIMESTAMP("bad_timestamp"),
  /** A NaN or infinite timestamp (carbon raises and closes the connection). */
  NONFINITE_TIMESTAMP("nonfinite_timestamp"),
  /** A timestamp outside the Whisper range {@code [0, 2^32)} after truncation. */
  TIMESTAMP_RANGE("timestamp_range"),
  /** Bytes that are not strict UTF-8 where text is expected. */
  INVALID_UTF8("invalid_utf8"),
  /** A line longer than the framing limit. */
  LINE_TOO_LONG("line_too_long"),
  /** A pickle frame that is truncated or otherwise malformed. */
  BAD_PICKLE("bad_pickle"),
  /** A pickle frame over the length limit, or beyond the decoder's structural limits. */
  PICKLE_TOO_LARGE("pickle_too_large"),
  /** A pickle frame using an opcode outside the safe subset (globals, reduce, dicts, ...). */
  PICKLE_FORBIDDEN_OPCODE("pickle_forbidden_opcode"),
  /** A pickle element that is not {@code (path, (timestamp, value))}. */
  PICKLE_SHAPE("pickle_shape"),
  /**
   * A pickle element whose path is {@code bytes} (pickle protocol 3 and later) instead of a string.
   */
  PICKLE_BYTES_PATH("pickle_bytes_path"),
  /** A series name that fails name validation (used by the name validator, not by the codecs). */
  INVALID_NAME("invalid_name");

  private final String code;

  RejectReason(String code) {
    this.code = code;
  }

  /** The lowercase code used in metric names and in the rejects topic. */
  public String code() {
    return code;
  }
}

package io.graphitekafka.gateway.carbon;

/**
 * Python 3 character classes that carbon's parsing depends on: the whitespace of {@code str.split()}
 * and {@code str.strip()}, and the line boundaries of {@code str.splitlines()} (CPython 3.11, Unicode
 * 14; checked against {@code str.isspace()} over every code point).
 */
final class PythonText {

  private static final boolean[] ASCII_WHITESPACE = new boolean[128];

  static {
    for (int c = 0x09; c <= 0x0d; c++) {
      ASCII_WHITESPACE[c] = true;
    }
    for (int c = 0x1c; c <= 0x20; c++) {
      ASCII_WHITESPACE[c] = true;
    }
  }

  private PythonText() {}

  /** Whether an ASCII byte (0..127) is whitespace to Python; false for every other byte value. */
  static boolean isAsciiWhitespace(byte b) {
    return b >= 0 && ASCII_WHITESPACE[b];
  }

  /** Whether a UTF-16 char is whitespace to Python (no whitespace lies outside the BMP). */
  static boolean isWhitespace(char c) {
    if (c < 0x80) {
      return ASCII_WHITESPACE[c];
    }
    return c == 0x85
        || c == 0xa0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200a)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202f
        || c == 0x205f
        || c == 0x3000;
  }
}

package io.graphitekafka.graphite.python;

/** Python {@code str} helpers whose Java counterparts treat whitespace differently. */
public final class PythonStrings {

  private PythonStrings() {}

  /** Python's {@code str.isspace()} for one code point (CPython {@code _PyUnicode_IsWhitespace}). */
  public static boolean isSpace(int c) {
    return (c >= 0x09 && c <= 0x0D)
        || (c >= 0x1C && c <= 0x20)
        || c == 0x85
        || c == 0xA0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202F
        || c == 0x205F
        || c == 0x3000;
  }

  /** Python's {@code str.strip()} without arguments. */
  public static String strip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }
}

package io.graphitekafka.graphite.python;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Python {@code str} helpers whose Java counterparts treat whitespace differently: the whitespace
 * of {@code str.isspace()}, {@code str.split()} and {@code str.strip()} (CPython 3.11, Unicode 14;
 * no whitespace lies outside the BMP).
 */
public final class PythonStrings {

  private static final boolean[] ASCII_SPACE = new boolean[128];

  static {
    for (int c = 0x09; c <= 0x0D; c++) {
      ASCII_SPACE[c] = true;
    }
    for (int c = 0x1C; c <= 0x20; c++) {
      ASCII_SPACE[c] = true;
    }
  }

  private PythonStrings() {}

  /**
   * Python's {@code str.isspace()} for one code point (CPython {@code _PyUnicode_IsWhitespace}).
   */
  public static boolean isSpace(int c) {
    if (c < 0x80) {
      return c >= 0 && ASCII_SPACE[c];
    }
    return c == 0x85
        || c == 0xA0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202F
        || c == 0x205F
        || c == 0x3000;
  }

  /**
   * {@link #isSpace} for one byte of UTF-8 text, the fast path of byte-level parsers: true only for
   * an ASCII whitespace character, false for every byte of a multi-byte sequence.
   */
  public static boolean isAsciiSpace(byte b) {
    return b >= 0 && ASCII_SPACE[b];
  }

  /** Python's {@code str.split()} without arguments: the runs of non-whitespace, in order. */
  public static List<String> split(String s) {
    List<String> words = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      while (i < s.length() && isSpace(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < s.length() && !isSpace(s.charAt(i))) {
        i++;
      }
      if (i > start) {
        words.add(s.substring(start, i));
      }
    }
    return words;
  }

  /** Python's {@code str.strip()} without arguments. */
  public static String strip(String s) {
    return strip(s, PythonStrings::isSpace).toString();
  }

  /** {@code s} without the leading and trailing chars that {@code space} accepts. */
  public static CharSequence strip(CharSequence s, IntPredicate space) {
    int start = 0;
    int end = s.length();
    while (start < end && space.test(s.charAt(start))) {
      start++;
    }
    while (end > start && space.test(s.charAt(end - 1))) {
      end--;
    }
    return s.subSequence(start, end);
  }
}

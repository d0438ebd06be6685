package io.graphitekafka.graphite.python;

/**
 * Python 3's {@code int(str)} in base 10, as carbon reads an aggregation rule's frequency and a
 * {@code re.sub} template's {@code \g<number>}: surrounding whitespace stripped, one optional sign,
 * Unicode decimal digits, single underscores between digits.
 */
public final class PythonInt {

  private PythonInt() {}

  /**
   * Parses {@code text} like {@code int(text)}, limited to what a {@code long} holds.
   *
   * @throws NumberFormatException if Python would raise {@code ValueError}, or the value does not
   *     fit a {@code long}
   */
  public static long parse(CharSequence text) {
    String s = PythonStrings.strip(text.toString());
    int i = 0;
    boolean negative = false;
    if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      negative = s.charAt(i) == '-';
      i++;
    }
    long value = 0;
    boolean digitBefore = false;
    boolean any = false;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '_' && digitBefore && i < s.length()) {
        digitBefore = false;
        continue;
      }
      int digit =
          Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER ? Character.digit(cp, 10) : -1;
      if (digit < 0) {
        throw invalid(text);
      }
      try {
        value = Math.addExact(Math.multiplyExact(value, 10), digit);
      } catch (ArithmeticException e) {
        throw new NumberFormatException("integer too large: " + PythonFloat.quote(text));
      }
      digitBefore = true;
      any = true;
    }
    if (!any || !digitBefore) {
      throw invalid(text);
    }
    return negative ? -value : value;
  }

  private static NumberFormatException invalid(CharSequence text) {
    return new NumberFormatException(
        "invalid literal for int() with base 10: " + PythonFloat.quote(text));
  }
}

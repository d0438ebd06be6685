package io.graphitekafka.graphite.python;

import java.util.Locale;
import java.util.regex.Pattern;

/** Python's {@code float(str)} grammar, which Java's {@link Double#parseDouble} does not share. */
public final class PythonFloat {

  // Python float(): digits with single underscores between them, optional fraction and exponent.
  private static final Pattern DECIMAL =
      Pattern.compile(
          "[+-]?(?:\\d(?:_?\\d)*(?:\\.(?:\\d(?:_?\\d)*)?)?|\\.\\d(?:_?\\d)*)(?:[eE][+-]?\\d(?:_?\\d)*)?");

  private PythonFloat() {}

  public static double parse(String text) {
    String s = PythonStrings.strip(text);
    String lower = s.toLowerCase(Locale.ROOT);
    String unsigned = lower.startsWith("+") || lower.startsWith("-") ? lower.substring(1) : lower;
    boolean negative = lower.startsWith("-");
    if (unsigned.equals("inf") || unsigned.equals("infinity")) {
      return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    if (unsigned.equals("nan")) {
      return Double.NaN;
    }
    if (!s.chars().allMatch(c -> c < 128) || !DECIMAL.matcher(s).matches()) {
      throw new NumberFormatException("not a Python float: '" + text + "'");
    }
    return Double.parseDouble(s.replace("_", ""));
  }
}

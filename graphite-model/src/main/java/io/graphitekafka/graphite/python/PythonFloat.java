package io.graphitekafka.graphite.python;

/**
 * Parses numbers exactly as Python 3's {@code float(str)} does, which is how carbon reads every
 * value, timestamp and {@code xFilesFactor}. Unlike {@link Double#parseDouble} it accepts {@code
 * inf}, {@code nan}, {@code 1_000} and Unicode decimal digits, and rejects {@code 0x10}, {@code
 * 1.5d} and {@code 0x1p3}; results are correctly rounded. {@link #parseBits(byte[], int, int)} is
 * the allocation-free path for ASCII bytes that the Carbon line decoder uses.
 */
public final class PythonFloat {

  /**
   * Returned by the {@code parseBits} methods for invalid input: a signalling-NaN bit pattern that
   * no parse produces (parsed NaNs are {@link Double#NaN}, possibly with the sign bit set).
   */
  public static final long INVALID = 0x7ff0_0000_0000_0001L;

  private static final double[] POW10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };
  private static final int MAX_EXACT_POW10 = 22;
  private static final long MAX_EXACT_MANTISSA = 1L << 53;
  private static final int MAX_MANTISSA_DIGITS = 18;
  private static final int EXPONENT_CAP = 1_000_000_000;
  private static final int MAX_QUOTED = 100;

  private PythonFloat() {}

  /**
   * Parses {@code s} like Python's {@code float(s)}: surrounding whitespace is stripped, and
   * Unicode decimal digits count as digits.
   *
   * @throws NumberFormatException if Python would raise {@code ValueError}
   */
  public static double parse(CharSequence s) {
    long bits = parseBits(s);
    if (bits == INVALID) {
      throw new NumberFormatException("could not convert string to float: " + quote(s));
    }
    return Double.longBitsToDouble(bits);
  }

  /** Whether Python's {@code float(s)} accepts {@code s}. */
  public static boolean isValid(CharSequence s) {
    return parseBits(s) != INVALID;
  }

  /** Like {@link #parse} but returns the raw bits of the result, or {@link #INVALID}. */
  public static long parseBits(CharSequence text) {
    CharSequence s = PythonStrings.strip(text, PythonFloat::isStrippedByFloat);
    byte[] ascii = new byte[s.length()];
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        ascii[n++] = (byte) c;
        continue;
      }
      // float() maps Unicode decimal digits to ASCII before parsing
      // (_PyUnicode_TransformDecimalAndSpaceToASCII); anything else non-ASCII is an error.
      int cp = Character.codePointAt(s, i);
      if (Character.getType(cp) != Character.DECIMAL_DIGIT_NUMBER) {
        return INVALID;
      }
      ascii[n++] = (byte) ('0' + Character.digit(cp, 10));
      i += Character.charCount(cp) - 1;
    }
    return parseBits(ascii, 0, n);
  }

  // float() maps non-ASCII whitespace to ' ' and then strips only C isspace(), so the ASCII
  // separators \x1c-\x1f, whitespace to str.split(), are not stripped (floatobject.c).
  private static boolean isStrippedByFloat(int c) {
    return c < 0x80 ? c == ' ' || (c >= 0x09 && c <= 0x0d) : PythonStrings.isSpace(c);
  }

  /**
   * Parses ASCII bytes {@code [from, to)} with no surrounding whitespace and returns the raw bits
   * of the result, or {@link #INVALID}. Any whitespace or non-ASCII byte makes the input invalid.
   */
  public static long parseBits(byte[] a, int from, int to) {
    int i = from;
    if (i >= to) {
      return INVALID;
    }
    boolean negative = false;
    byte c = a[i];
    if (c == '+' || c == '-') {
      negative = c == '-';
      if (++i >= to) {
        return INVALID;
      }
      c = a[i];
    }
    if (!isDigit(c) && c != '.') {
      return parseSpecial(a, i, to, negative);
    }
    int unsignedFrom = i;

    long mantissa = 0;
    int digits = 0; // significant digits held in mantissa
    long scale = 0; // power of ten to apply to mantissa
    boolean inexact = false; // a nonzero digit did not fit in mantissa
    int mantissaDigits = 0;
    boolean underscores = false; // seen in the mantissa, or possible in an exponent

    // Integer part, then at most one '.' and the fraction.
    boolean fraction = false;
    while (i < to) {
      c = a[i];
      if (isDigit(c)) {
        int d = c - '0';
        mantissaDigits++;
        if (digits < MAX_MANTISSA_DIGITS) {
          if (mantissa != 0 || d != 0) {
            mantissa = mantissa * 10 + d;
            digits++;
          }
          scale -= fraction ? 1 : 0;
        } else {
          scale += fraction ? 0 : 1;
          inexact |= d != 0;
        }
        i++;
      } else if (c == '.' && !fraction) {
        fraction = true;
        i++;
      } else if (c == '_') { // checked below, with those of the exponent
        underscores = true;
        i++;
      } else {
        break;
      }
    }
    if (mantissaDigits == 0) {
      return INVALID;
    }
    // Exponent: digits and underscores up to the end.
    long exponent = 0;
    if (i < to && (a[i] == 'e' || a[i] == 'E')) {
      i++;
      boolean negativeExponent = false;
      if (i < to && (a[i] == '+' || a[i] == '-')) {
        negativeExponent = a[i] == '-';
        i++;
      }
      underscores = true;
      exponent = exponentValue(a, i, to);
      if (exponent < 0) {
        return INVALID;
      }
      if (negativeExponent) {
        exponent = -exponent;
      }
      i = to;
    }
    if (i != to || underscores && !underscoresBetweenDigits(a, unsignedFrom, to)) {
      return INVALID;
    }

    double value;
    if (mantissa == 0 && !inexact) {
      value = 0.0;
    } else if (!inexact
        && mantissa < MAX_EXACT_MANTISSA
        && Math.abs(scale + exponent) <= MAX_EXACT_POW10) {
      // Both operands are exact doubles, so one IEEE multiplication or division rounds correctly.
      int e10 = (int) (scale + exponent);
      value = e10 >= 0 ? mantissa * POW10[e10] : mantissa / POW10[-e10];
    } else {
      value = Double.parseDouble(withoutUnderscores(a, unsignedFrom, to));
    }
    return Double.doubleToRawLongBits(negative ? -value : value);
  }

  /**
   * The value of the exponent digits {@code a[from, to)}, capped at {@link #EXPONENT_CAP} (enough
   * to overflow or underflow any mantissa), or -1 if there is no digit or anything but digits and
   * underscores.
   */
  private static long exponentValue(byte[] a, int from, int to) {
    long exponent = 0;
    boolean digit = false;
    for (int i = from; i < to; i++) {
      byte c = a[i];
      if (isDigit(c)) {
        digit = true;
        if (exponent < EXPONENT_CAP) {
          exponent = exponent * 10 + (c - '0');
        }
      } else if (c != '_') {
        return -1;
      }
    }
    return digit ? exponent : -1;
  }

  private static long parseSpecial(byte[] a, int i, int to, boolean negative) {
    int n = to - i;
    double value;
    if (n == 3 && lowerEquals(a, i, "inf")) {
      value = Double.POSITIVE_INFINITY;
    } else if (n == 8 && lowerEquals(a, i, "infinity")) {
      value = Double.POSITIVE_INFINITY;
    } else if (n == 3 && lowerEquals(a, i, "nan")) {
      value = Double.NaN;
    } else {
      return INVALID;
    }
    return Double.doubleToRawLongBits(negative ? -value : value);
  }

  private static boolean lowerEquals(byte[] a, int i, String lower) {
    for (int k = 0; k < lower.length(); k++) {
      // Setting bit 0x20 maps only 'A'..'Z' onto 'a'..'z' for the letters compared here.
      if ((a[i + k] | 0x20) != lower.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  // Python accepts an underscore only with a digit on each side
  // (_Py_string_to_number_with_underscores).
  private static boolean underscoresBetweenDigits(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] == '_' && !(i > from && isDigit(a[i - 1]) && i + 1 < to && isDigit(a[i + 1]))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  private static String withoutUnderscores(byte[] a, int from, int to) {
    StringBuilder sb = new StringBuilder(to - from);
    for (int i = from; i < to; i++) {
      if (a[i] != '_') {
        sb.append((char) a[i]);
      }
    }
    return sb.toString();
  }

  /** Quotes text for an error message the way Python's repr would, bounded in length. */
  public static String quote(CharSequence s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_QUOTED) + 8).append('\'');
    int n = Math.min(s.length(), MAX_QUOTED);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\'' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (s.length() > MAX_QUOTED) {
      sb.append("...");
    }
    return sb.append('\'').toString();
  }
}

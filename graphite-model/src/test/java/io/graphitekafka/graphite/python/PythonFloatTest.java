package io.graphitekafka.graphite.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PythonFloatTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1_000",
        "1e1_0",
        ".5",
        "5.",
        "-.5",
        "+5.",
        "5.e3",
        "inf",
        "-Infinity",
        "iNF",
        "nan",
        "-NaN",
        "  1.5  ",
        "00_1",
        "1_0.0_1e-0_1",
        "1E+5",
        "\u0661\u0662",
        "\uff11\uff12"
      })
  void acceptsPythonFloatSyntax(String s) {
    assertThat(PythonFloat.isValid(s)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        ".",
        "+",
        "0x10",
        "1.5d",
        "1.5f",
        "0x1p3",
        "1__0",
        "_1",
        "1_",
        "1_.5",
        "1._5",
        "1_e5",
        "1e_5",
        "1e",
        "e5",
        "infinit",
        "infinity_",
        "in_f",
        "nan(1)",
        "1 2",
        "--1",
        "\u00bd",
        "NaN_"
      })
  void rejectsWhatPythonRejects(String s) {
    assertThat(PythonFloat.isValid(s)).isFalse();
    assertThatThrownBy(() -> PythonFloat.parse(s))
        .isInstanceOf(NumberFormatException.class)
        .hasMessageStartingWith("could not convert string to float: '");
  }

  @Test
  void parsesValuesLikePython() {
    assertThat(PythonFloat.parse("1_000")).isEqualTo(1000.0);
    assertThat(PythonFloat.parse("1.5e3")).isEqualTo(1500.0);
    assertThat(PythonFloat.parse("-Infinity")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(PythonFloat.parse("inf")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(PythonFloat.parse("nan")).isNaN();
    assertThat(Double.doubleToRawLongBits(PythonFloat.parse("-0"))).isEqualTo(Long.MIN_VALUE);
    assertThat(PythonFloat.parse("1e400")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(PythonFloat.parse("0.1")).isEqualTo(0.1);
    assertThat(PythonFloat.parse("\u0661.\u0662e\u0663")).isEqualTo(1200.0);
  }

  @Test
  void parsesUnderscoresInTheExponentOnTheSlowPathToo() {
    assertThat(PythonFloat.parse("1e3_00")).isEqualTo(1e300);
    assertThat(PythonFloat.parse("1_2345678901234567890e1_0")).isEqualTo(1.2345678901234568e29);
    assertThat(PythonFloat.parse("0.000_000_1e-3_0_0")).isEqualTo(1e-307);
  }

  @Test
  void quotesTheInputInTheErrorMessage() {
    assertThatThrownBy(() -> PythonFloat.parse("1.5d"))
        .hasMessage("could not convert string to float: '1.5d'");
  }

  /** Every case of floats.tsv, written by make-floats.py from CPython's own float(). */
  @Test
  void agreesWithCpythonOnGeneratedCases() throws IOException {
    List<String> lines = resourceLines("/python/floats.tsv");
    assertThat(lines).hasSizeGreaterThan(1000);
    HexFormat hex = HexFormat.of();
    for (String line : lines) {
      String[] parts = line.split("\t", -1);
      String input = new String(hex.parseHex(parts[0]), StandardCharsets.UTF_8);
      long bits = PythonFloat.parseBits(input);
      if (parts[1].equals("ERROR")) {
        assertThat(bits).as("float(%s)", PythonFloat.quote(input)).isEqualTo(PythonFloat.INVALID);
      } else {
        long expected = Long.parseUnsignedLong(parts[1], 16);
        if (Double.isNaN(Double.longBitsToDouble(expected))) {
          assertThat(Double.longBitsToDouble(bits)).as("float(%s)", input).isNaN();
        } else {
          assertThat(bits).as("float(%s)", PythonFloat.quote(input)).isEqualTo(expected);
        }
      }
    }
  }

  @Property(tries = 2000)
  void agreesWithDoubleParseDoubleWhereBothAccept(@ForAll("numberLike") String s) {
    Double java = javaDouble(s);
    boolean python = PythonFloat.isValid(s);
    if (java != null && python) {
      assertThat(PythonFloat.parse(s)).isEqualTo(java);
    }
    // Without underscores or letters the grammars coincide.
    if (s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e')) {
      assertThat(python).as(s).isEqualTo(java != null);
    }
  }

  /** Java's {@link Double#parseDouble} of {@code s}, or null where it throws. */
  private static Double javaDouble(String s) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Property(tries = 1000)
  void parsesEveryDoubleFromItsJavaString(@ForAll double d) {
    String s = Double.toString(d).replace("Infinity", "inf").replace("E", "e");
    if (Double.isNaN(d)) {
      assertThat(PythonFloat.parse(s)).isNaN();
    } else {
      assertThat(PythonFloat.parse(s)).isEqualTo(d);
    }
  }

  @Provide
  Arbitrary<String> numberLike() {
    Arbitrary<String> digits =
        Arbitraries.strings().withChars("0123456789").ofMinLength(0).ofMaxLength(25);
    Arbitrary<String> sign = Arbitraries.of("", "-", "+");
    Arbitrary<String> exponent =
        Combinators.combine(
                Arbitraries.of("", "e", "E", "e-", "e+"), Arbitraries.integers().between(0, 400))
            .as((e, n) -> e.isEmpty() ? "" : e + n);
    Arbitrary<String> structured =
        Combinators.combine(sign, digits, Arbitraries.of("", "."), digits, exponent)
            .as((a, b, c, d, e) -> a + b + c + d + e);
    Arbitrary<String> noise =
        Arbitraries.strings().withChars("0123456789._-+eEdfxpinaINFAy ").ofMaxLength(12);
    return Arbitraries.oneOf(structured, noise);
  }

  private static List<String> resourceLines(String name) throws IOException {
    try (InputStream in = PythonFloatTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }
}

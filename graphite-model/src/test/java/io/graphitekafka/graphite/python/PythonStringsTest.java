package io.graphitekafka.graphite.python;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PythonStringsTest {

  /** Every code point whose {@code str.isspace()} is true in CPython 3.11. */
  private static final List<Integer> PYTHON_WHITESPACE =
      List.of(
          0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
          0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
          0x2029, 0x202f, 0x205f, 0x3000);

  @Test
  void isSpaceAgreesWithPythonOverEveryCodePoint() {
    List<Integer> spaces =
        IntStream.rangeClosed(0, Character.MAX_CODE_POINT)
            .filter(PythonStrings::isSpace)
            .boxed()
            .toList();
    assertThat(spaces).isEqualTo(PYTHON_WHITESPACE);
  }

  @Test
  void isAsciiSpaceIsIsSpaceForAsciiBytesAndFalseForEveryOtherByte() {
    for (int b = -128; b < 128; b++) {
      assertThat(PythonStrings.isAsciiSpace((byte) b))
          .as("byte %d", b)
          .isEqualTo(b >= 0 && PythonStrings.isSpace(b));
    }
    assertThat(PythonStrings.isAsciiSpace((byte) 0x85)).isFalse();
  }

  @Test
  void stripRemovesPythonWhitespaceOnly() {
    assertThat(PythonStrings.strip("\u3000\t a b\u001c\u2028")).isEqualTo("a b");
    assertThat(PythonStrings.strip("\u200ba\u200b")).isEqualTo("\u200ba\u200b");
  }
}

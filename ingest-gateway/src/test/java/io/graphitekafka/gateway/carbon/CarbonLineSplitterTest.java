package io.graphitekafka.gateway.carbon;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.gateway.carbon.DecodeResult.Point;
import io.graphitekafka.gateway.carbon.DecodeResult.Reject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CarbonLineSplitterTest {

  private static List<String> lines(byte[] datagram) {
    List<String> out = new ArrayList<>();
    CarbonLineSplitter.forEachLine(
        datagram,
        0,
        datagram.length,
        (b, off, len) -> out.add(new String(b, off, len, StandardCharsets.UTF_8)));
    return out;
  }

  /** Expected results are Python 3.11's str.splitlines() of the same text. */
  static List<Arguments> splitlinesCases() {
    return List.of(
        Arguments.of("", List.of()),
        Arguments.of("a", List.of("a")),
        Arguments.of("a\n", List.of("a")),
        Arguments.of("\n", List.of("")),
        Arguments.of("a\nb", List.of("a", "b")),
        Arguments.of("a\n\nb\n", List.of("a", "", "b")),
        Arguments.of("a\r\nb\r\n", List.of("a", "b")),
        Arguments.of("a\rb", List.of("a", "b")),
        Arguments.of("a\r\rb", List.of("a", "", "b")),
        Arguments.of("a\n\rb", List.of("a", "", "b")),
        Arguments.of("a\u000bb\u000cc\u001cd\u001de\u001ef", List.of("a", "b", "c", "d", "e", "f")),
        Arguments.of("a\u001fb", List.of("a\u001fb")),
        Arguments.of("a\u0085b\u2028c\u2029d", List.of("a", "b", "c", "d")),
        Arguments.of("a\u00a0b\u2027c", List.of("a\u00a0b\u2027c")),
        Arguments.of("x 1 2\r\ny 3 4\u2028z 5 6", List.of("x 1 2", "y 3 4", "z 5 6")));
  }

  @ParameterizedTest
  @MethodSource("splitlinesCases")
  void splitsLikePythonSplitlines(String text, List<String> expected) {
    assertThat(lines(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
  }

  @Test
  void returnsRangesIntoTheDatagram() {
    byte[] datagram = "xxa 1 2\nb 3 4".getBytes(StandardCharsets.UTF_8);
    assertThat(CarbonLineSplitter.split(datagram, 2, datagram.length - 2))
        .containsExactly(
            new CarbonLineSplitter.LineRange(2, 5), new CarbonLineSplitter.LineRange(8, 5));
  }

  @Test
  void aBadLineDoesNotAbandonTheRestOfTheDatagram() {
    byte[] datagram = {
      'a',
      ' ',
      '1',
      ' ',
      '1',
      '0',
      '\n',
      'b',
      (byte) 0xff,
      ' ',
      '1',
      ' ',
      '1',
      '0',
      '\n',
      'c',
      ' ',
      '1',
      ' ',
      'i',
      'n',
      'f',
      '\n',
      'd',
      ' ',
      '2',
      ' ',
      '2',
      '0'
    };
    CarbonLineDecoder decoder = new CarbonLineDecoder();
    List<DecodeResult> results = new ArrayList<>();
    CarbonLineSplitter.forEachLine(
        datagram,
        0,
        datagram.length,
        (b, off, len) -> results.add(decoder.decode(b, off, len, 0L)));
    assertThat(results)
        .containsExactly(
            new Point("a", 1.0, 10L),
            new Reject(RejectReason.INVALID_UTF8, "invalid UTF-8 at byte 1 of the line"),
            new Reject(RejectReason.NONFINITE_TIMESTAMP, "timestamp is inf"),
            new Point("d", 2.0, 20L));
  }

  @Test
  void doesNotSplitInsideOtherMultibyteCharacters() {
    // U+2026 (E2 80 A6) and U+00A9 (C2 A9) share lead bytes with the line separators.
    assertThat(lines("a\u2026b\u00a9c".getBytes(StandardCharsets.UTF_8)))
        .containsExactly("a\u2026b\u00a9c");
    // A lone lead byte at the end is left in the line for the decoder to reject.
    assertThat(lines(new byte[] {'a', (byte) 0xe2, (byte) 0x80})).hasSize(1);
  }
}

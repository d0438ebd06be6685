package io.graphitekafka.gateway.carbon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.gateway.carbon.DecodeResult.Point;
import io.graphitekafka.gateway.carbon.DecodeResult.Reject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CarbonLineDecoderTest {

  private static final long ARRIVAL_MILLIS = 1_700_000_000_999L;

  private final CarbonLineDecoder decoder = new CarbonLineDecoder();

  private DecodeResult decode(String line) {
    return decode(decoder, line.getBytes(StandardCharsets.UTF_8));
  }

  private static DecodeResult decode(CarbonLineDecoder decoder, byte[] bytes) {
    return decoder.decode(bytes, 0, bytes.length, ARRIVAL_MILLIS);
  }

  private static RejectReason reason(DecodeResult result) {
    assertThat(result).isInstanceOf(Reject.class);
    return ((Reject) result).reason();
  }

  @Test
  void decodesAPlainLine() {
    assertThat(decode("servers.web01.load 1.5 1700000000"))
        .isEqualTo(new Point("servers.web01.load", 1.5, 1_700_000_000L));
  }

  @Test
  void toleratesTrailingCarriageReturnAndExtraWhitespace() {
    assertThat(decode("  a.b\t 2  1700000000 \r")).isEqualTo(new Point("a.b", 2.0, 1_700_000_000L));
  }

  // Spec §6 table: not exactly 3 fields, unparsable numbers, blank lines are invalid lines.
  @ParameterizedTest
  @ValueSource(strings = {"a.b 1", "a.b", "a.b 1 1700000000 extra", "a.b  1700000000"})
  void rejectsLinesWithoutExactlyThreeFields(String line) {
    assertThat(reason(decode(line))).isEqualTo(RejectReason.FIELD_COUNT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\r", "\t \u000b\u000c", "\u00a0\u3000"})
  void rejectsBlankLinesAsEmpty(String line) {
    assertThat(reason(decode(line))).isEqualTo(RejectReason.EMPTY_LINE);
  }

  @Test
  void rejectsUnparsableValue() {
    Reject reject = (Reject) decode("a.b 0x10 1700000000");
    assertThat(reject.reason()).isEqualTo(RejectReason.BAD_VALUE);
    assertThat(reject.detail()).contains("'0x10'");
  }

  @Test
  void rejectsUnparsableTimestamp() {
    assertThat(reason(decode("a.b 1 17e"))).isEqualTo(RejectReason.BAD_TIMESTAMP);
    assertThat(reason(decode("a.b 1 now"))).isEqualTo(RejectReason.BAD_TIMESTAMP);
  }

  @Test
  void reportsTheTimestampFirstWhenBothNumbersAreBad() {
    assertThat(reason(decode("a.b x y"))).isEqualTo(RejectReason.BAD_TIMESTAMP);
  }

  @Test
  void countsNanValuesThatCarbonDropsSilently() {
    assertThat(reason(decode("a.b nan 1700000000"))).isEqualTo(RejectReason.NAN_VALUE);
    assertThat(reason(decode("a.b -NaN 1700000000"))).isEqualTo(RejectReason.NAN_VALUE);
    // carbon checks the value before converting the timestamp with int().
    assertThat(reason(decode("a.b nan nan"))).isEqualTo(RejectReason.NAN_VALUE);
  }

  @ParameterizedTest
  @CsvSource({
    "inf, Infinity",
    "-Infinity, -Infinity",
    "1.5e3, 1500",
    "1_000, 1000",
    "-0.25, -0.25"
  })
  void acceptsPythonNumbersAsValues(String text, double expected) {
    assertThat(decode("a.b " + text + " 1700000000"))
        .isEqualTo(new Point("a.b", expected, 1_700_000_000L));
  }

  @ParameterizedTest
  @ValueSource(strings = {"nan", "inf", "-inf", "Infinity", "NAN"})
  void rejectsNonFiniteTimestamps(String ts) {
    assertThat(reason(decode("a.b 1 " + ts))).isEqualTo(RejectReason.NONFINITE_TIMESTAMP);
  }

  @Test
  void truncatesFractionalTimestampsTowardZero() {
    assertThat(decode("a.b 1 1795562958.9")).isEqualTo(new Point("a.b", 1.0, 1_795_562_958L));
    assertThat(decode("a.b 1 -0.9")).isEqualTo(new Point("a.b", 1.0, 0L));
    assertThat(decode("a.b 1 1.7e9")).isEqualTo(new Point("a.b", 1.0, 1_700_000_000L));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "-1.0", "-1.5", "-1.9999999", "-1_0e-1"})
  void usesArrivalTimeForTimestampsThatTruncateToMinusOne(String ts) {
    assertThat(decode("a.b 1 " + ts)).isEqualTo(new Point("a.b", 1.0, 1_700_000_000L));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-2", "-2.0", "-3", "-1e300", "4294967296", "4294967296.5", "1e300"})
  void rejectsTimestampsOutsideUint32(String ts) {
    assertThat(reason(decode("a.b 1 " + ts))).isEqualTo(RejectReason.TIMESTAMP_RANGE);
  }

  @Test
  void acceptsTheUint32Bounds() {
    assertThat(decode("a.b 1 0")).isEqualTo(new Point("a.b", 1.0, 0L));
    assertThat(decode("a.b 1 4294967295")).isEqualTo(new Point("a.b", 1.0, 4_294_967_295L));
    assertThat(decode("a.b 1 4294967295.99")).isEqualTo(new Point("a.b", 1.0, 4_294_967_295L));
  }

  @Test
  void floorsTimestampsToTheConfiguredResolution() {
    CarbonLineDecoder tenSeconds = new CarbonLineDecoder(10);
    assertThat(decode(tenSeconds, bytes("a 1 1700000019.9")))
        .isEqualTo(new Point("a", 1.0, 1_700_000_010L));
    assertThat(decode(tenSeconds, bytes("a 1 1700000020")))
        .isEqualTo(new Point("a", 1.0, 1_700_000_020L));
    // The arrival-time substitution happens before flooring, as in carbon.
    assertThat(decode(tenSeconds, bytes("a 1 -1"))).isEqualTo(new Point("a", 1.0, 1_700_000_000L));
    assertThat(decode(new CarbonLineDecoder(7), bytes("a 1 -1")))
        .isEqualTo(new Point("a", 1.0, 1_700_000_000L / 7 * 7));
    // 1 s and off are the same for whole seconds.
    assertThat(decode(new CarbonLineDecoder(1), bytes("a 1 12.7")))
        .isEqualTo(new Point("a", 1.0, 12L));
  }

  @Test
  void refusesANegativeResolution() {
    assertThatThrownBy(() -> new CarbonLineDecoder(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsInvalidUtf8() {
    byte[] line = {'a', (byte) 0xff, ' ', '1', ' ', '2'};
    Reject reject = (Reject) decode(decoder, line);
    assertThat(reject.reason()).isEqualTo(RejectReason.INVALID_UTF8);
    assertThat(reject.detail()).contains("byte 1");
    // Encoded surrogates and overlong forms are invalid for Python as well.
    assertThat(
            reason(
                decode(
                    decoder,
                    new byte[] {'a', (byte) 0xed, (byte) 0xa0, (byte) 0x80, ' ', '1', ' ', '2'})))
        .isEqualTo(RejectReason.INVALID_UTF8);
    assertThat(
            reason(decode(decoder, new byte[] {'a', (byte) 0xc0, (byte) 0x80, ' ', '1', ' ', '2'})))
        .isEqualTo(RejectReason.INVALID_UTF8);
    assertThat(
            reason(decode(decoder, new byte[] {'a', ' ', '1', ' ', '2', (byte) 0xe2, (byte) 0x80})))
        .isEqualTo(RejectReason.INVALID_UTF8);
  }

  @Test
  void keepsUtf8NamesIntact() {
    assertThat(decode("servers.café.über;tag=ü 1 1700000000"))
        .isEqualTo(new Point("servers.café.über;tag=ü", 1.0, 1_700_000_000L));
    assertThat(decode("emoji.\uD83D\uDE00 1 1700000000"))
        .isEqualTo(new Point("emoji.\uD83D\uDE00", 1.0, 1_700_000_000L));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\u00a0", "\u0085", "\u1680", "\u2000", "\u2007", "\u200a", "\u2028", "\u2029", "\u202f",
        "\u205f", "\u3000", "\u001c", "\u001d", "\u001e", "\u001f", "\u000b", "\u000c"
      })
  void splitsOnPythonWhitespace(String ws) {
    assertThat(decode("a.b" + ws + "1" + ws + ws + "1700000000" + ws))
        .isEqualTo(new Point("a.b", 1.0, 1_700_000_000L));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\u200b", "\u180e", "\u2060", "\ufeff"})
  void doesNotSplitOnCharactersPythonDoesNotCallWhitespace(String notWs) {
    assertThat(reason(decode("a.b" + notWs + "1 1700000000"))).isEqualTo(RejectReason.FIELD_COUNT);
    assertThat(decode("a" + notWs + "b 1 1700000000"))
        .isEqualTo(new Point("a" + notWs + "b", 1.0, 1_700_000_000L));
  }

  @Test
  void parsesUnicodeDigitsInNumbersLikePython() {
    assertThat(
            decode("a.b \u0661\u0662 \uff11\uff17\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff10"))
        .isEqualTo(new Point("a.b", 12.0, 1_700_000_000L));
  }

  @Test
  void rejectsLinesOverTheLengthLimit() {
    byte[] line = bytes("a".repeat(CarbonLineDecoder.MAX_LINE_LENGTH - 13) + " 1 1700000000");
    assertThat(line).hasSize(CarbonLineDecoder.MAX_LINE_LENGTH);
    assertThat(decode(decoder, line)).isInstanceOf(Point.class);
    byte[] longer = bytes("a".repeat(CarbonLineDecoder.MAX_LINE_LENGTH - 12) + " 1 1700000000");
    assertThat(reason(decode(decoder, longer))).isEqualTo(RejectReason.LINE_TOO_LONG);
  }

  @Test
  void decodesAWindowOfALargerBuffer() {
    byte[] buf = bytes("xxa.b 3 1700000000\nyy");
    assertThat(decoder.decode(buf, 2, 16, ARRIVAL_MILLIS))
        .isEqualTo(new Point("a.b", 3.0, 1_700_000_000L));
    assertThatThrownBy(() -> decoder.decode(buf, 10, 100, ARRIVAL_MILLIS))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void givesEveryReasonAStableLowercaseCode() {
    for (RejectReason r : RejectReason.values()) {
      assertThat(r.code()).isEqualTo(r.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  @Property(tries = 3000)
  void neverThrowsOnArbitraryBytes(@ForAll("lineBytes") byte[] bytes) {
    long start = System.nanoTime();
    DecodeResult result = decoder.decode(bytes, 0, bytes.length, ARRIVAL_MILLIS);
    assertThat(result).isNotNull();
    if (result instanceof Point p) {
      assertThat(p.value()).isNotNaN();
      assertThat(p.timestamp()).isBetween(0L, (1L << 32) - 1);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
  }

  @Property(tries = 2000)
  void acceptsEveryWellFormedLine(
      @ForAll("names") String name, @ForAll double value, @ForAll("timestamps") long ts) {
    if (Double.isNaN(value)) {
      return;
    }
    String text = Double.toString(value).replace("Infinity", "inf");
    assertThat(decode(name + " " + text + " " + ts)).isEqualTo(new Point(name, value, ts));
  }

  @Provide
  Arbitrary<byte[]> lineBytes() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    Arbitrary<byte[]> textual =
        Arbitraries.strings()
            .withChars("ab. \t\r0123456789-+_eEinfINFa\u00a0\u00e9\u3000")
            .ofMaxLength(60)
            .map(CarbonLineDecoderTest::bytes);
    return Arbitraries.oneOf(random, textual);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("abcxyz._-;=0123456789é").ofMinLength(1).ofMaxLength(40);
  }

  @Provide
  Arbitrary<Long> timestamps() {
    return Arbitraries.longs().between(0, (1L << 32) - 1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

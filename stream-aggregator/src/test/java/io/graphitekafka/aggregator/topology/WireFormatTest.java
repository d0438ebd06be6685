package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * The aggregator's own wire code against the topics' serdes: {@link ArchivePointEncoder} writes exactly
 * the bytes of the archive topic's serializer, and {@link PointReader} reads every value as
 * {@link AvroSerde#decode} does, or throws what it throws.
 */
class WireFormatTest {

  private static final Topic<String, ArchivePoint> ARCHIVES = Topics.archives("archives");
  private static final AvroSerde<MetricPoint> POINT_SERDE = AvroSerde.singleObject(MetricPoint.class);

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.strings().withChars("abcxyz._-0123456789").ofMinLength(1).ofMaxLength(80)),
        Tuple.of(2, Arbitraries.strings().all().ofMaxLength(40)), // any char, lone surrogates included
        Tuple.of(1, Arbitraries.strings().withChars("é€😀;=~ ").ofMaxLength(200)),
        Tuple.of(1, Arbitraries.just("")));
  }

  @Provide
  Arbitrary<Long> longs() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.longs().between(0, 0xFFFF_FFFFL)),
        Tuple.of(2, Arbitraries.longs()),
        Tuple.of(1, Arbitraries.of(0L, -1L, 63L, 64L, -64L, -65L, Long.MIN_VALUE, Long.MAX_VALUE,
            (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE)));
  }

  @Provide
  Arbitrary<Double> doubles() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.doubles()),
        Tuple.of(1, Arbitraries.longs().map(Double::longBitsToDouble)), // every NaN payload too
        Tuple.of(1, Arbitraries.of(0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE)));
  }

  @Provide
  Arbitrary<SeriesLayout> layouts() {
    Arbitrary<ArchiveSpec> specs = Combinators.combine(
            Arbitraries.integers().between(1, Integer.MAX_VALUE), Arbitraries.integers().between(1, 5_000_000))
        .as(ArchiveSpec::new);
    return Combinators.combine(specs.list().ofMinSize(1).ofMaxSize(70),
            Arbitraries.of(AggregationMethod.values()),
            Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.floats().between(0f, 1f)),
                Tuple.of(1, Arbitraries.of(0f, -0f, 1f, 0.5f, 1f / 3, Float.MIN_VALUE))))
        .as(SeriesLayout::new);
  }

  @Property(tries = 1000)
  void archivePointsAreEncodedAsTheTopicSerializerEncodesThem(
      @ForAll("names") String metric, @ForAll("layouts") SeriesLayout layout,
      @ForAll("longs") long timestamp, @ForAll("doubles") double value) {
    ArchivePointEncoder encoder =
        ArchivePointEncoder.create(ARCHIVES.valueSerde().serializer(), ARCHIVES.name());
    assertThat(encoder).isNotNull();
    int archive = (int) Math.floorMod(timestamp, layout.archives().size());
    byte[] key = ARCHIVES.keySerde().serializer().serialize(ARCHIVES.name(), metric);
    byte[] mine = encoder.encode(key, encoder.layoutBytes(layout), archive, timestamp, value);
    byte[] theirs = ARCHIVES.valueSerde().serializer().serialize(ARCHIVES.name(),
        new ArchivePoint(metric, archive, timestamp, value, Layouts.toAvro(layout), null));
    assertThat(mine).isEqualTo(theirs);
    assertThat(key).isEqualTo(metric.getBytes(StandardCharsets.UTF_8));
  }

  @Property(tries = 500)
  void rawPointsAreEncodedAsTheTopicSerializerEncodesThem(
      @ForAll("names") String metric, @ForAll("layouts") SeriesLayout layout,
      @ForAll("longs") long timestamp, @ForAll("doubles") double value, @ForAll("longs") long now) {
    ArchivePointEncoder encoder =
        ArchivePointEncoder.create(ARCHIVES.valueSerde().serializer(), ARCHIVES.name());
    byte[] key = ARCHIVES.keySerde().serializer().serialize(ARCHIVES.name(), metric);
    byte[] mine = encoder.encodeRaw(key, encoder.layoutBytes(layout), timestamp, value, now);
    byte[] theirs = ARCHIVES.valueSerde().serializer().serialize(ARCHIVES.name(),
        new ArchivePoint(metric, ArchivePointEncoder.RAW_ARCHIVE, timestamp, value,
            Layouts.toAvro(layout), now));
    assertThat(mine).isEqualTo(theirs);
  }

  @Test
  void anEncoderIsRefusedForASerializerWithAnotherFormat() {
    assertThat(ArchivePointEncoder.create((topic, p) -> new byte[] {1, 2, 3}, "t")).isNull();
    // A framing that depends on the record is not a fixed prefix either.
    assertThat(ArchivePointEncoder.create((topic, p) -> {
      byte[] body = ARCHIVES.valueSerde().serializer().serialize(topic, p);
      byte[] out = Arrays.copyOf(body, body.length);
      out[2] = (byte) p.getMetric().length();
      return out;
    }, "t")).isNull();
  }

  @Property(tries = 1000)
  void wellFormedPointsAreReadAsTheSerdeReadsThem(
      @ForAll("names") String metric, @ForAll("longs") long timestamp, @ForAll("doubles") double value) {
    byte[] bytes = POINT_SERDE.encode(new MetricPoint(metric, timestamp, value));
    PointReader reader = new PointReader(POINT_SERDE);
    assertThat(reader.readDirect(bytes)).isTrue();
    assertSameAsSerde(reader, bytes);
  }

  @Provide
  Arbitrary<byte[]> damaged() {
    Arbitrary<byte[]> valid = Combinators.combine(names(), longs(), doubles())
        .as((m, t, v) -> POINT_SERDE.encode(new MetricPoint(m, t, v)));
    return Combinators.combine(valid, Arbitraries.integers().between(0, 1_000_000),
            Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 4),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(12))
        .as((bytes, where, what, how, extra) -> {
          int at = where % (bytes.length + 1);
          switch (how) {
            case 0: // one byte changed
              if (at < bytes.length) {
                bytes[at] = (byte) what.intValue();
              }
              return bytes;
            case 1: // truncated
              return Arrays.copyOf(bytes, at);
            case 2: // bytes appended
              byte[] longer = Arrays.copyOf(bytes, bytes.length + extra.length);
              System.arraycopy(extra, 0, longer, bytes.length, extra.length);
              return longer;
            case 3: // a long varint where the metric's length is: bytes after the header replaced
              byte[] odd = bytes.clone();
              for (int i = 10; i < Math.min(odd.length, 10 + extra.length); i++) {
                odd[i] = (byte) ((extra[i - 10] & 0xFF) | 0x80);
              }
              return odd;
            default: // random bytes behind a valid header
              byte[] random = Arrays.copyOf(bytes, Math.min(bytes.length, 10) + extra.length);
              System.arraycopy(extra, 0, random, Math.min(bytes.length, 10), extra.length);
              return random;
          }
        });
  }

  @Property(tries = 1000)
  void anyValueIsReadOrRejectedAsTheSerdeDoes(@ForAll("damaged") byte[] bytes) {
    assertSameAsSerde(new PointReader(POINT_SERDE), bytes);
  }

  @Test
  void edgeCasesAreReadOrRejectedAsTheSerdeDoes() {
    byte[] header = Arrays.copyOf(POINT_SERDE.encode(new MetricPoint("a", 0L, 0.0)), 10);
    List<byte[]> cases = new ArrayList<>();
    cases.add(new byte[0]);
    cases.add(null);
    cases.add(new byte[] {0, 0, 0, 0, 1, 2});
    cases.add(header);
    // Five-byte length varints, with and without bits beyond 32; 10- and 11-byte timestamps.
    cases.add(concat(header, new byte[] {(byte) 0x82, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00, 'x', 0,
        0, 0, 0, 0, 0, 0, 0, 0}));
    cases.add(concat(header, new byte[] {(byte) 0x82, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x70, 'x', 0,
        0, 0, 0, 0, 0, 0, 0, 0}));
    byte[] tenByteLong = {2, 'x', (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
    cases.add(concat(header, tenByteLong));
    byte[] tenByteLongHighBits = tenByteLong.clone();
    tenByteLongHighBits[11] = 0x7F;
    cases.add(concat(header, tenByteLongHighBits));
    byte[] elevenByteLong = concat(Arrays.copyOf(tenByteLong, 11), new byte[] {(byte) 0x81, 0x01});
    cases.add(concat(header, concat(elevenByteLong, new byte[8])));
    // Invalid UTF-8 in the name, and a negative length.
    cases.add(concat(header, new byte[] {4, (byte) 0xC3, (byte) 0x28, 2, 0, 0, 0, 0, 0, 0, 0, 0}));
    cases.add(concat(header, new byte[] {3, 'x', 2, 0, 0, 0, 0, 0, 0, 0, 0}));
    for (byte[] bytes : cases) {
      assertSameAsSerde(new PointReader(POINT_SERDE), bytes);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static void assertSameAsSerde(PointReader reader, byte[] bytes) {
    MetricPoint expected = null;
    Throwable expectedError = null;
    try {
      expected = POINT_SERDE.decode(bytes);
    } catch (SerializationException e) {
      expectedError = e;
    }
    Throwable error = catchThrowable(() -> reader.read(bytes));
    if (expectedError != null) {
      assertThat(error).isInstanceOf(SerializationException.class)
          .hasMessage(expectedError.getMessage());
      assertThat(error.getCause() == null ? null : error.getCause().getClass())
          .isEqualTo(expectedError.getCause() == null ? null : expectedError.getCause().getClass());
      return;
    }
    assertThat(error).isNull();
    assertThat(reader.metric).isEqualTo(expected.getMetric());
    assertThat(reader.timestamp).isEqualTo(expected.getTimestamp());
    assertThat(Double.doubleToRawLongBits(reader.value))
        .isEqualTo(Double.doubleToRawLongBits(expected.getValue()));
  }
}

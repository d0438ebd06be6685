package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.avro.MetricPoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * {@link MetricPointReader} against {@link AvroSerde#decode}, in both wire formats: every value,
 * valid, mutated, truncated, extended or with odd varints, is read as the serde reads it, or
 * refused with the exception the serde throws (same class, message and cause). Valid current values
 * take the direct path.
 */
class MetricPointReaderTest {

  private static final String TOPIC = "carbon.points";
  private static final StubSchemaRegistry REGISTRY = StubSchemaRegistry.start();
  private static final SchemaRegistryClient CLIENT = new SchemaRegistryClient(REGISTRY.url(), null);

  /** Single-object encoding with no registry, as without schema.registry.url. */
  private static final AvroSerde<MetricPoint> SINGLE = AvroSerde.singleObject(MetricPoint.class);

  /** Confluent's framing, reading both formats, as with schema.registry.url. */
  private static final AvroSerde<MetricPoint> CONFLUENT =
      AvroSerde.confluent(MetricPoint.class, CLIENT);

  @AfterContainer
  static void stopRegistry() {
    REGISTRY.close();
  }

  @Provide
  Arbitrary<String> names() {
    return WireArbitraries.names();
  }

  @Provide
  Arbitrary<Long> longs() {
    return WireArbitraries.longs();
  }

  @Provide
  Arbitrary<Double> doubles() {
    return WireArbitraries.doubles();
  }

  /** The serde of one wire format, and the bytes it writes for a point. */
  private static AvroSerde<MetricPoint> serde(boolean confluent) {
    return confluent ? CONFLUENT : SINGLE;
  }

  private static byte[] encode(boolean confluent, MetricPoint point) {
    return confluent ? CONFLUENT.encode(TOPIC, point) : SINGLE.encode(point);
  }

  @Property(tries = 1000)
  void wellFormedPointsAreReadDirectlyAsTheSerdeReadsThem(
      @ForAll("names") String metric,
      @ForAll("longs") long timestamp,
      @ForAll("doubles") double value,
      @ForAll boolean confluent) {
    byte[] bytes = encode(confluent, new MetricPoint(metric, timestamp, value));
    MetricPointReader reader = MetricPointReader.of(serde(confluent));

    assertThat(reader.readDirect(bytes)).isNotNull();
    assertSameAsSerde(serde(confluent), reader, bytes);
  }

  @Provide
  Arbitrary<byte[]> damaged() {
    Arbitrary<byte[]> valid =
        Combinators.combine(names(), longs(), doubles(), Arbitraries.of(false, true))
            .as((m, t, v, confluent) -> encode(confluent, new MetricPoint(m, t, v)));
    return Combinators.combine(
            valid,
            Arbitraries.integers().between(0, 1_000_000),
            // Without edge cases: a zero written over the first byte of most values would make them
            // Confluent-framed with an unknown id, each a lookup at the registry.
            Arbitraries.integers().between(0, 255).withoutEdgeCases(),
            Arbitraries.integers().between(0, 4),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(12))
        .as(
            (bytes, where, what, how, extra) -> {
              int at = where % (bytes.length + 1);
              int header = bytes.length > 0 && bytes[0] == 0 ? 5 : 10;
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
                case 3: // a long varint where the metric's length is: bytes after the header
                  // replaced
                  byte[] odd = bytes.clone();
                  for (int i = header; i < Math.min(odd.length, header + extra.length); i++) {
                    odd[i] = (byte) ((extra[i - header] & 0xFF) | 0x80);
                  }
                  return odd;
                default: // random bytes behind a valid header
                  byte[] random =
                      Arrays.copyOf(bytes, Math.min(bytes.length, header) + extra.length);
                  System.arraycopy(extra, 0, random, Math.min(bytes.length, header), extra.length);
                  return random;
              }
            });
  }

  @Property(tries = 1000)
  void anyValueIsReadOrRefusedAsTheSerdeDoes(@ForAll("damaged") byte[] bytes) {
    // A serde without a registry refuses Confluent framing; one with a registry reads both formats.
    assertSameAsSerde(SINGLE, MetricPointReader.of(SINGLE), bytes);
    assertSameAsSerde(CONFLUENT, MetricPointReader.of(CONFLUENT), bytes);
  }

  @Example
  void edgeCasesAreReadOrRefusedAsTheSerdeDoes() {
    byte[] header = Arrays.copyOf(SINGLE.encode(new MetricPoint("a", 0L, 0.0)), 10);
    byte[] confluentHeader =
        Arrays.copyOf(CONFLUENT.encode(TOPIC, new MetricPoint("a", 0L, 0.0)), 5);
    List<byte[]> bodies = new ArrayList<>();
    // Five-byte length varints, with and without bits beyond 32; 10- and 11-byte timestamps.
    bodies.add(
        new byte[] {
          (byte) 0x82, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0
        });
    bodies.add(
        new byte[] {
          (byte) 0x82, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x70, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0
        });
    byte[] tenByteLong = {
      2,
      'x',
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      (byte) 0xFF,
      0x01,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0
    };
    bodies.add(tenByteLong);
    byte[] tenByteLongHighBits = tenByteLong.clone();
    tenByteLongHighBits[11] = 0x7F;
    bodies.add(tenByteLongHighBits);
    byte[] elevenByteLong = concat(Arrays.copyOf(tenByteLong, 11), new byte[] {(byte) 0x81, 0x01});
    bodies.add(concat(elevenByteLong, new byte[8]));
    // Invalid UTF-8 in the name, and a negative length.
    bodies.add(new byte[] {4, (byte) 0xC3, (byte) 0x28, 2, 0, 0, 0, 0, 0, 0, 0, 0});
    bodies.add(new byte[] {3, 'x', 2, 0, 0, 0, 0, 0, 0, 0, 0});
    List<byte[]> cases = new ArrayList<>();
    cases.add(new byte[0]);
    cases.add(null);
    cases.add(new byte[] {0, 0, 0, 0, 1, 2});
    cases.add(new byte[] {0, 0, 0});
    cases.add(header);
    cases.add(confluentHeader);
    for (byte[] body : bodies) {
      cases.add(concat(header, body));
      cases.add(concat(confluentHeader, body));
    }
    for (byte[] bytes : cases) {
      assertSameAsSerde(SINGLE, MetricPointReader.of(SINGLE), bytes);
      assertSameAsSerde(CONFLUENT, MetricPointReader.of(CONFLUENT), bytes);
    }
  }

  @Example
  void aValueOfAnotherRegisteredSchemaIsReadWithSchemaResolutionAsTheSerdeReadsIt()
      throws Exception {
    Schema newer =
        SchemaBuilder.record("MetricPoint")
            .namespace("io.graphitekafka.schemas.avro")
            .fields()
            .requiredString("metric")
            .requiredLong("timestamp")
            .requiredDouble("value")
            .name("host")
            .type()
            .stringType()
            .stringDefault("")
            .endRecord();
    int id = REGISTRY.preload("other-value", newer);
    GenericRecord record = new GenericData.Record(newer);
    record.put("metric", "a.b");
    record.put("timestamp", 1_700_000_000L);
    record.put("value", 2.5);
    record.put("host", "web01");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.write(new byte[] {0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer).write(record, encoder);
    encoder.flush();
    byte[] bytes = out.toByteArray();

    MetricPointReader reader = MetricPointReader.of(CONFLUENT);
    assertThat(reader.readDirect(bytes)).isNull();
    assertSameAsSerde(CONFLUENT, reader, bytes);
    assertThat(reader.read(bytes).metric()).isEqualTo("a.b");
  }

  @Example
  void anUnreachableRegistryIsTheFailureTheSerdeThrows() {
    byte[] bytes = {0, 0x7F, 0x11, 0x22, 0x33, 2, 'x', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    SchemaRegistryClient fresh = new SchemaRegistryClient(REGISTRY.url(), null);
    REGISTRY.down(true);
    try {
      MetricPointReader.Result read =
          MetricPointReader.of(AvroSerde.confluent(MetricPoint.class, fresh)).read(bytes);
      assertThat(read.isPoint()).isFalse();
      assertThat(read.failure()).isInstanceOf(RegistryUnavailableException.class);
      assertThat(read.raw()).isSameAs(bytes);
    } finally {
      REGISTRY.down(false);
    }
  }

  @Example
  void anotherSerdeIsReadThroughItsDeserializer() {
    Serde<MetricPoint> other =
        Serdes.serdeFrom(
            (topic, p) -> SINGLE.encode(p),
            (topic, bytes) -> bytes == null ? null : SINGLE.decode(bytes));
    MetricPointReader reader = MetricPointReader.of(other);
    byte[] bytes = SINGLE.encode(new MetricPoint("a", 10L, 1.5));

    MetricPointReader.Result read = reader.deserialize(TOPIC, bytes);
    assertThat(read.isPoint()).isTrue();
    assertThat(read.metric()).isEqualTo("a");
    assertThat(read.timestamp()).isEqualTo(10L);
    assertThat(read.value()).isEqualTo(1.5);
    assertThat(reader.deserialize(TOPIC, new byte[] {1}).failure())
        .hasMessage(catchSerde(SINGLE, new byte[] {1}).getMessage());
    assertThat(reader.deserialize(TOPIC, null).isPoint()).isFalse();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static SerializationException catchSerde(AvroSerde<MetricPoint> serde, byte[] bytes) {
    try {
      serde.decode(bytes);
      return null;
    } catch (SerializationException e) {
      return e;
    }
  }

  private static void assertSameAsSerde(
      AvroSerde<MetricPoint> serde, MetricPointReader reader, byte[] bytes) {
    MetricPoint expected = null;
    SerializationException expectedError = catchSerde(serde, bytes);
    if (expectedError == null) {
      expected = serde.decode(bytes);
    }
    MetricPointReader.Result read = reader.deserialize(TOPIC, bytes);
    assertThat(read.raw()).isSameAs(bytes);
    if (expectedError != null) {
      assertThat(read.isPoint()).isFalse();
      assertThat(read.failure())
          .isInstanceOf(expectedError.getClass())
          .hasMessage(expectedError.getMessage());
      assertThat(read.failure().getCause() == null ? null : read.failure().getCause().getClass())
          .isEqualTo(expectedError.getCause() == null ? null : expectedError.getCause().getClass());
      return;
    }
    assertThat(read.isPoint()).isTrue();
    assertThat(read.metric()).isEqualTo(expected.getMetric());
    assertThat(read.timestamp()).isEqualTo(expected.getTimestamp());
    assertThat(Double.doubleToRawLongBits(read.value()))
        .isEqualTo(Double.doubleToRawLongBits(expected.getValue()));
  }
}

package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.topic.Topics;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ArchivePointReaderTest {

  private static final ArchiveLayout LAYOUT =
      Layouts.toAvro(
          new SeriesLayout(
              List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120)),
              AggregationMethod.MAX,
              0.1f));
  private static final ArchivePoint POINT =
      new ArchivePoint("servers.web01.cpu", 1, 1_800_000_059L, 4.5, LAYOUT, null);
  private static final AvroSerde<ArchivePoint> SERDE = AvroSerde.singleObject(ArchivePoint.class);

  @RegisterExtension final StubSchemaRegistry registry = StubSchemaRegistry.start();

  private final ArchivePointReader reader =
      ArchivePointReader.of(Topics.archives("carbon.archives").valueSerde());

  private static byte[] avro(ArchiveLayout layout) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(ArchiveLayout.class).write(layout, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void readsTheFieldsInPlaceWithTheRawBytesOfNameAndLayout() throws Exception {
    byte[] value = SERDE.encode(POINT);
    byte[] fetched = new byte[value.length + 20];
    System.arraycopy(value, 0, fetched, 7, value.length);

    reader.read(ByteBuffer.wrap(fetched, 7, value.length));

    assertThat(reader.buffer()).isSameAs(fetched);
    assertThat(
            Arrays.copyOfRange(
                fetched, reader.metricOffset(), reader.metricOffset() + reader.metricLength()))
        .isEqualTo("servers.web01.cpu".getBytes(StandardCharsets.UTF_8));
    assertThat(
            Arrays.copyOfRange(
                fetched, reader.layoutOffset(), reader.layoutOffset() + reader.layoutLength()))
        .isEqualTo(avro(LAYOUT));
    assertThat(reader.metric()).isEqualTo("servers.web01.cpu");
    assertThat(reader.archive()).isEqualTo(1);
    assertThat(reader.timestamp()).isEqualTo(1_800_000_059L);
    assertThat(reader.value()).isEqualTo(4.5);
    assertThat(reader.layout()).isEqualTo(LAYOUT);
    assertThat(reader.hasNow()).isFalse();
  }

  @Test
  void readsARawPointsNowAndForgetsItForTheNextValue() {
    reader.read(
        ByteBuffer.wrap(
            SERDE.encode(
                new ArchivePoint("a.b", -1, 1_800_000_059L, 1.5, LAYOUT, 1_800_000_100L))));
    assertThat(reader.hasNow()).isTrue();
    assertThat(reader.now()).isEqualTo(1_800_000_100L);

    reader.read(ByteBuffer.wrap(SERDE.encode(POINT)));
    assertThat(reader.hasNow()).isFalse();
    assertThat(reader.metric()).isEqualTo("servers.web01.cpu");
  }

  @Test
  void refusesWhatTheSerdeRefusesAndSaysWhetherTheSchemaIsUnknown() {
    byte[] value = SERDE.encode(POINT);
    byte[] unknown = value.clone();
    unknown[5] ^= 0x11;
    for (byte[] bad :
        List.of(
            new byte[0],
            "junk".getBytes(StandardCharsets.UTF_8),
            Arrays.copyOf(value, 14),
            unknown)) {
      assertThatThrownBy(() -> reader.read(ByteBuffer.wrap(bad)))
          .isInstanceOf(SerializationException.class)
          .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
      assertThatThrownBy(() -> SERDE.decode(bad)).isInstanceOf(SerializationException.class);
    }
    assertThatThrownBy(() -> reader.read((ByteBuffer) null)).hasMessage("empty ArchivePoint value");
    SerializationException refused = catchRefusal(unknown);
    assertThat(ArchivePointReader.isUnknownSchema(refused)).isTrue();
    assertThat(ArchivePointReader.isUnknownSchema(catchRefusal(Arrays.copyOf(value, 14))))
        .isFalse();
  }

  private SerializationException catchRefusal(byte[] value) {
    try {
      reader.read(ByteBuffer.wrap(value));
    } catch (SerializationException e) {
      return e;
    }
    throw new AssertionError("accepted");
  }

  @Test
  void readsValuesInTheSchemasFirstVersionThroughResolution() throws Exception {
    var v1 = AvroSerde.earlierVersions(ArchivePoint.class).get(0);
    GenericRecord record = new GenericData.Record(v1);
    record.put("metric", "servers.web01.cpu");
    record.put("archive", 1);
    record.put("timestamp", 1_800_000_059L);
    record.put("value", 4.5);
    record.put("layout", GenericData.get().deepCopy(ArchiveLayout.getClassSchema(), LAYOUT));
    ByteBuffer encoded =
        new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(record);
    byte[] value = Arrays.copyOfRange(encoded.array(), encoded.position(), encoded.limit());

    reader.read(ByteBuffer.wrap(value));

    assertThat(reader.buffer()).isNotSameAs(value);
    assertThat(reader.metric()).isEqualTo("servers.web01.cpu");
    assertThat(reader.timestamp()).isEqualTo(1_800_000_059L);
    assertThat(reader.layout()).isEqualTo(LAYOUT);
    assertThat(reader.hasNow()).isFalse();
  }

  @Test
  void readsConfluentFramingOnlyWithARegistryAndRefusesBytesAfterTheRecord() {
    AvroSerde<ArchivePoint> confluent =
        AvroSerde.confluent(ArchivePoint.class, new SchemaRegistryClient(registry.url(), null));
    byte[] framed = confluent.encode("carbon.archives", POINT);

    assertThatThrownBy(() -> reader.read(ByteBuffer.wrap(framed)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema.registry.url");

    ArchivePointReader withRegistry = ArchivePointReader.of(confluent);
    withRegistry.read(ByteBuffer.wrap(framed));
    assertThat(withRegistry.metric()).isEqualTo("servers.web01.cpu");
    assertThat(withRegistry.layout()).isEqualTo(LAYOUT);
    byte[] longer = Arrays.copyOf(framed, framed.length + 1);
    assertThatThrownBy(() -> withRegistry.read(ByteBuffer.wrap(longer)))
        .hasMessageContaining("trailing bytes");
    assertThatThrownBy(() -> confluent.decode(longer)).hasMessageContaining("trailing bytes");
  }

  @Test
  void needsAnAvroSerde() {
    assertThatThrownBy(() -> ArchivePointReader.of(cast(Serdes.ByteArray())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static org.apache.kafka.common.serialization.Serde<ArchivePoint> cast(
      org.apache.kafka.common.serialization.Serde<?> serde) {
    return (org.apache.kafka.common.serialization.Serde) serde;
  }
}

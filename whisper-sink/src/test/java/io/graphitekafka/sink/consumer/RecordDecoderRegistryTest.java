package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.SERDE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.serde.StubSchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link RecordDecoder} on Confluent-framed values, with a stub of the Schema Registry's REST API.
 */
class RecordDecoderRegistryTest {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120)), AggregationMethod.MAX, 0.1f);
  private static final Path ROOT = Path.of("/data/whisper");
  private static final ArchivePoint POINT =
      new ArchivePoint("servers.web01.cpu", 1, 1_800_000_059L, 4.5, Layouts.toAvro(LAYOUT), null);

  @RegisterExtension final StubSchemaRegistry registry = StubSchemaRegistry.start();

  private AvroSerde<ArchivePoint> confluent() {
    return AvroSerde.confluent(ArchivePoint.class, new SchemaRegistryClient(registry.url(), null));
  }

  private String reasonFor(RecordDecoder decoder, byte[] value) {
    try {
      decoder.decode(value);
    } catch (BadRecordException e) {
      assertThat(e.getMessage()).isNotBlank();
      return e.reason();
    }
    throw new AssertionError("accepted");
  }

  @Test
  void decodesConfluentFramedValuesAsTheSingleObjectOnes() throws Exception {
    RecordDecoder decoder = new RecordDecoder(ROOT, true, confluent());
    byte[] framed = confluent().encode("carbon.archives", POINT);

    DecodedPoint expected = new RecordDecoder(ROOT, true).decode(SERDE.encode(POINT));
    assertThat(framed[0]).isZero();
    assertThat(decoder.decode(framed)).isEqualTo(expected);
    assertThat(decoder.decode(SERDE.encode(POINT))).isEqualTo(expected);
    // as the consumer hands it over: inside a larger buffer
    byte[] around = new byte[framed.length + 7];
    System.arraycopy(framed, 0, around, 4, framed.length);
    assertThat(decoder.decode(java.nio.ByteBuffer.wrap(around, 4, framed.length)))
        .isEqualTo(expected);
    assertThat(expected)
        .isEqualTo(
            new DecodedPoint(
                "servers.web01.cpu",
                ROOT.resolve("servers/web01/cpu.wsp"),
                LAYOUT,
                60,
                1_800_000_000L,
                4.5,
                DecodedPoint.NOT_RAW));
  }

  @Test
  void withoutARegistryConfluentFramingIsUndecodableAndSaysWhy() {
    byte[] framed = confluent().encode("carbon.archives", POINT);
    RecordDecoder decoder = new RecordDecoder(ROOT, true);

    assertThatThrownBy(() -> decoder.decode(framed))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("schema.registry.url");
    assertThat(reasonFor(decoder, framed)).isEqualTo("undecodable");
  }

  @Test
  void anUnknownIdIsAnUnknownSchemaAndATruncatedBodyUndecodable() {
    RecordDecoder decoder = new RecordDecoder(ROOT, true, confluent());
    byte[] framed = confluent().encode("carbon.archives", POINT);
    byte[] unknown = framed.clone();
    ByteBuffer.wrap(unknown, 1, 4).putInt(4242);

    assertThat(reasonFor(decoder, unknown)).isEqualTo("unknown_schema");
    assertThat(reasonFor(decoder, java.util.Arrays.copyOf(framed, 12))).isEqualTo("undecodable");
    assertThat(reasonFor(decoder, new byte[] {0, 0, 0})).isEqualTo("undecodable");
  }

  @Test
  void readsAnotherRegisteredVersionOfTheSchemaThroughResolution() throws Exception {
    // A producer's ArchivePoint with an extra field at the end, registered as a second version.
    Schema ours = ArchivePoint.getClassSchema();
    String text =
        ours.toString()
            .replaceFirst(
                "\\]\\s*}\\s*$", ",{\"name\":\"origin\",\"type\":\"string\",\"default\":\"\"}]}");
    Schema newer = new Schema.Parser().parse(text);
    int id = registry.preload("carbon.archives-value", newer);
    GenericRecord record = new GenericData.Record(newer);
    GenericData.Record layout = new GenericData.Record(newer.getField("layout").schema());
    layout.put("archives", List.of(retention(newer, 10, 360), retention(newer, 60, 120)));
    layout.put("aggregationMethod", "max");
    layout.put("xFilesFactor", 0.1f);
    record.put("metric", "servers.web01.cpu");
    record.put("archive", 1);
    record.put("timestamp", 1_800_000_059L);
    record.put("value", 4.5);
    record.put("layout", layout);
    record.put("origin", "importer");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer).write(record, encoder);
    encoder.flush();

    DecodedPoint p = new RecordDecoder(ROOT, true, confluent()).decode(out.toByteArray());

    assertThat(p).isEqualTo(new RecordDecoder(ROOT, true).decode(SERDE.encode(POINT)));
  }

  private static GenericData.Record retention(Schema schema, int secondsPerPoint, int points) {
    Schema item = schema.getField("layout").schema().getField("archives").schema().getElementType();
    GenericData.Record r = new GenericData.Record(item);
    r.put("secondsPerPoint", secondsPerPoint);
    r.put("points", points);
    return r;
  }

  @Test
  void anUnreachableRegistryIsNotTheRecordsFault() throws Exception {
    byte[] framed = confluent().encode("carbon.archives", POINT);
    RecordDecoder decoder = new RecordDecoder(ROOT, true, confluent());
    registry.down(true);

    assertThatThrownBy(() -> decoder.decode(framed))
        .isInstanceOf(RegistryUnavailableException.class);

    registry.down(false);
    assertThat(decoder.decode(framed).interval()).isEqualTo(1_800_000_000L);
  }
}

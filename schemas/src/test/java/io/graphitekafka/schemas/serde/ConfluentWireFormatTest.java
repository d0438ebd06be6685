package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Confluent wire format and the registry client, against a stub of the registry's REST API. */
class ConfluentWireFormatTest {

  private static final MetricPoint POINT = new MetricPoint("servers.web01.cpu", 1700000000L, 42.5);

  @RegisterExtension final StubSchemaRegistry registry = StubSchemaRegistry.start();

  private SchemaRegistryClient client() {
    return new SchemaRegistryClient(registry.url(), null);
  }

  @Test
  void writesMagicZeroAndTheRegisteredIdUnderTheTopicValueSubject() {
    int other = registry.preload("unrelated-value", Reject.getClassSchema());
    AvroSerde<MetricPoint> serde = AvroSerde.confluent(MetricPoint.class, client());

    byte[] bytes = serde.serializer().serialize("carbon.points", POINT);

    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    assertThat(bytes[0]).isZero();
    assertThat(id).isNotEqualTo(other);
    assertThat(registry.versions("carbon.points-value")).containsExactly(id);
    assertThat(registry.requests).contains("POST /subjects/carbon.points-value/versions");
  }

  @Test
  void roundTripsAndCachesBothRegistrationAndLookup() {
    AvroSerde<MetricPoint> writer = AvroSerde.confluent(MetricPoint.class, client());
    for (int i = 0; i < 5; i++) {
      writer.serializer().serialize("carbon.points", POINT);
    }
    byte[] bytes = writer.serializer().serialize("carbon.points", POINT);
    AvroSerde<MetricPoint> reader = AvroSerde.confluent(MetricPoint.class, client());
    for (int i = 0; i < 5; i++) {
      assertThat(reader.deserializer().deserialize("carbon.points", bytes)).isEqualTo(POINT);
    }

    assertThat(registry.requests).filteredOn(r -> r.startsWith("POST")).hasSize(1);
    assertThat(registry.requests).filteredOn(r -> r.startsWith("GET")).hasSize(1);
  }

  @Test
  void registersOncePerTopic() {
    AvroSerde<MetricPoint> serde = AvroSerde.confluent(MetricPoint.class, client());
    byte[] a = serde.serializer().serialize("points-a", POINT);
    byte[] b = serde.serializer().serialize("points-b", POINT);

    assertThat(registry.versions("points-a-value")).hasSize(1);
    assertThat(registry.versions("points-b-value")).hasSize(1);
    assertThat(Arrays.copyOfRange(a, 0, 5)).isEqualTo(Arrays.copyOfRange(b, 0, 5));
  }

  @Test
  void deserializersAcceptBothWireFormats() {
    byte[] confluent =
        AvroSerde.confluent(MetricPoint.class, client()).encode("carbon.points", POINT);
    byte[] singleObject = AvroSerde.singleObject(MetricPoint.class).encode(POINT);
    AvroSerde<MetricPoint> confluentSerde = AvroSerde.confluent(MetricPoint.class, client());
    AvroSerde<MetricPoint> singleObjectWithRegistry =
        AvroSerde.of(MetricPoint.class, AvroSerde.WireFormat.SINGLE_OBJECT, client());

    assertThat(singleObject[0]).isEqualTo((byte) 0xC3);
    for (AvroSerde<MetricPoint> serde :
        java.util.List.of(confluentSerde, singleObjectWithRegistry)) {
      assertThat(serde.decode(confluent)).isEqualTo(POINT);
      assertThat(serde.decode(singleObject)).isEqualTo(POINT);
    }
  }

  @Test
  void singleObjectSerdeWithoutRegistryExplainsConfluentFraming() {
    byte[] confluent =
        AvroSerde.confluent(MetricPoint.class, client()).encode("carbon.points", POINT);

    assertThatThrownBy(() -> AvroSerde.singleObject(MetricPoint.class).decode(confluent))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("schema.registry.url");
  }

  @Test
  void readsValuesWrittenWithANewerWriterSchemaThroughSchemaResolution() throws Exception {
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
    int id = registry.preload("carbon.points-value", newer);
    GenericRecord record = new GenericData.Record(newer);
    record.put("metric", "a.b");
    record.put("timestamp", 1700000000L);
    record.put("value", 1.0);
    record.put("host", "web01");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer).write(record, encoder);
    encoder.flush();

    MetricPoint read = AvroSerde.confluent(MetricPoint.class, client()).decode(out.toByteArray());

    assertThat(read).isEqualTo(new MetricPoint("a.b", 1700000000L, 1.0));
  }

  @Test
  void unknownSchemaIdFailsNamingTheRegistryError() {
    byte[] bytes = {0, 0, 0, 0x30, 0x39, 2, 4};

    assertThatThrownBy(() -> AvroSerde.confluent(MetricPoint.class, client()).decode(bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("404")
        .hasMessageContaining("40403");
  }

  @Test
  void truncatedConfluentValueFailsClearly() {
    byte[] bytes = AvroSerde.confluent(MetricPoint.class, client()).encode("t", POINT);

    assertThatThrownBy(
            () -> AvroSerde.confluent(MetricPoint.class, client()).decode(Arrays.copyOf(bytes, 3)))
        .hasMessageContaining("5-byte header");
    assertThatThrownBy(
            () ->
                AvroSerde.confluent(MetricPoint.class, client())
                    .decode(Arrays.copyOf(bytes, bytes.length - 2)))
        .hasMessageContaining("corrupt");
  }

  @Test
  void confluentFormatNeedsATopicToEncode() {
    assertThatThrownBy(() -> AvroSerde.confluent(MetricPoint.class, client()).encode(POINT))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("topic");
  }

  @Test
  void sendsBasicAuthAndReportsRefusal() throws Exception {
    try (StubSchemaRegistry secured = new StubSchemaRegistry("gk:s3cret")) {
      AvroSerde<MetricPoint> good =
          AvroSerde.confluent(
              MetricPoint.class, new SchemaRegistryClient(secured.url(), "gk:s3cret"));
      byte[] bytes = good.encode("carbon.points", POINT);
      assertThat(
              AvroSerde.confluent(
                      MetricPoint.class, new SchemaRegistryClient(secured.url(), "gk:s3cret"))
                  .decode(bytes))
          .isEqualTo(POINT);

      AvroSerde<MetricPoint> bad =
          AvroSerde.confluent(
              MetricPoint.class, new SchemaRegistryClient(secured.url(), "gk:wrong"));
      assertThatThrownBy(() -> bad.encode("carbon.points", POINT))
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("401");
    }
  }

  @Test
  void triesTheNextUrlWhenOneIsUnreachable() throws Exception {
    java.net.ServerSocket closed = new java.net.ServerSocket(0);
    int deadPort = closed.getLocalPort();
    closed.close();
    SchemaRegistryClient failover =
        new SchemaRegistryClient("http://127.0.0.1:" + deadPort + "," + registry.url(), null);

    assertThat(failover.register("x-value", MetricPoint.getClassSchema())).isPositive();
  }

  @Test
  void aRegistryThatDoesNotAnswerIsUnavailableNotABadRecord() throws Exception {
    byte[] bytes = AvroSerde.confluent(MetricPoint.class, client()).encode("carbon.points", POINT);
    AvroSerde<MetricPoint> fresh = AvroSerde.confluent(MetricPoint.class, client());
    registry.down(true);

    assertThatThrownBy(() -> fresh.decode(bytes))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("HTTP 503");
    assertThatThrownBy(() -> fresh.currentSchemaBodyOffset(bytes))
        .isInstanceOf(RegistryUnavailableException.class);
    java.net.ServerSocket closed = new java.net.ServerSocket(0);
    int deadPort = closed.getLocalPort();
    closed.close();
    assertThatThrownBy(
            () -> new SchemaRegistryClient("http://127.0.0.1:" + deadPort, null).schemaById(1))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("unreachable");

    registry.down(false);
    assertThat(fresh.decode(bytes)).isEqualTo(POINT);
  }

  @Test
  void anUnknownIdIsABadRecordNotAnOutage() {
    byte[] bytes = {0, 0, 0, 0, 99, 2, 97, 2, 0, 0, 0, 0, 0, 0, 0, 0};
    AvroSerde<MetricPoint> serde = AvroSerde.confluent(MetricPoint.class, client());

    assertThatThrownBy(() -> serde.decode(bytes))
        .isInstanceOf(SerializationException.class)
        .isNotInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("40403");
    assertThat(serde.currentSchemaBodyOffset(bytes)).isEqualTo(-1);
  }

  @Test
  void bodyOffsetIsWhereTheCurrentSchemasBinaryStartsInEitherFormat() throws Exception {
    AvroSerde<MetricPoint> serde = AvroSerde.confluent(MetricPoint.class, client());
    byte[] confluent = serde.encode("carbon.points", POINT);
    byte[] singleObject = AvroSerde.singleObject(MetricPoint.class).encode(POINT);
    Schema older =
        SchemaBuilder.record("MetricPoint")
            .namespace("io.graphitekafka.schemas.avro")
            .fields()
            .requiredString("metric")
            .requiredLong("timestamp")
            .requiredDouble("value")
            .optionalString("host")
            .endRecord();
    int olderId = registry.preload("carbon.points-value", older);
    byte[] otherSchema = Arrays.copyOf(confluent, confluent.length);
    ByteBuffer.wrap(otherSchema, 1, 4).putInt(olderId);

    assertThat(serde.currentSchemaBodyOffset(confluent)).isEqualTo(5);
    assertThat(serde.currentSchemaBodyOffset(singleObject)).isEqualTo(10);
    assertThat(Arrays.copyOfRange(confluent, 5, confluent.length))
        .isEqualTo(Arrays.copyOfRange(singleObject, 10, singleObject.length));
    assertThat(serde.currentSchemaBodyOffset(otherSchema)).isEqualTo(-1);
    assertThat(AvroSerde.singleObject(MetricPoint.class).currentSchemaBodyOffset(confluent))
        .isEqualTo(-1);
    assertThat(serde.currentSchemaBodyOffset(new byte[] {(byte) 0xC3, 1, 0})).isEqualTo(-1);
    assertThat(serde.currentSchemaBodyOffset(new byte[0])).isEqualTo(-1);
  }

  @Test
  void bodyOffsetOfASliceIsRelativeToTheSlice() throws Exception {
    AvroSerde<MetricPoint> serde = AvroSerde.confluent(MetricPoint.class, client());
    byte[] confluent = serde.encode("carbon.points", POINT);
    byte[] singleObject = AvroSerde.singleObject(MetricPoint.class).encode(POINT);
    // each value inside a larger buffer, after three bytes of something else, as in a fetched batch
    byte[] buffer = new byte[3 + confluent.length + singleObject.length];
    System.arraycopy(confluent, 0, buffer, 3, confluent.length);
    System.arraycopy(singleObject, 0, buffer, 3 + confluent.length, singleObject.length);

    assertThat(serde.currentSchemaBodyOffset(buffer, 3, confluent.length)).isEqualTo(5);
    assertThat(serde.currentSchemaBodyOffset(buffer, 3 + confluent.length, singleObject.length))
        .isEqualTo(10);
    assertThat(serde.currentSchemaBodyOffset(buffer, 3, 4))
        .as("shorter than a Confluent header")
        .isEqualTo(-1);
    assertThat(serde.currentSchemaBodyOffset(buffer, 3 + confluent.length, 9))
        .as("shorter than a single-object header")
        .isEqualTo(-1);
    assertThat(serde.currentSchemaBodyOffset(buffer, 0, 0)).isEqualTo(-1);
  }
}

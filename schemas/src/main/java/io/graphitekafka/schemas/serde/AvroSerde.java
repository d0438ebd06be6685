package io.graphitekafka.schemas.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro record class. It writes Avro single-object encoding (0xC3 0x01, the
 * 8-byte CRC-64-AVRO schema fingerprint, then Avro binary) and reads it back; the {@link WireFormat}
 * argument is where Confluent's Schema Registry format plugs in.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  /** How values are framed on the wire. */
  public enum WireFormat {
    /** Avro single-object encoding: no registry needed, the schema is identified by its fingerprint. */
    SINGLE_OBJECT
  }

  private final Class<T> type;
  private final Schema schema;
  private final WireFormat format;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type, WireFormat format) {
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    this.format = format;
    SpecificData model = new SpecificData(type.getClassLoader());
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
  }

  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, WireFormat format) {
    return new AvroSerde<>(type, format);
  }

  public static <T extends SpecificRecord> AvroSerde<T> singleObject(Class<T> type) {
    return new AvroSerde<>(type, WireFormat.SINGLE_OBJECT);
  }

  public Schema schema() {
    return schema;
  }

  public WireFormat format() {
    return format;
  }

  /** Encodes one record; never returns null for a non-null record. */
  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder.encode(record);
      return Arrays.copyOfRange(buffer.array(), buffer.arrayOffset() + buffer.position(),
          buffer.arrayOffset() + buffer.limit());
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Decodes one record.
   *
   * @throws SerializationException naming what is wrong with the bytes: empty, an unknown framing, a
   *     schema fingerprint this build does not know, or a truncated or corrupt body
   */
  public T decode(byte[] data) {
    if (data == null || data.length == 0) {
      throw new SerializationException("empty " + type.getSimpleName() + " value");
    }
    if (data[0] == 0) {
      throw new SerializationException(
          "value is in Confluent Schema Registry framing (magic byte 0), which needs schema.registry.url");
    }
    try {
      return decoder.decode(data);
    } catch (BadHeaderException e) {
      throw new SerializationException(
          "not Avro single-object encoding (expected 0xC3 0x01 header): " + e.getMessage(), e);
    } catch (MissingSchemaException e) {
      throw new SerializationException("unknown schema fingerprint for " + type.getSimpleName(), e);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "corrupt " + type.getSimpleName() + " value (" + data.length + " bytes): " + e, e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, record) -> record == null ? null : encode(record);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> data == null ? null : decode(data);
  }
}

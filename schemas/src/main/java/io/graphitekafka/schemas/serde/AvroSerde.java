package io.graphitekafka.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SystemLimitException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro record class. It writes either Avro single-object encoding (0xC3
 * 0x01, the 8-byte CRC-64-AVRO schema fingerprint, then Avro binary) or, with a Schema Registry,
 * Confluent's wire format (magic byte 0, the 4-byte big-endian schema id, then Avro binary) under
 * the subject {@code <topic>-value}. Its deserializer reads both; the Confluent one needs a
 * registry.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  /** How values are framed on the wire. */
  public enum WireFormat {
    /**
     * Avro single-object encoding: no registry needed, the schema is identified by its fingerprint.
     */
    SINGLE_OBJECT,
    /** Confluent's Schema Registry framing: magic byte 0 and a registry-assigned schema id. */
    CONFLUENT
  }

  /**
   * Avro's bound on the items a decoded array or map may declare, which it reads once, when it
   * first decodes anything. Its default (2^31 - 9) lets a damaged or hostile record declare an
   * array that exhausts the heap before the bytes run out; no record of ours holds more than a few
   * dozen items, so 100,000 leaves room while turning such a record into a decoding error. An
   * operator's own setting of the property wins.
   */
  static {
    if (System.getProperty(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY) == null) {
      System.setProperty(SystemLimitException.MAX_COLLECTION_LENGTH_PROPERTY, "100000");
    }
  }

  private static final byte CONFLUENT_MAGIC = 0;
  private static final int CONFLUENT_HEADER = 5;
  private static final int SINGLE_OBJECT_HEADER = 10;
  private static final String HISTORY = "/io/graphitekafka/schemas/history/";

  private final Class<T> type;
  private final Schema schema;
  private final WireFormat format;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;
  private final SpecificData model;
  private final SchemaRegistryClient registry;
  private final SpecificDatumWriter<T> writer;
  private final Map<String, Integer> idsByTopic = new ConcurrentHashMap<>();
  private final Map<Integer, SpecificDatumReader<T>> readersById = new ConcurrentHashMap<>();
  private final Map<Integer, Boolean> currentById = new ConcurrentHashMap<>();
  private final byte[] singleObjectHeader;

  private AvroSerde(Class<T> type, WireFormat format, SchemaRegistryClient registry) {
    if (format == WireFormat.CONFLUENT && registry == null) {
      throw new IllegalArgumentException(
          "the Confluent wire format needs a Schema Registry client");
    }
    this.type = type;
    this.schema = SpecificData.get().getSchema(type);
    this.format = format;
    this.model = new SpecificData(type.getClassLoader());
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    for (Schema earlier : earlierVersions(type)) {
      decoder.addSchema(earlier);
    }
    this.registry = registry;
    this.writer = new SpecificDatumWriter<>(schema, model);
    long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    this.singleObjectHeader = new byte[SINGLE_OBJECT_HEADER];
    singleObjectHeader[0] = (byte) 0xC3;
    singleObjectHeader[1] = 0x01;
    for (int i = 0; i < 8; i++) {
      singleObjectHeader[2 + i] = (byte) (fingerprint >>> (8 * i));
    }
  }

  /**
   * The earlier versions of a record's schema, which single-object values written before an upgrade
   * still carry: {@code history/<Record>-v1.avsc}, {@code -v2}, ... next to this package's
   * resources. Their values are read with Avro's schema resolution (a field added since takes its
   * default).
   */
  static List<Schema> earlierVersions(Class<?> type) {
    List<Schema> versions = new ArrayList<>();
    for (int v = 1; ; v++) {
      String resource = HISTORY + type.getSimpleName() + "-v" + v + ".avsc";
      try (InputStream in = AvroSerde.class.getResourceAsStream(resource)) {
        if (in == null) {
          return versions;
        }
        versions.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("reading " + resource, e);
      }
    }
  }

  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, WireFormat format) {
    return new AvroSerde<>(type, format, null);
  }

  /**
   * A serde in the given format whose deserializer also reads Confluent-framed values through
   * {@code registry} (may be null for {@link WireFormat#SINGLE_OBJECT}).
   */
  public static <T extends SpecificRecord> AvroSerde<T> of(
      Class<T> type, WireFormat format, SchemaRegistryClient registry) {
    return new AvroSerde<>(type, format, registry);
  }

  public static <T extends SpecificRecord> AvroSerde<T> singleObject(Class<T> type) {
    return new AvroSerde<>(type, WireFormat.SINGLE_OBJECT, null);
  }

  /** Confluent's wire format, registering the schema under {@code <topic>-value} on first use. */
  public static <T extends SpecificRecord> AvroSerde<T> confluent(
      Class<T> type, SchemaRegistryClient registry) {
    return new AvroSerde<>(type, WireFormat.CONFLUENT, registry);
  }

  /**
   * The subject a value schema of {@code topic} is registered under (Confluent's
   * TopicNameStrategy).
   */
  public static String valueSubject(String topic) {
    return topic + "-value";
  }

  public Schema schema() {
    return schema;
  }

  public WireFormat format() {
    return format;
  }

  /**
   * Encodes one record in single-object encoding; never returns null for a non-null record.
   *
   * @throws SerializationException for a Confluent-format serde, which needs the topic: use {@link
   *     #encode(String, Object)}
   */
  public byte[] encode(T record) {
    if (format == WireFormat.CONFLUENT) {
      throw new SerializationException(
          "the Confluent wire format needs a topic; use encode(topic, record)");
    }
    try {
      ByteBuffer buffer = encoder.encode(record);
      return Arrays.copyOfRange(
          buffer.array(),
          buffer.arrayOffset() + buffer.position(),
          buffer.arrayOffset() + buffer.limit());
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Encodes one record for {@code topic} in this serde's format. */
  public byte[] encode(String topic, T record) {
    if (format == WireFormat.SINGLE_OBJECT) {
      return encode(record);
    }
    int id = idsByTopic.computeIfAbsent(topic, t -> registry.register(valueSubject(t), schema));
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(CONFLUENT_MAGIC);
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    try {
      BinaryEncoder binary = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(record, binary);
      binary.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /**
   * Decodes one record in either wire format.
   *
   * @throws SerializationException naming what is wrong with the bytes: empty, an unknown framing,
   *     a schema fingerprint this build does not know, a schema id the registry does not know,
   *     Confluent framing without a registry, or a truncated or corrupt body
   */
  public T decode(byte[] data) {
    if (data == null || data.length == 0) {
      throw new SerializationException("empty " + type.getSimpleName() + " value");
    }
    if (data[0] == CONFLUENT_MAGIC) {
      return decodeConfluent(data);
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

  private T decodeConfluent(byte[] data) {
    if (registry == null) {
      throw new SerializationException(
          "value is in Confluent Schema Registry framing (magic byte 0), which needs schema.registry.url");
    }
    if (data.length < CONFLUENT_HEADER) {
      throw new SerializationException(
          "Confluent-framed "
              + type.getSimpleName()
              + " value of "
              + data.length
              + " bytes is shorter than its 5-byte header");
    }
    int id =
        ((data[1] & 0xff) << 24)
            | ((data[2] & 0xff) << 16)
            | ((data[3] & 0xff) << 8)
            | (data[4] & 0xff);
    SpecificDatumReader<T> reader = readersById.get(id);
    if (reader == null) {
      Schema writerSchema;
      try {
        writerSchema = registry.schemaById(id);
      } catch (RegistryUnavailableException e) {
        throw e;
      } catch (SerializationException e) {
        throw new SerializationException(
            "unknown schema id " + id + " for " + type.getSimpleName() + ": " + e.getMessage(),
            new MissingSchemaException(e.getMessage()));
      }
      reader = new SpecificDatumReader<>(writerSchema, schema, model);
      readersById.putIfAbsent(id, reader);
    }
    try {
      BinaryDecoder binary =
          DecoderFactory.get()
              .binaryDecoder(data, CONFLUENT_HEADER, data.length - CONFLUENT_HEADER, null);
      T record = reader.read(null, binary);
      if (!binary.isEnd()) {
        throw new IOException("trailing bytes after the record");
      }
      return record;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "corrupt Confluent-framed "
              + type.getSimpleName()
              + " value (schema id "
              + id
              + ", "
              + data.length
              + " bytes): "
              + e,
          e);
    }
  }

  /**
   * Where the Avro binary body of {@code data} starts if it was written with exactly this serde's
   * schema, in either wire format: 10 after a single-object header with this schema's fingerprint,
   * 5 after a Confluent header whose schema id the registry maps to a schema with the same parsing
   * canonical form; -1 otherwise (another schema, an unknown id, unknown framing), in which case
   * {@link #decode} reads it with schema resolution or says what is wrong. For readers that decode
   * the body themselves.
   *
   * @throws RegistryUnavailableException if the id is new and no registry answered
   */
  public int currentSchemaBodyOffset(byte[] data) {
    return data == null ? -1 : currentSchemaBodyOffset(data, 0, data.length);
  }

  /**
   * {@link #currentSchemaBodyOffset(byte[])} for the value in {@code data[offset, offset +
   * length)}, such as a record's slice of a fetched buffer; the result is relative to {@code
   * offset}.
   */
  public int currentSchemaBodyOffset(byte[] data, int offset, int length) {
    if (length <= 0) {
      return -1;
    }
    if (data[offset] == CONFLUENT_MAGIC) {
      if (registry == null || length < CONFLUENT_HEADER) {
        return -1;
      }
      int id =
          ((data[offset + 1] & 0xff) << 24)
              | ((data[offset + 2] & 0xff) << 16)
              | ((data[offset + 3] & 0xff) << 8)
              | (data[offset + 4] & 0xff);
      Boolean current = currentById.get(id);
      if (current == null) {
        try {
          current =
              SchemaNormalization.parsingFingerprint64(registry.schemaById(id))
                  == SchemaNormalization.parsingFingerprint64(schema);
        } catch (RegistryUnavailableException e) {
          throw e;
        } catch (SerializationException e) {
          return -1; // unknown id or unparsable schema: decode() says so
        }
        currentById.put(id, current);
      }
      return current ? CONFLUENT_HEADER : -1;
    }
    return length >= SINGLE_OBJECT_HEADER
            && Arrays.equals(
                data,
                offset,
                offset + SINGLE_OBJECT_HEADER,
                singleObjectHeader,
                0,
                SINGLE_OBJECT_HEADER)
        ? SINGLE_OBJECT_HEADER
        : -1;
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, record) -> record == null ? null : encode(topic, record);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> data == null ? null : decode(data);
  }
}

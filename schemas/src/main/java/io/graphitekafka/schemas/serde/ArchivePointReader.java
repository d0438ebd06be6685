package io.graphitekafka.schemas.serde;

import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;

/**
 * A reusable reader of {@code ArchivePoint} values that reads the fields in place instead of
 * building an {@link ArchivePoint}: one instance per consumer thread, pointed at each value in
 * turn. After {@link #read} the fields are exposed as values, and the series name and the embedded
 * layout, which repeat from record to record, also as byte ranges of {@link #buffer()}, so a caller
 * can look them up by their raw bytes without building a String or an {@link ArchiveLayout}.
 *
 * <p>It accepts and refuses what the topic's {@link AvroSerde} does: single-object values (0xC3
 * 0x01 and the schema's CRC-64-AVRO fingerprint; bytes after the record are ignored, as there) and,
 * when the serde has a Schema Registry, Confluent-framed ones (magic 0 and a 4-byte schema id;
 * bytes after the record are refused, as there). Values written with another version of the schema
 * are read by the serde with Avro's schema resolution and encoded again in the current one; rare,
 * so not worth a fast path. {@code ArchivePointReaderDifferentialTest} checks the two against each
 * other.
 */
public final class ArchivePointReader {

  private static final int SINGLE_OBJECT_HEADER = 10;
  private static final long FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(ArchivePoint.getClassSchema());
  private static final AvroSerde<ArchivePoint> CURRENT = AvroSerde.singleObject(ArchivePoint.class);

  private final AvroSerde<ArchivePoint> serde;
  private final SpecificDatumReader<ArchiveLayout> layoutReader =
      new SpecificDatumReader<>(ArchiveLayout.class);
  private BinaryDecoder layoutDecoder;

  // the value being read, and the read position in it
  private byte[] buf;
  private int pos;
  private int end;
  private int valueLength;

  // the fields of the last value read
  private int metricOffset;
  private int metricLength;
  private int archive;
  private long timestamp;
  private double value;
  private int layoutOffset;
  private int layoutLength;
  private boolean hasNow;
  private long now;

  private ArchivePointReader(AvroSerde<ArchivePoint> serde) {
    this.serde = serde;
  }

  /**
   * A reader of the values a topic's value serde reads, such as {@code Topics.archives(name,
   * registry).valueSerde()}: Confluent-framed values only if it has a Schema Registry.
   *
   * @throws IllegalArgumentException if the serde is not an {@link AvroSerde}
   */
  @SuppressWarnings("unchecked")
  public static ArchivePointReader of(Serde<ArchivePoint> valueSerde) {
    if (!(valueSerde instanceof AvroSerde<?>)) {
      throw new IllegalArgumentException("not an ArchivePoint AvroSerde: " + valueSerde);
    }
    return new ArchivePointReader((AvroSerde<ArchivePoint>) valueSerde);
  }

  /** Whether a refusal by this reader or by {@link AvroSerde#decode} is for an unknown schema. */
  public static boolean isUnknownSchema(SerializationException e) {
    return e.getCause() instanceof MissingSchemaException;
  }

  /**
   * Reads the value between the buffer's position and limit, in place when the buffer has an array
   * (as a consumer's fetched records do); the buffer's position is not changed. A null buffer is
   * empty.
   *
   * @throws SerializationException naming what is wrong with the bytes, as {@link AvroSerde#decode}
   *     does; {@link RegistryUnavailableException} if the value's schema id is new and no registry
   *     answered, which is not the record's fault
   */
  public void read(ByteBuffer value) {
    if (value == null) {
      read(new byte[0], 0, 0);
    } else if (value.hasArray()) {
      read(value.array(), value.arrayOffset() + value.position(), value.remaining());
    } else {
      byte[] copy = new byte[value.remaining()];
      value.duplicate().get(copy);
      read(copy, 0, copy.length);
    }
  }

  /** {@link #read(ByteBuffer)} for the value in {@code value[offset, offset + length)}. */
  public void read(byte[] value, int offset, int length) {
    if (length == 0) {
      throw new SerializationException("empty ArchivePoint value");
    }
    int header;
    if (value[offset] == 0) {
      header = serde.currentSchemaBodyOffset(value, offset, length);
      if (header < 0) {
        readCurrent(resolved(value, offset, length));
        return;
      }
    } else {
      if (length < SINGLE_OBJECT_HEADER
          || value[offset] != (byte) 0xC3
          || value[offset + 1] != 0x01) {
        throw new SerializationException(
            "not Avro single-object encoding (expected 0xC3 0x01 header and an 8-byte fingerprint)");
      }
      long fingerprint = 0;
      for (int i = 9; i >= 2; i--) {
        fingerprint = (fingerprint << 8) | (value[offset + i] & 0xff);
      }
      if (fingerprint != FINGERPRINT) {
        // an earlier version of the schema (values written before an upgrade), or an unknown one
        readCurrent(resolved(value, offset, length));
        return;
      }
      header = SINGLE_OBJECT_HEADER;
    }
    body(value, offset + header, offset + length, length);
    if (value[offset] == 0 && pos != end) {
      throw new SerializationException(
          "corrupt Confluent-framed ArchivePoint value ("
              + length
              + " bytes): trailing bytes after the record");
    }
  }

  /** Reads a value in the current schema, re-encoded from another version. */
  private void readCurrent(byte[] encoded) {
    body(encoded, SINGLE_OBJECT_HEADER, encoded.length, encoded.length);
  }

  /** The value read with the serde's schema resolution, encoded again in the current schema. */
  private byte[] resolved(byte[] value, int offset, int length) {
    return CURRENT.encode(serde.decode(Arrays.copyOfRange(value, offset, offset + length)));
  }

  private void body(byte[] value, int start, int stop, int length) {
    buf = value;
    pos = start;
    end = stop;
    valueLength = length;
    try {
      metricLength = readLength();
      metricOffset = pos;
      pos += metricLength;
      archive = readInt();
      timestamp = readLong();
      need(8);
      this.value = Double.longBitsToDouble(readLittleEndianLong());
      skipLayout();
      int branch = readInt();
      if (branch == 1) {
        hasNow = true;
        now = readLong();
      } else if (branch == 0) {
        hasNow = false;
        now = 0;
      } else {
        throw new IOException("union branch " + branch + " of now outside [0, 1]");
      }
    } catch (IOException e) {
      buf = null;
      throw new SerializationException(
          "corrupt ArchivePoint value (" + length + " bytes): " + e, e);
    }
  }

  /** Skips over the layout record's bytes, checking their structure, and notes where they are. */
  private void skipLayout() throws IOException {
    layoutOffset = pos;
    while (true) {
      long count = readLong();
      if (count == 0) {
        break;
      }
      if (count < 0) {
        count = -count;
        readLong(); // the block's size in bytes
      }
      for (long i = 0; i < count; i++) {
        readInt();
        readInt();
      }
    }
    int methodLength = readLength();
    pos += methodLength;
    need(4);
    pos += 4;
    layoutLength = pos - layoutOffset;
  }

  /** The array holding the value last read: the one given, or a re-encoding of another version. */
  public byte[] buffer() {
    return buf;
  }

  /** Where the UTF-8 bytes of the series name start in {@link #buffer()}. */
  public int metricOffset() {
    return metricOffset;
  }

  public int metricLength() {
    return metricLength;
  }

  /** The series name, decoded as Avro decodes strings. */
  public String metric() {
    return new String(buf, metricOffset, metricLength, StandardCharsets.UTF_8);
  }

  public int archive() {
    return archive;
  }

  public long timestamp() {
    return timestamp;
  }

  public double value() {
    return value;
  }

  /** Where the Avro binary of the {@code layout} record starts in {@link #buffer()}. */
  public int layoutOffset() {
    return layoutOffset;
  }

  public int layoutLength() {
    return layoutLength;
  }

  /**
   * The layout, read by Avro's own datum reader: for a layout whose bytes the caller has not seen
   * yet.
   *
   * @throws SerializationException if Avro cannot read it
   */
  public ArchiveLayout layout() {
    layoutDecoder =
        DecoderFactory.get().binaryDecoder(buf, layoutOffset, layoutLength, layoutDecoder);
    try {
      return layoutReader.read(null, layoutDecoder);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "corrupt ArchivePoint value (" + valueLength + " bytes): " + e, e);
    }
  }

  /** Whether the point is raw, with a {@code now}, rather than an archive slot. */
  public boolean hasNow() {
    return hasNow;
  }

  /** The raw point's {@code now}; 0 if it has none. */
  public long now() {
    return now;
  }

  // --- Avro binary, as org.apache.avro.io.BinaryDecoder reads it ---------------------------------

  private void need(int n) throws IOException {
    if (end - pos < n) {
      throw new IOException("truncated at byte " + pos);
    }
  }

  /** A string's or bytes' length: a non-negative int with at least that many bytes left. */
  private int readLength() throws IOException {
    int n = readInt();
    if (n < 0) {
      throw new IOException("malformed data: length is negative: " + n);
    }
    need(n);
    return n;
  }

  /** Zig-zag varint of at most 5 bytes; higher bits of the fifth byte are dropped, as Avro does. */
  private int readInt() throws IOException {
    int n = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      need(1);
      int b = buf[pos++] & 0xff;
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (n >>> 1) ^ -(n & 1);
      }
    }
    throw new IOException("invalid int encoding");
  }

  /** Zig-zag varint of at most 10 bytes. */
  private long readLong() throws IOException {
    long n = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      need(1);
      long b = buf[pos++] & 0xff;
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (n >>> 1) ^ -(n & 1);
      }
    }
    throw new IOException("invalid long encoding");
  }

  private long readLittleEndianLong() {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (buf[pos + i] & 0xff);
    }
    pos += 8;
    return v;
  }
}

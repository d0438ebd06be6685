package io.graphitekafka.schemas.serde;

import io.graphitekafka.schemas.avro.MetricPoint;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;

/**
 * Reads {@code MetricPoint} values as the points topic's serde does, on a consumer's hot path:
 * without a decoder, a record or a boxed field for the common value, and without throwing for a bad
 * one. A value written with the current schema in either wire format (single-object encoding with
 * its fingerprint, or Confluent framing with a schema id the registry maps to the same schema; see
 * {@link AvroSerde#currentSchemaBodyOffset}) whose Avro binary body is well-formed and fills the
 * value exactly is read straight from the bytes; anything else (another framing, fingerprint or
 * schema, a truncated, over-long or malformed body) goes to {@link AvroSerde#decode}, which reads
 * it or says what is wrong exactly as it always did.
 *
 * <p>Each value read is a small immutable {@link Result}, not a reused one: Kafka Streams
 * deserializes the next record of a partition before the current one is processed.
 */
public final class MetricPointReader implements Deserializer<MetricPointReader.Result> {

  /**
   * One value as read: the point's fields, or the exception the serde throws for it.
   *
   * @param raw the value's bytes as read (null for a null value)
   * @param failure null for a point; else what {@link AvroSerde#decode} throws for the value, a
   *     {@link RegistryUnavailableException} included (not the value's fault: a reader retries it)
   */
  public record Result(
      String metric, long timestamp, double value, byte[] raw, SerializationException failure) {

    /** Whether the value is a point; if not, {@link #failure} says why. */
    public boolean isPoint() {
      return failure == null;
    }
  }

  private final AvroSerde<MetricPoint> serde;
  private final Deserializer<MetricPoint> other;

  private MetricPointReader(AvroSerde<MetricPoint> serde, Deserializer<MetricPoint> other) {
    this.serde = serde;
    this.other = other;
  }

  /**
   * A reader of the values {@code serde} reads, such as a points topic's value serde; the fast path
   * applies to this project's {@link AvroSerde}, any other serde's deserializer reads every value.
   */
  public static MetricPointReader of(Serde<MetricPoint> serde) {
    if (serde instanceof AvroSerde<MetricPoint> avro) {
      return new MetricPointReader(avro, null);
    }
    return new MetricPointReader(null, serde.deserializer());
  }

  @Override
  public Result deserialize(String topic, byte[] data) {
    if (serde == null) {
      try {
        MetricPoint point = other.deserialize(topic, data);
        if (point == null) {
          return new Result(
              null, 0, 0, data, new SerializationException("empty MetricPoint value"));
        }
        return new Result(point.getMetric(), point.getTimestamp(), point.getValue(), data, null);
      } catch (SerializationException e) {
        return new Result(null, 0, 0, data, e);
      }
    }
    return read(data);
  }

  /** Reads one value of this reader's serde; never throws a {@link SerializationException}. */
  public Result read(byte[] data) {
    try {
      Result direct = readDirect(data);
      if (direct != null) {
        return direct;
      }
      MetricPoint point = serde.decode(data);
      return new Result(point.getMetric(), point.getTimestamp(), point.getValue(), data, null);
    } catch (SerializationException e) {
      return new Result(null, 0, 0, data, e);
    }
  }

  /** The value read straight from the bytes, or null if it is not a well-formed current one. */
  Result readDirect(byte[] data) {
    int pos = serde.currentSchemaBodyOffset(data);
    if (pos < 0 || data.length < pos + 1 + 1 + 8) {
      return null;
    }
    // metric: Avro int length (zig-zag varint, at most 5 bytes), then UTF-8.
    int n = 0;
    int shift = 0;
    int b;
    do {
      if (pos >= data.length || shift > 28) {
        return null;
      }
      b = data[pos++] & 0xFF;
      n |= (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    if (shift == 35 && (b & 0x70) != 0) {
      return null; // bits beyond 32: leave the exact treatment to Avro
    }
    int length = (n >>> 1) ^ -(n & 1);
    if (length < 0 || length > data.length - pos) {
      return null;
    }
    int start = pos;
    pos += length;
    // timestamp: Avro long (zig-zag varint, at most 10 bytes).
    long l = 0;
    shift = 0;
    do {
      if (pos >= data.length || shift > 63) {
        return null;
      }
      b = data[pos++] & 0xFF;
      l |= (long) (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    if (shift == 70 && (b & 0x7E) != 0) {
      return null; // bits beyond 64: leave the exact treatment to Avro
    }
    if (data.length - pos != 8) {
      return null; // truncated, or bytes after the record
    }
    long bits = 0;
    for (int i = 7; i >= 0; i--) {
      bits = (bits << 8) | (data[pos + i] & 0xFF);
    }
    return new Result(
        new String(data, start, length, StandardCharsets.UTF_8),
        (l >>> 1) ^ -(l & 1),
        Double.longBitsToDouble(bits),
        data,
        null);
  }
}

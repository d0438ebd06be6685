package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads {@code MetricPoint} values into reused fields. A value written with the current schema in either
 * wire format (single-object encoding with its fingerprint, or Confluent framing with a schema id the
 * registry maps to the same schema; see {@link AvroSerde#currentSchemaBodyOffset}) whose Avro binary
 * body is well-formed and fills the value exactly is read here, without a decoder, a record or a
 * boxed field; anything else (another framing, fingerprint or schema, a truncated, over-long or
 * malformed body) goes to {@link AvroSerde#decode}, which reads it or throws exactly as it always did.
 */
final class PointReader {

  private final AvroSerde<MetricPoint> serde;

  String metric;
  long timestamp;
  double value;

  PointReader(AvroSerde<MetricPoint> serde) {
    this.serde = serde;
  }

  /**
   * Reads one value into {@link #metric}, {@link #timestamp} and {@link #value}.
   *
   * @throws SerializationException as {@link AvroSerde#decode} does; a
   *     {@code RegistryUnavailableException} when the value names a schema id not seen before and no
   *     registry answered
   */
  void read(byte[] data) {
    if (!readDirect(data)) {
      MetricPoint point = serde.decode(data);
      metric = point.getMetric();
      timestamp = point.getTimestamp();
      value = point.getValue();
    }
  }

  /** Whether the value was well-formed and read here; fields are only set when it was. */
  boolean readDirect(byte[] data) {
    int pos = serde.currentSchemaBodyOffset(data);
    if (pos < 0 || data.length < pos + 1 + 1 + 8) {
      return false;
    }
    // metric: Avro int length (zig-zag varint, at most 5 bytes), then UTF-8.
    int n = 0;
    int shift = 0;
    int b;
    do {
      if (pos >= data.length || shift > 28) {
        return false;
      }
      b = data[pos++] & 0xFF;
      n |= (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    if (shift == 35 && (b & 0x70) != 0) {
      return false; // bits beyond 32: leave the exact treatment to Avro
    }
    int length = (n >>> 1) ^ -(n & 1);
    if (length < 0 || length > data.length - pos) {
      return false;
    }
    int start = pos;
    pos += length;
    // timestamp: Avro long (zig-zag varint, at most 10 bytes).
    long l = 0;
    shift = 0;
    do {
      if (pos >= data.length || shift > 63) {
        return false;
      }
      b = data[pos++] & 0xFF;
      l |= (long) (b & 0x7F) << shift;
      shift += 7;
    } while ((b & 0x80) != 0);
    if (shift == 70 && (b & 0x7E) != 0) {
      return false; // bits beyond 64: leave the exact treatment to Avro
    }
    if (data.length - pos != 8) {
      return false; // truncated, or bytes after the record
    }
    long bits = 0;
    for (int i = 7; i >= 0; i--) {
      bits = (bits << 8) | (data[pos + i] & 0xFF);
    }
    metric = new String(data, start, length, StandardCharsets.UTF_8);
    timestamp = (l >>> 1) ^ -(l & 1);
    value = Double.longBitsToDouble(bits);
    return true;
  }
}

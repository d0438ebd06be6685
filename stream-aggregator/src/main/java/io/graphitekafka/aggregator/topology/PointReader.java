package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Reads {@code MetricPoint} values into reused fields. A value framed exactly as {@code serde} frames the
 * current schema (single-object encoding: 0xC3 0x01 and the schema's fingerprint) whose Avro binary
 * body is well-formed and fills the value exactly is read here, without a decoder, a record or a
 * boxed field; anything else (another framing or fingerprint, a truncated, over-long or malformed body)
 * goes to {@link AvroSerde#decode}, which reads it or throws exactly as it always did.
 */
final class PointReader {

  private final AvroSerde<MetricPoint> serde;
  private final byte[] framing;

  String metric;
  long timestamp;
  double value;

  PointReader(AvroSerde<MetricPoint> serde) {
    this.serde = serde;
    this.framing = framingOf(serde);
  }

  /**
   * Reads one value into {@link #metric}, {@link #timestamp} and {@link #value}.
   *
   * @throws SerializationException as {@link AvroSerde#decode} does
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
    if (framing == null || data == null || data.length < framing.length + 1 + 1 + 8
        || !Arrays.equals(data, 0, framing.length, framing, 0, framing.length)) {
      return false;
    }
    int pos = framing.length;
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

  /** What {@code serde} writes before the Avro binary of a point, or null if that is not fixed. */
  private static byte[] framingOf(AvroSerde<MetricPoint> serde) {
    byte[] a = serde.encode(new MetricPoint("a", 1L, 1.0));
    byte[] b = serde.encode(new MetricPoint("bb", 3L, 2.0));
    // Bodies: "a" is 02 61, 1L is 02, 1.0 is 8 bytes; "bb" is 04 62 62, 3L is 06, 2.0 is 8 bytes.
    int fa = a.length - 11;
    int fb = b.length - 12;
    if (fa < 0 || fa != fb || !Arrays.equals(a, 0, fa, b, 0, fb)) {
      return null;
    }
    return Arrays.copyOf(a, fa);
  }
}

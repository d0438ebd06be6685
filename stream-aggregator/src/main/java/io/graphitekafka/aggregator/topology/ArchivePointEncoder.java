package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes {@link ArchivePoint} values byte for byte as the topic's serializer does, without building a
 * record: the framing (for single-object encoding, 0xC3 0x01 and the schema fingerprint) and the Avro
 * binary of each layout are computed once, the metric's UTF-8 bytes once per series, so a value costs
 * four fields and two array copies.
 *
 * <p>Avro binary of a record is its fields' encodings one after the other: {@code metric} (zig-zag
 * varint length, UTF-8), {@code archive} (zig-zag varint), {@code timestamp} (zig-zag varint),
 * {@code value} (8 bytes little-endian), {@code layout} and {@code now} (a union: the branch index as a
 * zig-zag varint, 0 for null, 1 followed by the long). The framing is whatever the serializer writes
 * before that body: {@link #create} learns it from the serializer and checks the result on probe
 * records, and returns null (use the serializer) if its output is not a fixed prefix plus the body.
 */
final class ArchivePointEncoder {

  /** The {@code archive} field of a raw point. */
  static final int RAW_ARCHIVE = -1;

  private final byte[] framing;
  private final Map<SeriesLayout, byte[]> layouts = new HashMap<>();

  private ArchivePointEncoder(byte[] framing) {
    this.framing = framing;
  }

  /**
   * An encoder equivalent to {@code serializer}, or null if the serializer's output is not a fixed
   * framing followed by the Avro binary of the record.
   */
  static ArchivePointEncoder create(Serializer<ArchivePoint> serializer, String topic) {
    SeriesLayout layout = new SeriesLayout(
        List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440)), AggregationMethod.AVERAGE, 0.5f);
    ArchivePoint probe = new ArchivePoint("probe.\u00e9t\u00e9", 1, 1_700_000_040L, 1.5,
        Layouts.toAvro(layout), null);
    byte[] framed = serializer.serialize(topic, probe);
    byte[] body = avroBinary(probe);
    if (framed == null || framed.length < body.length
        || !Arrays.equals(framed, framed.length - body.length, framed.length, body, 0, body.length)) {
      return null;
    }
    ArchivePointEncoder encoder =
        new ArchivePointEncoder(Arrays.copyOf(framed, framed.length - body.length));
    ArchivePoint other = new ArchivePoint("a", 0, 0L, -0.0, Layouts.toAvro(
        new SeriesLayout(List.of(new ArchiveSpec(1, 1)), AggregationMethod.SUM, 0f)), null);
    ArchivePoint raw = new ArchivePoint("r", RAW_ARCHIVE, 1_700_000_047L, 2.25, Layouts.toAvro(layout),
        1_700_000_100L);
    for (ArchivePoint p : List.of(probe, other, raw)) {
      byte[] metric = p.getMetric().getBytes(StandardCharsets.UTF_8);
      byte[] layoutBytes = encoder.layoutBytes(Layouts.fromAvro(p.getLayout()));
      byte[] mine = p.getNow() == null
          ? encoder.encode(metric, layoutBytes, p.getArchive(), p.getTimestamp(), p.getValue())
          : encoder.encodeRaw(metric, layoutBytes, p.getTimestamp(), p.getValue(), p.getNow());
      if (!Arrays.equals(mine, serializer.serialize(topic, p))) {
        return null;
      }
    }
    return encoder;
  }

  /** The Avro binary of a layout, shared by every series with an equal layout; do not modify it. */
  byte[] layoutBytes(SeriesLayout layout) {
    return layouts.computeIfAbsent(layout, l -> layoutBinary(Layouts.toAvro(l)));
  }

  /**
   * The value the topic's serializer writes for this archive point.
   *
   * @param metricUtf8 the series name in UTF-8
   * @param layoutBytes {@link #layoutBytes} of the series' layout
   */
  byte[] encode(byte[] metricUtf8, byte[] layoutBytes, int archive, long timestamp, double value) {
    return encode(metricUtf8, layoutBytes, archive, timestamp, value, false, 0);
  }

  /**
   * The value the topic's serializer writes for a raw point, which the sink applies with whisper's own
   * {@code update_many([(timestamp, value)], now)}.
   */
  byte[] encodeRaw(byte[] metricUtf8, byte[] layoutBytes, long timestamp, double value, long now) {
    return encode(metricUtf8, layoutBytes, RAW_ARCHIVE, timestamp, value, true, now);
  }

  private byte[] encode(byte[] metricUtf8, byte[] layoutBytes, int archive, long timestamp,
      double value, boolean raw, long now) {
    int size = framing.length + varLongSize(metricUtf8.length) + metricUtf8.length
        + varLongSize(archive) + varLongSize(timestamp) + 8 + layoutBytes.length
        + (raw ? 1 + varLongSize(now) : 1);
    byte[] out = new byte[size];
    int pos = framing.length;
    System.arraycopy(framing, 0, out, 0, pos);
    pos = writeVarLong(out, pos, metricUtf8.length);
    System.arraycopy(metricUtf8, 0, out, pos, metricUtf8.length);
    pos += metricUtf8.length;
    pos = writeVarLong(out, pos, archive);
    pos = writeVarLong(out, pos, timestamp);
    long bits = Double.doubleToRawLongBits(value);
    for (int i = 0; i < 8; i++) {
      out[pos++] = (byte) (bits >>> (8 * i));
    }
    System.arraycopy(layoutBytes, 0, out, pos, layoutBytes.length);
    pos += layoutBytes.length;
    if (raw) {
      out[pos++] = 2; // union branch 1, zig-zag
      writeVarLong(out, pos, now);
    } else {
      out[pos] = 0; // union branch 0: null
    }
    return out;
  }

  private static int varLongSize(long v) {
    long n = (v << 1) ^ (v >> 63);
    int size = 1;
    while ((n & ~0x7FL) != 0) {
      size++;
      n >>>= 7;
    }
    return size;
  }

  /** Avro's zig-zag varint, for int and long alike. */
  private static int writeVarLong(byte[] out, int pos, long v) {
    long n = (v << 1) ^ (v >> 63);
    while ((n & ~0x7FL) != 0) {
      out[pos++] = (byte) ((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out[pos++] = (byte) n;
    return pos;
  }

  private static byte[] avroBinary(ArchivePoint point) {
    return write(new SpecificDatumWriter<>(ArchivePoint.class), point);
  }

  private static byte[] layoutBinary(ArchiveLayout layout) {
    return write(new SpecificDatumWriter<>(ArchiveLayout.class), layout);
  }

  private static <T> byte[] write(SpecificDatumWriter<T> writer, T datum) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      writer.write(datum, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}

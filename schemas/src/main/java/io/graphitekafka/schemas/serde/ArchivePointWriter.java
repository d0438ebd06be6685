package io.graphitekafka.schemas.serde;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes {@link ArchivePoint} values byte for byte as an archives topic's serializer does, on a
 * producer's hot path: the framing (for single-object encoding, 0xC3 0x01 and the schema
 * fingerprint; for Confluent's, magic byte 0 and the schema id) is learnt once, the Avro binary of
 * each layout is computed once, and the name's UTF-8 once per run of values of the same series, so
 * a value costs its four scalar fields and two array copies. The point may be one reused object,
 * set anew for each value; a layout object is recognized by identity, so it must not be changed
 * once written. Thread-safe, as a sink's serializer must be.
 *
 * <p>Avro binary of a record is its fields' encodings one after the other: {@code metric} (zig-zag
 * varint length, UTF-8), {@code archive} (zig-zag varint), {@code timestamp} (zig-zag varint),
 * {@code value} (8 bytes little-endian), {@code layout} and {@code now} (a union: the branch index
 * as a zig-zag varint, 0 for null, 1 followed by the long). The framing is whatever the serializer
 * writes before that body: it is learnt from the serializer and checked on probe records with the
 * first value; if the serializer's output is not a fixed prefix plus the body, or for another
 * topic, or for a record the serializer would refuse (a null name or layout), every value goes to
 * the serializer.
 */
public final class ArchivePointWriter implements Serializer<ArchivePoint> {

  /** The {@code archive} field of a raw point. */
  public static final int RAW_ARCHIVE = -1;

  /** Distinct layouts remembered; more are forgotten and computed again. */
  private static final int MAX_LAYOUTS = 1024;

  private final Serializer<ArchivePoint> serializer;
  private final String topic;

  /**
   * Null until learnt on the first value; empty if the serializer's output cannot be reproduced.
   */
  private volatile Optional<byte[]> framing;

  private final Map<ArchiveLayout, byte[]> layouts = new ConcurrentHashMap<>();

  /**
   * The last name and layout written by each thread: a sink is shared by the tasks of every thread.
   */
  private final ThreadLocal<Last> last = ThreadLocal.withInitial(Last::new);

  /** The last name and layout one thread wrote, by identity, with their bytes. */
  private static final class Last {
    String metric;
    byte[] metricUtf8;
    ArchiveLayout layout;
    byte[] layoutBytes;
  }

  private ArchivePointWriter(Serializer<ArchivePoint> serializer, String topic) {
    this.serializer = serializer;
    this.topic = topic;
  }

  /**
   * A writer equivalent to {@code serializer} for {@code topic}, such as an archives topic's value
   * serializer. It learns the framing from the serializer with its first value, so a Confluent
   * serializer registers the schema then, as it would for its own first value.
   */
  public static ArchivePointWriter of(Serializer<ArchivePoint> serializer, String topic) {
    return new ArchivePointWriter(serializer, topic);
  }

  /** Whether values are written here; if not, every value goes to the serializer. */
  public boolean writesDirectly() {
    return framing() != null;
  }

  private byte[] framing() {
    Optional<byte[]> known = framing;
    if (known == null) {
      synchronized (this) {
        known = framing;
        if (known == null) {
          known = Optional.ofNullable(learnFraming(serializer, topic));
          framing = known;
        }
      }
    }
    return known.orElse(null);
  }

  @Override
  public byte[] serialize(String topic, ArchivePoint point) {
    if (point == null) {
      return null;
    }
    byte[] framing = framing();
    if (framing == null || !this.topic.equals(topic) || point.getMetric() == null) {
      return serializer.serialize(topic, point);
    }
    Last mine = last.get();
    byte[] layout = layoutBytes(point.getLayout(), mine);
    if (layout == null) {
      return serializer.serialize(topic, point);
    }
    String metric = point.getMetric();
    if (metric != mine.metric) {
      mine.metricUtf8 = metric.getBytes(StandardCharsets.UTF_8);
      mine.metric = metric;
    }
    return write(
        framing,
        mine.metricUtf8,
        layout,
        point.getArchive(),
        point.getTimestamp(),
        point.getValue(),
        point.getNow());
  }

  /** The Avro binary of a layout, or null if the serializer would refuse it. */
  private byte[] layoutBytes(ArchiveLayout layout, Last mine) {
    if (layout == null) {
      return null;
    }
    if (layout == mine.layout) {
      return mine.layoutBytes;
    }
    // A NaN xFilesFactor is not equal to itself (and NaNs differ in their bytes): encoded each
    // time.
    boolean keep = !Float.isNaN(layout.getXFilesFactor());
    byte[] bytes = keep ? layouts.get(layout) : null;
    if (bytes == null) {
      try {
        bytes = avroBinary(new SpecificDatumWriter<>(ArchiveLayout.class), layout);
      } catch (RuntimeException e) {
        return null; // a null field: the serializer says so
      }
      if (!keep) {
        return bytes;
      }
      if (layouts.size() >= MAX_LAYOUTS) {
        layouts.clear();
      }
      // A copy as the key: the caller may reuse and change its layout object.
      layouts.put(ArchiveLayout.newBuilder(layout).build(), bytes);
    }
    mine.layout = layout;
    mine.layoutBytes = bytes;
    return bytes;
  }

  private static byte[] write(
      byte[] framing,
      byte[] metricUtf8,
      byte[] layout,
      int archive,
      long timestamp,
      double value,
      Long now) {
    int size =
        framing.length
            + varLongSize(metricUtf8.length)
            + metricUtf8.length
            + varLongSize(archive)
            + varLongSize(timestamp)
            + 8
            + layout.length
            + (now == null ? 1 : 1 + varLongSize(now));
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
    System.arraycopy(layout, 0, out, pos, layout.length);
    pos += layout.length;
    if (now == null) {
      out[pos] = 0; // union branch 0: null
    } else {
      out[pos++] = 2; // union branch 1, zig-zag
      writeVarLong(out, pos, now);
    }
    return out;
  }

  /**
   * The prefix {@code serializer} writes before the Avro binary of a record, or null if its output
   * is not such a fixed prefix plus the body on every probe record.
   */
  private static byte[] learnFraming(Serializer<ArchivePoint> serializer, String topic) {
    SeriesLayout layout =
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440)),
            AggregationMethod.AVERAGE,
            0.5f);
    ArchivePoint probe =
        new ArchivePoint(
            "probe.\u00e9t\u00e9", 1, 1_700_000_040L, 1.5, Layouts.toAvro(layout), null);
    byte[] framed = serializer.serialize(topic, probe);
    byte[] body = avroBinary(new SpecificDatumWriter<>(ArchivePoint.class), probe);
    if (framed == null
        || framed.length < body.length
        || !Arrays.equals(
            framed, framed.length - body.length, framed.length, body, 0, body.length)) {
      return null;
    }
    byte[] framing = Arrays.copyOf(framed, framed.length - body.length);
    ArchivePoint other =
        new ArchivePoint(
            "a",
            0,
            0L,
            -0.0,
            Layouts.toAvro(
                new SeriesLayout(List.of(new ArchiveSpec(1, 1)), AggregationMethod.SUM, 0f)),
            null);
    ArchivePoint raw =
        new ArchivePoint(
            "r", RAW_ARCHIVE, 1_700_000_047L, 2.25, Layouts.toAvro(layout), 1_700_000_100L);
    for (ArchivePoint p : List.of(probe, other, raw)) {
      byte[] mine =
          write(
              framing,
              p.getMetric().getBytes(StandardCharsets.UTF_8),
              avroBinary(new SpecificDatumWriter<>(ArchiveLayout.class), p.getLayout()),
              p.getArchive(),
              p.getTimestamp(),
              p.getValue(),
              p.getNow());
      if (!Arrays.equals(mine, serializer.serialize(topic, p))) {
        return null;
      }
    }
    return framing;
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

  private static <T> byte[] avroBinary(SpecificDatumWriter<T> writer, T datum) {
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

package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.SERDE;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.whisper.WhisperHeader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.avro.message.MissingSchemaException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The in-place decoder against the straightforward one it replaced (Avro's single-object decoder,
 * then validation): the same point or the same reject reason for valid records, each kind of
 * invalid field, and corrupted bytes (truncated, bytes flipped, bytes appended). One decoder
 * instance sees every case, so its caches are exercised across records too.
 */
class RecordDecoderDifferentialTest {

  private static final Path ROOT = Path.of("/data/whisper");
  private static final List<String> NAMES =
      List.of(
          "servers.web01.cpu",
          "a.b",
          "cpu;host=a;dc=x",
          "a..b",
          "a/b",
          "../x",
          ".hidden",
          "x.",
          "",
          "é.ü",
          "a.\0.b",
          "carbon.agents.h-a.committedPoints");
  private static final List<ArchiveLayout> LAYOUTS =
      List.of(
          layout("average", 0.5f, 10, 360, 60, 120),
          layout("max", 0.1f, 60, 1440, 300, 2016, 3600, 8760),
          layout("sum", 0f, 1, 60),
          layout("median", 0.5f, 10, 360),
          layout("average", 1.5f, 10, 360),
          layout("average", Float.NaN, 10, 360),
          layout("average", 0.5f, 60, 120, 10, 360),
          layout("average", 0.5f, 10, 360, 15, 360),
          layout("average", 0.5f),
          layout("last", 0.5f, 0, 10));

  private final RecordDecoder decoder = new RecordDecoder(ROOT, true);

  private static ArchiveLayout layout(String method, float xff, int... archives) {
    ArchiveRetention[] r = new ArchiveRetention[archives.length / 2];
    for (int i = 0; i < r.length; i++) {
      r[i] = new ArchiveRetention(archives[2 * i], archives[2 * i + 1]);
    }
    return new ArchiveLayout(List.of(r), method, xff);
  }

  @Property(tries = 3000)
  void decodesLikeTheAvroDecoderThenValidation(@ForAll long seed) {
    Random random = new Random(seed);
    long[] timestamps = {
      1_800_000_059L,
      0,
      0xFFFF_FFFFL,
      1L << 32,
      -1,
      Long.MIN_VALUE,
      random.nextLong(),
      random.nextInt() & 0xFFFF_FFFFL
    };
    ArchivePoint point =
        new ArchivePoint(
            NAMES.get(random.nextInt(NAMES.size())),
            random.nextInt(6) - 1,
            timestamps[random.nextInt(timestamps.length)],
            random.nextBoolean() ? random.nextDouble() : Double.longBitsToDouble(random.nextLong()),
            LAYOUTS.get(random.nextInt(LAYOUTS.size())),
            random.nextInt(3) == 0 ? timestamps[random.nextInt(timestamps.length)] : null);
    byte[] value = SERDE.encode(point);
    switch (random.nextInt(5)) {
      case 0 -> value = Arrays.copyOf(value, random.nextInt(value.length + 1));
      case 1 -> value[random.nextInt(value.length)] = (byte) random.nextInt(256);
      case 2 -> {
        int at = 10 + random.nextInt(value.length - 10);
        value[at] = (byte) (value[at] ^ (1 << random.nextInt(8)));
      }
      case 3 -> {
        value = Arrays.copyOf(value, value.length + 1 + random.nextInt(8));
        value[value.length - 1] = (byte) random.nextInt(256);
      }
      default -> {}
    }
    byte[] input = value;
    Object expected = outcome(() -> reference(bytes(input)));
    assertThat(outcome(() -> decoder.decode(bytes(input))))
        .as(Arrays.toString(input))
        .isEqualTo(expected);
    // the same value as the consumer hands it over: a slice of a larger fetched buffer
    assertThat(outcome(() -> decoder.decode(slice(input, random))))
        .as(Arrays.toString(input))
        .isEqualTo(expected);
  }

  /** The value inside a buffer with other bytes before and after it, positioned on the value. */
  private static ByteBuffer slice(byte[] v, Random random) {
    byte[] around = new byte[v.length + 16];
    random.nextBytes(around);
    int at = random.nextInt(9);
    System.arraycopy(v, 0, around, at, v.length);
    return random.nextBoolean()
        ? ByteBuffer.wrap(around, at, v.length)
        : ByteBuffer.wrap(around, at, v.length).slice();
  }

  private static byte[] bytes(byte[] v) {
    return v.clone();
  }

  interface Decode {
    DecodedPoint run() throws BadRecordException;
  }

  private static Object outcome(Decode d) {
    try {
      DecodedPoint p = d.run();
      // NaN-safe comparison of the value
      return List.of(
          p.metric(),
          p.path(),
          p.layout(),
          p.secondsPerPoint(),
          p.interval(),
          Double.doubleToRawLongBits(p.value()));
    } catch (BadRecordException e) {
      return e.reason();
    }
  }

  /** The decoder as it was: AvroSerde, then the same checks in the same order. */
  private static DecodedPoint reference(byte[] value) throws BadRecordException {
    ArchivePoint point;
    try {
      point = SERDE.decode(value);
    } catch (SerializationException e) {
      boolean unknown = e.getCause() instanceof MissingSchemaException;
      throw new BadRecordException(unknown ? "unknown_schema" : "undecodable", e.getMessage());
    }
    SeriesLayout layout;
    try {
      layout = Layouts.fromAvro(point.getLayout());
      List<ArchiveSpec> archives = layout.archives();
      for (int i = 1; i < archives.size(); i++) {
        if (archives.get(i).secondsPerPoint() <= archives.get(i - 1).secondsPerPoint()) {
          throw new BadRecordException("invalid_layout", "order");
        }
      }
      WhisperHeader.forLayout(layout);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new BadRecordException("invalid_layout", e.toString());
    }
    int archive = point.getArchive();
    if (point.getNow() != null) {
      long timestamp = point.getTimestamp();
      long now = point.getNow();
      if (archive != -1) {
        throw new BadRecordException("bad_archive_index", "raw");
      }
      if (timestamp < 0 || timestamp > 0xFFFF_FFFFL || now < 0 || now > 0xFFFF_FFFFL) {
        throw new BadRecordException("bad_timestamp", "raw");
      }
      Path path;
      try {
        path = SeriesPaths.resolve(ROOT, point.getMetric(), true);
      } catch (InvalidSeriesNameException e) {
        throw new BadRecordException("invalid_name", e.getMessage());
      }
      return new DecodedPoint(point.getMetric(), path, layout, 0, timestamp, point.getValue(), now);
    }
    if (archive < 0 || archive >= layout.archives().size()) {
      throw new BadRecordException("bad_archive_index", "index");
    }
    int step = layout.archives().get(archive).secondsPerPoint();
    long timestamp = point.getTimestamp();
    if (timestamp < 0 || timestamp > 0xFFFF_FFFFL) {
      throw new BadRecordException("bad_timestamp", "timestamp");
    }
    Path path;
    try {
      path = SeriesPaths.resolve(ROOT, point.getMetric(), true);
    } catch (InvalidSeriesNameException e) {
      throw new BadRecordException("invalid_name", e.getMessage());
    }
    return new DecodedPoint(
        point.getMetric(),
        path,
        layout,
        step,
        timestamp - Math.floorMod(timestamp, step),
        point.getValue(),
        DecodedPoint.NOT_RAW);
  }
}

package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;

/**
 * {@link ArchivePointReader} against the serde it reads for, {@link AvroSerde#decode}, in both wire
 * formats: random valid points (and, in single-object encoding, points in the schema's first
 * version), then the same bytes truncated, with a byte replaced or a bit flipped, or with bytes
 * appended. Both must accept or refuse alike, refuse for the same kind of reason, and accept with
 * the same field values. One reader per format sees every case, so its reuse across values is
 * exercised too.
 */
class ArchivePointReaderDifferentialTest {

  private static final String TOPIC = "carbon.archives";
  private static final List<String> METHODS =
      List.of("average", "sum", "last", "max", "min", "avg_zero", "absmax", "absmin", "median", "");
  private static final StubSchemaRegistry REGISTRY = StubSchemaRegistry.start();
  private static final AvroSerde<ArchivePoint> SINGLE = AvroSerde.singleObject(ArchivePoint.class);
  private static final AvroSerde<ArchivePoint> CONFLUENT =
      AvroSerde.confluent(ArchivePoint.class, new SchemaRegistryClient(REGISTRY.url(), null));
  private static final Schema V1 = AvroSerde.earlierVersions(ArchivePoint.class).get(0);

  private final ArchivePointReader singleReader = ArchivePointReader.of(SINGLE);
  private final ArchivePointReader confluentReader = ArchivePointReader.of(CONFLUENT);

  @AfterContainer
  static void stopRegistry() {
    REGISTRY.close();
  }

  @Property(tries = 3000)
  void readsSingleObjectValuesAsTheSerdeDoes(@ForAll long seed) {
    Random random = new Random(seed);
    ArchivePoint point = point(random);
    byte[] value =
        point.getNow() == null && random.nextInt(5) == 0 ? v1(point) : SINGLE.encode(point);
    assertReadsAlike(SINGLE, singleReader, corrupt(value, 10, random), random);
  }

  @Property(tries = 3000)
  void readsConfluentFramedValuesAsTheSerdeDoes(@ForAll long seed) {
    Random random = new Random(seed);
    byte[] value = CONFLUENT.encode(TOPIC, point(random));
    assertReadsAlike(CONFLUENT, confluentReader, corrupt(value, 5, random), random);
    // the single-object reader refuses Confluent framing as its serde does: no registry
    assertReadsAlike(SINGLE, singleReader, value, random);
  }

  private static void assertReadsAlike(
      AvroSerde<ArchivePoint> serde, ArchivePointReader reader, byte[] value, Random random) {
    Object expected =
        outcome(
            () -> {
              ArchivePoint p = serde.decode(value.clone());
              return List.of(
                  p.getMetric(),
                  p.getArchive(),
                  p.getTimestamp(),
                  Double.doubleToRawLongBits(p.getValue()),
                  fields(p.getLayout()),
                  String.valueOf(p.getNow()));
            });
    assertThat(outcome(() -> read(reader, ByteBuffer.wrap(value.clone()))))
        .as(Arrays.toString(value))
        .isEqualTo(expected);
    // as a consumer hands values over: a slice of a larger fetched buffer, or a direct buffer
    assertThat(outcome(() -> read(reader, slice(value, random))))
        .as(Arrays.toString(value))
        .isEqualTo(expected);
  }

  private static List<Object> read(ArchivePointReader reader, ByteBuffer value) {
    int position = value.position();
    reader.read(value);
    assertThat(value.position()).isEqualTo(position);
    String metric =
        new String(
            reader.buffer(),
            reader.metricOffset(),
            reader.metricLength(),
            java.nio.charset.StandardCharsets.UTF_8);
    assertThat(reader.metric()).isEqualTo(metric);
    return List.of(
        metric,
        reader.archive(),
        reader.timestamp(),
        Double.doubleToRawLongBits(reader.value()),
        fields(reader.layout()),
        reader.hasNow() ? String.valueOf(reader.now()) : "null");
  }

  /**
   * A layout's fields, its xFilesFactor by its bits: a record with NaN in it is not equal to
   * itself.
   */
  private static List<Object> fields(ArchiveLayout layout) {
    return List.of(
        layout.getArchives(),
        layout.getAggregationMethod(),
        Float.floatToRawIntBits(layout.getXFilesFactor()));
  }

  /** The accepted fields, or the kind of refusal. */
  private static Object outcome(Supplier<List<Object>> read) {
    try {
      return read.get();
    } catch (RegistryUnavailableException e) {
      throw e;
    } catch (SerializationException e) {
      assertThat(e.getMessage()).isNotBlank();
      return ArchivePointReader.isUnknownSchema(e) ? "refused: unknown schema" : "refused: corrupt";
    }
  }

  private static ArchivePoint point(Random random) {
    long[] times = {
      1_800_000_059L,
      0,
      0xFFFF_FFFFL,
      -1,
      Long.MIN_VALUE,
      Long.MAX_VALUE,
      random.nextLong(),
      random.nextInt() & 0xFFFF_FFFFL
    };
    int[] ints = {
      0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, random.nextInt(), random.nextInt(8)
    };
    List<ArchiveRetention> archives = new ArrayList<>();
    for (int i = random.nextInt(5); i > 0; i--) {
      archives.add(
          new ArchiveRetention(
              ints[random.nextInt(ints.length)], ints[random.nextInt(ints.length)]));
    }
    float[] xffs = {0f, 0.5f, 1f, Float.NaN, -0.1f, random.nextFloat()};
    ArchiveLayout layout =
        new ArchiveLayout(
            archives,
            METHODS.get(random.nextInt(METHODS.size())),
            xffs[random.nextInt(xffs.length)]);
    return new ArchivePoint(
        name(random),
        ints[random.nextInt(ints.length)],
        times[random.nextInt(times.length)],
        random.nextBoolean() ? random.nextDouble() : Double.longBitsToDouble(random.nextLong()),
        layout,
        random.nextInt(3) == 0 ? times[random.nextInt(times.length)] : null);
  }

  private static String name(Random random) {
    StringBuilder name = new StringBuilder();
    for (int i = random.nextInt(40); i > 0; i--) {
      int kind = random.nextInt(10);
      name.appendCodePoint(
          kind < 7
              ? 'a' + random.nextInt(26)
              : kind < 8
                  ? '.'
                  : kind < 9 ? 0xE9 + random.nextInt(20) : 0x1F600 + random.nextInt(40));
    }
    return name.toString();
  }

  /** The point in the first version of the schema, before it had {@code now}. */
  private static byte[] v1(ArchivePoint point) {
    GenericRecord record = new GenericData.Record(V1);
    record.put("metric", point.getMetric());
    record.put("archive", point.getArchive());
    record.put("timestamp", point.getTimestamp());
    record.put("value", point.getValue());
    record.put(
        "layout", GenericData.get().deepCopy(ArchiveLayout.getClassSchema(), point.getLayout()));
    try {
      ByteBuffer encoded =
          new BinaryMessageEncoder<GenericRecord>(GenericData.get(), V1).encode(record);
      return Arrays.copyOfRange(
          encoded.array(),
          encoded.arrayOffset() + encoded.position(),
          encoded.arrayOffset() + encoded.limit());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The value as it is, truncated, with a byte replaced or a bit flipped, or with bytes appended.
   */
  private static byte[] corrupt(byte[] value, int header, Random random) {
    switch (random.nextInt(6)) {
      case 0 -> value = Arrays.copyOf(value, random.nextInt(value.length + 1));
      case 1 -> value[random.nextInt(value.length)] = (byte) random.nextInt(256);
      case 2 -> {
        int at = header + random.nextInt(value.length - header);
        value[at] = (byte) (value[at] ^ (1 << random.nextInt(8)));
      }
      case 3 -> {
        value = Arrays.copyOf(value, value.length + 1 + random.nextInt(8));
        value[value.length - 1] = (byte) random.nextInt(256);
      }
      default -> {}
    }
    return value;
  }

  private static ByteBuffer slice(byte[] v, Random random) {
    if (random.nextInt(4) == 0) {
      ByteBuffer direct = ByteBuffer.allocateDirect(v.length + 8);
      direct.position(3);
      direct.put(v);
      return direct.position(3).limit(3 + v.length);
    }
    byte[] around = new byte[v.length + 16];
    random.nextBytes(around);
    int at = random.nextInt(9);
    System.arraycopy(v, 0, around, at, v.length);
    return random.nextBoolean()
        ? ByteBuffer.wrap(around, at, v.length)
        : ByteBuffer.wrap(around, at, v.length).slice();
  }
}

package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link ArchivePointWriter} against the archives topic's {@link AvroSerde}, in both wire formats:
 * random valid records, written one by one or through one reused object, give the serializer's
 * bytes byte for byte (and so read back as the record); a record the serializer refuses is refused
 * with the same exception; a serializer whose output it cannot reproduce writes every value itself.
 */
class ArchivePointWriterTest {

  private static final String TOPIC = "carbon.archives";
  private static final StubSchemaRegistry REGISTRY = StubSchemaRegistry.start();
  private static final AvroSerde<ArchivePoint> SINGLE = AvroSerde.singleObject(ArchivePoint.class);
  private static final AvroSerde<ArchivePoint> CONFLUENT =
      AvroSerde.confluent(ArchivePoint.class, new SchemaRegistryClient(REGISTRY.url(), null));
  private static final ArchivePointWriter SINGLE_WRITER =
      ArchivePointWriter.of(SINGLE.serializer(), TOPIC);
  private static final ArchivePointWriter CONFLUENT_WRITER =
      ArchivePointWriter.of(CONFLUENT.serializer(), TOPIC);

  @AfterContainer
  static void stopRegistry() {
    REGISTRY.close();
  }

  @Provide
  Arbitrary<ArchivePoint> points() {
    Arbitrary<Long> nows =
        Arbitraries.frequencyOf(
            Tuple.of(1, Arbitraries.just((Long) null)), Tuple.of(1, WireArbitraries.longs()));
    Arbitrary<Integer> archives =
        Arbitraries.frequencyOf(
            Tuple.of(4, Arbitraries.integers().between(-1, 5)),
            Tuple.of(1, Arbitraries.integers()));
    return Combinators.combine(
            WireArbitraries.names(),
            archives,
            WireArbitraries.longs(),
            WireArbitraries.doubles(),
            layouts(),
            nows)
        .as(
            (metric, archive, timestamp, value, layout, now) ->
                new ArchivePoint(metric, archive, timestamp, value, layout, now));
  }

  @Provide
  Arbitrary<ArchiveLayout> layouts() {
    Arbitrary<ArchiveSpec> specs =
        Combinators.combine(
                Arbitraries.integers().between(1, Integer.MAX_VALUE),
                Arbitraries.integers().between(1, 5_000_000))
            .as(ArchiveSpec::new);
    Arbitrary<ArchiveLayout> valid =
        Combinators.combine(
                specs.list().ofMinSize(1).ofMaxSize(70),
                Arbitraries.of(AggregationMethod.values()),
                Arbitraries.frequencyOf(
                    Tuple.of(3, Arbitraries.floats().between(0f, 1f)),
                    Tuple.of(1, Arbitraries.of(0f, -0f, 1f, 0.5f, 1f / 3, Float.MIN_VALUE))))
            .as((archives, method, xff) -> Layouts.toAvro(new SeriesLayout(archives, method, xff)));
    // What the schema allows beyond Graphite's rules: any ints, method names and floats, NaNs
    // included.
    Arbitrary<ArchiveLayout> any =
        Combinators.combine(
                Combinators.combine(Arbitraries.integers(), Arbitraries.integers())
                    .as(ArchiveRetention::new)
                    .list()
                    .ofMaxSize(5),
                Arbitraries.strings().ofMaxLength(10),
                Arbitraries.integers().map(Float::intBitsToFloat))
            .as(ArchiveLayout::new);
    return Arbitraries.frequencyOf(Tuple.of(4, valid), Tuple.of(1, any));
  }

  private static AvroSerde<ArchivePoint> serde(boolean confluent) {
    return confluent ? CONFLUENT : SINGLE;
  }

  private static ArchivePointWriter writer(boolean confluent) {
    return confluent ? CONFLUENT_WRITER : SINGLE_WRITER;
  }

  @Property(tries = 1000)
  void archivePointsAreWrittenAsTheSerializerWritesThem(
      @ForAll("points") ArchivePoint point, @ForAll boolean confluent) {
    byte[] mine = writer(confluent).serialize(TOPIC, point);

    assertThat(writer(confluent).writesDirectly()).isTrue();
    assertThat(mine).isEqualTo(serde(confluent).serializer().serialize(TOPIC, point));
    // It reads back as the record (compared as bytes: a NaN value is not equal to itself).
    assertThat(serde(confluent).serializer().serialize(TOPIC, serde(confluent).decode(mine)))
        .isEqualTo(mine);
  }

  @Provide
  Arbitrary<List<ArchivePoint>> sequences() {
    return points().list().ofMaxSize(30);
  }

  @Property(tries = 200)
  void aReusedPointAndSharedLayoutsAreWrittenAsTheSerializerWritesEachValue(
      @ForAll("sequences") List<ArchivePoint> points, @ForAll boolean confluent) {
    // Each writer remembers the last name and layout by identity: a fresh one per sequence.
    ArchivePointWriter writer = ArchivePointWriter.of(serde(confluent).serializer(), TOPIC);
    ArchivePoint reused = new ArchivePoint();
    List<ArchiveLayout> shared = new ArrayList<>();
    for (ArchivePoint p : points) {
      ArchiveLayout layout =
          shared.stream().filter(l -> l.equals(p.getLayout())).findFirst().orElse(p.getLayout());
      shared.add(layout);
      reused.setMetric(p.getMetric());
      reused.setArchive(p.getArchive());
      reused.setTimestamp(p.getTimestamp());
      reused.setValue(p.getValue());
      reused.setLayout(layout);
      reused.setNow(p.getNow());
      assertThat(writer.serialize(TOPIC, reused))
          .isEqualTo(serde(confluent).serializer().serialize(TOPIC, p));
    }
  }

  @Example
  void aRecordTheSerializerRefusesIsRefusedTheSameWay() {
    ArchiveLayout layout =
        Layouts.toAvro(
            new SeriesLayout(List.of(new ArchiveSpec(10, 6)), AggregationMethod.AVERAGE, 0.5f));
    List<ArchivePoint> invalid =
        List.of(
            new ArchivePoint(null, 0, 1L, 1.0, layout, null),
            new ArchivePoint("m", 0, 1L, 1.0, null, null),
            new ArchivePoint("m", 0, 1L, 1.0, new ArchiveLayout(null, "sum", 0f), null),
            new ArchivePoint("m", 0, 1L, 1.0, new ArchiveLayout(List.of(), null, 0f), null),
            new ArchivePoint(
                "m",
                0,
                1L,
                1.0,
                new ArchiveLayout(Arrays.asList((ArchiveRetention) null), "sum", 0f),
                null));
    for (boolean confluent : List.of(false, true)) {
      for (ArchivePoint p : invalid) {
        Throwable expected =
            catchThrowable(() -> serde(confluent).serializer().serialize(TOPIC, p));
        Throwable actual = catchThrowable(() -> writer(confluent).serialize(TOPIC, p));
        assertThat(expected).isNotNull();
        assertThat(actual).isInstanceOf(expected.getClass()).hasMessage(expected.getMessage());
      }
      assertThat(writer(confluent).serialize(TOPIC, null)).isNull();
    }
  }

  @Example
  void aSerializerWithAnotherFormatWritesEveryValue() {
    Serializer<ArchivePoint> constant = (topic, p) -> new byte[] {1, 2, 3};
    // A framing that depends on the record is not a fixed prefix either.
    Serializer<ArchivePoint> varying =
        (topic, p) -> {
          byte[] out = SINGLE.serializer().serialize(topic, p).clone();
          out[2] = (byte) p.getMetric().length();
          return out;
        };
    ArchivePoint point =
        new ArchivePoint(
            "a.b",
            1,
            60L,
            2.0,
            Layouts.toAvro(
                new SeriesLayout(
                    List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 10)),
                    AggregationMethod.SUM,
                    0f)),
            null);
    for (Serializer<ArchivePoint> other : List.of(constant, varying)) {
      ArchivePointWriter writer = ArchivePointWriter.of(other, TOPIC);
      assertThat(writer.writesDirectly()).isFalse();
      assertThat(writer.serialize(TOPIC, point)).isEqualTo(other.serialize(TOPIC, point));
    }
  }

  @Example
  void anotherTopicIsWrittenByTheSerializer() {
    List<String> topics = new ArrayList<>();
    ArchivePointWriter writer =
        ArchivePointWriter.of(
            (topic, p) -> {
              topics.add(topic);
              return SINGLE.serializer().serialize(topic, p);
            },
            TOPIC);
    ArchivePoint point =
        new ArchivePoint(
            "a",
            0,
            10L,
            1.0,
            Layouts.toAvro(
                new SeriesLayout(List.of(new ArchiveSpec(10, 6)), AggregationMethod.LAST, 0f)),
            null);
    writer.serialize(TOPIC, point);
    topics.clear();

    writer.serialize(TOPIC, point);
    assertThat(topics).isEmpty();
    writer.serialize("elsewhere", point);
    assertThat(topics).containsExactly("elsewhere");
  }
}

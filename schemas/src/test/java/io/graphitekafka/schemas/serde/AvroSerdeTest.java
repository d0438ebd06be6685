package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final AvroSerde<MetricPoint> points = AvroSerde.singleObject(MetricPoint.class);

  @Test
  void writesSingleObjectEncodingWithSchemaFingerprint() {
    byte[] bytes = points.encode(new MetricPoint("servers.web01.cpu", 1700000000L, 42.5));

    assertThat(bytes[0]).isEqualTo((byte) 0xC3);
    assertThat(bytes[1]).isEqualTo((byte) 0x01);
    long fingerprint =
        org.apache.avro.SchemaNormalization.parsingFingerprint64(MetricPoint.getClassSchema());
    long onWire = 0;
    for (int i = 0; i < 8; i++) {
      onWire |= (bytes[2 + i] & 0xFFL) << (8 * i); // little-endian per the Avro specification
    }
    assertThat(onWire).isEqualTo(fingerprint);
  }

  @Test
  void roundTripsMetricPoint() {
    MetricPoint point = new MetricPoint("a.b;env=prod", -1L, Double.NEGATIVE_INFINITY);
    assertThat(points.decode(points.encode(point))).isEqualTo(point);
  }

  @Test
  void roundTripsArchivePointWithItsLayout() {
    AvroSerde<ArchivePoint> serde = AvroSerde.singleObject(ArchivePoint.class);
    SeriesLayout layout =
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 2160), new ArchiveSpec(60, 10080)),
            AggregationMethod.MAX,
            0.1f);
    ArchivePoint point = new ArchivePoint("x.y", 1, 1700000040L, 3.0, Layouts.toAvro(layout), null);

    ArchivePoint back = serde.decode(serde.encode(point));

    assertThat(back).isEqualTo(point);
    assertThat(Layouts.fromAvro(back.getLayout())).isEqualTo(layout);
  }

  @Test
  void rejectsEmptyTruncatedAndForeignBytesWithClearErrors() {
    byte[] good = points.encode(new MetricPoint("m", 1L, 1.0));

    assertThatThrownBy(() -> points.decode(new byte[0]))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> points.decode(Arrays.copyOf(good, good.length - 3)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt");
    assertThatThrownBy(() -> points.decode("m 1 2".getBytes()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("single-object");
    assertThatThrownBy(() -> points.decode(new byte[] {0, 0, 0, 0, 1, 2}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("Schema Registry");
    byte[] otherFingerprint = good.clone();
    otherFingerprint[5] ^= 0x55;
    assertThatThrownBy(() -> points.decode(otherFingerprint))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("fingerprint");
  }

  @Test
  void rejectsLayoutWithUnknownMethod() {
    SeriesLayout layout =
        new SeriesLayout(List.of(new ArchiveSpec(60, 1440)), AggregationMethod.AVERAGE, 0.5f);
    var avro = Layouts.toAvro(layout);
    avro.setAggregationMethod("median");
    assertThatThrownBy(() -> Layouts.fromAvro(avro))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("median");
  }

  @Test
  void aRecordDeclaringABillionArchivesIsAnErrorNotAnExhaustedHeap() {
    AvroSerde<ArchivePoint> serde = AvroSerde.singleObject(ArchivePoint.class);
    byte[] one = serde.encode(point(1));
    byte[] two = serde.encode(point(2));
    int at = 0;
    while (one[at] == two[at]) {
      at++; // the archives array's item count, 1 (zigzag 0x02) against 2 (0x04)
    }
    assertThat(one[at]).isEqualTo((byte) 0x02);
    // the same record with a count of 1,000,000,000: zigzag 2,000,000,000 as a varint
    byte[] count = {(byte) 0x80, (byte) 0xA8, (byte) 0xD6, (byte) 0xB9, 0x07};
    byte[] damaged = new byte[one.length - 1 + count.length];
    System.arraycopy(one, 0, damaged, 0, at);
    System.arraycopy(count, 0, damaged, at, count.length);
    System.arraycopy(one, at + 1, damaged, at + count.length, one.length - at - 1);

    assertThatThrownBy(() -> serde.decode(damaged))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt ArchivePoint value");
  }

  private static ArchivePoint point(int archives) {
    List<io.graphitekafka.schemas.avro.ArchiveRetention> retentions =
        java.util.Collections.nCopies(
            archives, new io.graphitekafka.schemas.avro.ArchiveRetention(60, 1440));
    return new ArchivePoint(
        "a.b",
        60,
        1_800_000_000L,
        1.5,
        new io.graphitekafka.schemas.avro.ArchiveLayout(retentions, "average", 0.5f),
        null);
  }
}

package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.serde.StubSchemaRegistry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The topology with {@code schema.registry.url} set: points in either wire format (and in an older
 * or newer registered schema) are read, archive points and rejects are written in Confluent's
 * format under {@code <topic>-value}, and an unreachable registry fails the task instead of
 * rejecting data.
 */
class SchemaRegistryTopologyTest {

  private static final long T0 = 1699999800L;
  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5)), AggregationMethod.SUM, 0f);

  @RegisterExtension final StubSchemaRegistry registry = StubSchemaRegistry.start();
  private RollupDriver driver;

  @BeforeEach
  void start() throws Exception {
    driver =
        new RollupDriver(
            name -> LAYOUT,
            600,
            T0 + 55,
            client(),
            // new series rolled up here, so each point shows as slots
            Map.of(AggregatorConfig.NEW_SERIES_FILES_EMPTY, true));
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private SchemaRegistryClient client() {
    return new SchemaRegistryClient(registry.url(), null);
  }

  private List<String> emitted() {
    List<String> out = new ArrayList<>();
    for (ArchivePoint p : driver.archivePoints()) {
      out.add(
          p.getMetric()
              + " "
              + p.getArchive()
              + "@"
              + (p.getTimestamp() - T0)
              + "="
              + p.getValue());
    }
    return out;
  }

  @Test
  void readsConfluentFramedPointsAndWritesConfluentFramedArchivePoints() {
    driver.send("m", T0, 1); // the driver's serde writes Confluent framing with the registry
    driver.send("m", T0 + 10, 2);
    driver.emit();

    List<byte[]> raw = driver.rawArchiveValues();
    assertThat(raw).hasSize(3);
    int archivesId = registry.versions("carbon.archives-value").get(0);
    for (byte[] value : raw) {
      assertThat(value[0]).isZero();
      assertThat(ByteBuffer.wrap(value, 1, 4).getInt()).isEqualTo(archivesId);
    }
    assertThat(registry.versions("carbon.points-value")).hasSize(1);
    // The same values, decoded through the registry, are the rollup of both points.
    List<String> decoded = new ArrayList<>();
    AvroSerde<ArchivePoint> reader = AvroSerde.confluent(ArchivePoint.class, client());
    for (byte[] value : raw) {
      ArchivePoint p = reader.decode(value);
      decoded.add(p.getArchive() + "@" + (p.getTimestamp() - T0) + "=" + p.getValue());
    }
    assertThat(decoded).containsExactly("0@0=1.0", "0@10=2.0", "1@0=3.0");
  }

  @Test
  void stillReadsSingleObjectPointsWhenARegistryIsConfigured() {
    driver.sendRaw(
        "m", AvroSerde.singleObject(MetricPoint.class).encode(new MetricPoint("m", T0, 4.0)));
    driver.send("m", T0 + 10, 5);
    driver.emit();

    assertThat(emitted()).containsExactly("m 0@0=4.0", "m 0@10=5.0", "m 1@0=9.0");
  }

  @Test
  void readsPointsWrittenWithAnotherRegisteredVersionOfTheSchema() throws Exception {
    // A producer's newer MetricPoint with an extra field: resolved against ours, the field is
    // skipped.
    Schema newer =
        SchemaBuilder.record("MetricPoint")
            .namespace("io.graphitekafka.schemas.avro")
            .fields()
            .requiredString("metric")
            .requiredLong("timestamp")
            .requiredDouble("value")
            .name("host")
            .type()
            .stringType()
            .stringDefault("")
            .endRecord();
    int id = registry.preload("carbon.points-value", newer);
    GenericRecord record = new GenericData.Record(newer);
    record.put("metric", "evolved.series");
    record.put("timestamp", T0 + 20);
    record.put("value", 7.5);
    record.put("host", "web01");
    var out = new java.io.ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(newer).write(record, encoder);
    encoder.flush();

    driver.sendRaw("evolved.series", out.toByteArray());
    driver.emit();

    assertThat(emitted()).containsExactly("evolved.series 0@20=7.5", "evolved.series 1@0=7.5");
  }

  @Test
  void anUnknownSchemaIdIsRejectedInConfluentFormatAndTheNextPointStillArrives() {
    byte[] unknown = {0, 0, 0, 0x7f, 0x01, 2, 'x', 2, 0, 0, 0, 0, 0, 0, 0, 0};
    driver.sendRaw("x", unknown);
    driver.send("m", T0, 1);
    driver.emit();

    var rejects = driver.rejects();
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).getReason()).isEqualTo("unknown_schema");
    assertThat(rejects.get(0).getDetail()).contains("unknown schema id 32513");
    assertThat(registry.versions("carbon.rejects-value")).hasSize(1);
    assertThat(emitted()).containsExactly("m 0@0=1.0", "m 1@0=1.0");
  }

  @Test
  void anUnreachableRegistryFailsTheTaskInsteadOfRejectingThePoint() {
    byte[] valid =
        AvroSerde.confluent(MetricPoint.class, client())
            .encode("carbon.points", new MetricPoint("m", T0, 1.0));
    // A fresh topology has not looked up the id yet; the registry goes away before it does.
    driver.close();
    driver =
        new RollupDriver(
            name -> LAYOUT,
            600,
            T0 + 55,
            client(),
            // new series rolled up here, so each point shows as slots
            Map.of(AggregatorConfig.NEW_SERIES_FILES_EMPTY, true));
    registry.down(true);

    Throwable failure = catchThrowable(() -> driver.sendRaw("m", valid));

    assertThat(RegistryUnavailableException.isCause(failure)).as("%s", failure).isTrue();
    assertThat(driver.counter(RollupMetrics.RECEIVED)).isZero();
    registry.down(false);
  }
}

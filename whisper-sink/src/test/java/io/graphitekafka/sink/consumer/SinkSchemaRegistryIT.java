package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.SERDE;
import static io.graphitekafka.sink.consumer.SinkTestSupport.await;
import static io.graphitekafka.sink.consumer.SinkTestSupport.awaitCommitted;
import static io.graphitekafka.sink.consumer.SinkTestSupport.point;
import static io.graphitekafka.sink.consumer.SinkTestSupport.producer;
import static io.graphitekafka.sink.consumer.SinkTestSupport.props;
import static io.graphitekafka.sink.consumer.SinkTestSupport.rejectReasons;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.serde.StubSchemaRegistry;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.consumer.SinkTestSupport.Names;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.whisper.WhisperFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink with {@code schema.registry.url} against a real broker and a stub of the registry's REST
 * API: Confluent-framed and single-object archive points both reach the files, an unknown schema id
 * is rejected (in Confluent format) with the points around it kept, and while the registry is down
 * nothing is rejected or committed: the batch is retried until it answers.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class SinkSchemaRegistryIT {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120)), AggregationMethod.SUM, 0f);
  private static final long NOW = System.currentTimeMillis() / 1000;
  private static final long T0 = NOW - Math.floorMod(NOW, 600) - 600;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dataDir;
  @RegisterExtension final StubSchemaRegistry registry = StubSchemaRegistry.start();

  private SchemaRegistryClient client() {
    return new SchemaRegistryClient(registry.url(), null);
  }

  private Map<String, Object> sinkProps(
      EmbeddedKafkaBroker kafka, Names names, Path dir, String group) {
    Map<String, Object> props = props(kafka, names, dir, group);
    props.put(RegistrySettings.URL, registry.url());
    return props;
  }

  /** 30 ten-second points for each of three series, every other one single-object encoded. */
  private static List<ArchivePoint> points() {
    List<ArchivePoint> out = new ArrayList<>();
    for (String metric : List.of("reg.a", "reg.b", "reg.c")) {
      for (int i = 0; i < 30; i++) {
        out.add(point(metric, LAYOUT, 0, T0 + 10L * i, i + 0.5));
      }
    }
    return out;
  }

  private void produceMixed(EmbeddedKafkaBroker kafka, String topic, byte[] inTheMiddle)
      throws Exception {
    AvroSerde<ArchivePoint> confluent = AvroSerde.confluent(ArchivePoint.class, client());
    List<ArchivePoint> points = points();
    try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
      for (int i = 0; i < points.size(); i++) {
        ArchivePoint p = points.get(i);
        byte[] value = i % 2 == 0 ? confluent.encode(topic, p) : SERDE.encode(p);
        producer.send(new ProducerRecord<>(topic, p.getMetric(), value)).get();
        if (i == points.size() / 2 && inTheMiddle != null) {
          producer.send(new ProducerRecord<>(topic, "reg.bad", inTheMiddle)).get();
        }
      }
    }
  }

  private void assertAllWritten(Path dir) throws Exception {
    for (String metric : List.of("reg.a", "reg.b", "reg.c")) {
      try (WhisperFile file =
          WhisperFile.openReadOnly(dir.resolve("whisper/reg/" + metric.substring(4) + ".wsp"))) {
        Double[] values = file.fetch(T0 - 1, T0 + 299, NOW).values();
        for (int i = 0; i < 30; i++) {
          assertThat(values[i]).as("%s at %d", metric, i).isEqualTo(i + 0.5);
        }
      }
    }
  }

  @Test
  void writesBothWireFormatsAndRejectsAnUnknownSchemaIdInConfluentFormat(EmbeddedKafkaBroker kafka)
      throws Exception {
    Names names = Names.create(kafka, 2);
    byte[] unknownId =
        AvroSerde.confluent(ArchivePoint.class, client())
            .encode(names.archives(), point("reg.bad", LAYOUT, 0, T0, 1.0));
    ByteBuffer.wrap(unknownId, 1, 4).putInt(777);
    produceMixed(kafka, names.archives(), unknownId);

    String group = "sink-" + names.suffix();
    try (Sink sink = new Sink(new SinkConfig(sinkProps(kafka, names, dataDir, group)))) {
      sink.start();
      awaitCommitted(kafka, group, names.archives(), 91, WAIT);
      SinkTestSupport.awaitCounted(sink, 90);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(90);
    }
    assertAllWritten(dataDir);
    assertThat(Files.exists(dataDir.resolve("whisper/reg/bad.wsp"))).isFalse();
    assertThat(rejectReasons(kafka, Topics.rejects(names.rejects(), client()), 1))
        .containsExactly("unknown_schema");
    assertThat(registry.versions(names.rejects() + "-value")).hasSize(1);
  }

  @Test
  void whileTheRegistryIsDownNothingIsRejectedOrCommittedAndEverythingArrivesAfter(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 1);
    produceMixed(kafka, names.archives(), null);
    registry.down(true);

    String group = "sink-" + names.suffix();
    try (Sink sink = new Sink(new SinkConfig(sinkProps(kafka, names, dataDir, group)));
        KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      sink.start();
      await("retries of the batch", WAIT, () -> sink.stats().errors.sum() >= 3);
      assertThat(KafkaProbe.sum(probe.committed(group, names.archives()))).isZero();
      assertThat(sink.stats().committedPoints.sum()).isZero();
      assertThat(sink.stats().rejected.sum()).isZero();

      registry.down(false);
      awaitCommitted(kafka, group, names.archives(), 90, WAIT);
      assertThat(sink.stats().rejected.sum()).isZero();
    }
    assertAllWritten(dataDir);
  }
}

package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.storage.AggregationMethod;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.SinkConfig;
import io.graphitekafka.sink.whisper.FetchResult;
import io.graphitekafka.sink.whisper.WhisperFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The sink against a real broker: archive points in, Whisper files and committed offsets out. */
@ExtendWith(EmbeddedKafkaExtension.class)
class SinkLoopIT {

  private static final SeriesLayout LAYOUT = new SeriesLayout(
      List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120), new ArchiveSpec(300, 48)),
      AggregationMethod.AVERAGE, 0.5f);
  private static final long NOW = System.currentTimeMillis() / 1000;
  private static final long T0 = NOW - Math.floorMod(NOW, 300) - 300;

  @TempDir Path dataDir;

  @Test
  void writesEachArchivePointIntoItsSlotAndCommitsOnlyAfterwards(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String archivesTopic = "archives-" + suffix;
    String rejectsTopic = "rejects-" + suffix;
    String group = "sink-" + suffix;
    kafka.createTopics(2, archivesTopic, rejectsTopic);
    Topic<String, ArchivePoint> archives = Topics.archives(archivesTopic);
    ArchiveLayout layout = Layouts.toAvro(LAYOUT);

    try (KafkaProducer<String, ArchivePoint> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        archives.keySerde().serializer(), archives.valueSerde().serializer());
        KafkaProducer<String, byte[]> raw = new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(), new ByteArraySerializer())) {
      for (String metric : List.of("servers.web01.cpu", "servers.web02.cpu")) {
        producer.send(new ProducerRecord<>(archivesTopic, metric,
            new ArchivePoint(metric, 0, T0, 1.0, layout)));
        producer.send(new ProducerRecord<>(archivesTopic, metric,
            new ArchivePoint(metric, 0, T0 + 10, 2.0, layout)));
        producer.send(new ProducerRecord<>(archivesTopic, metric,
            new ArchivePoint(metric, 0, T0 + 10, 5.0, layout))); // later record wins the slot
        producer.send(new ProducerRecord<>(archivesTopic, metric,
            new ArchivePoint(metric, 1, T0, 3.0, layout)));
      }
      raw.send(new ProducerRecord<>(archivesTopic, "junk", "not avro".getBytes(StandardCharsets.UTF_8)));
      producer.send(new ProducerRecord<>(archivesTopic, "a..b",
          new ArchivePoint("a..b", 0, T0, 1.0, layout)));
      producer.send(new ProducerRecord<>(archivesTopic, "servers.web03.cpu",
          new ArchivePoint("servers.web03.cpu", 0, T0, 7.0, layout)));
      // two hours old: past the 10 s archive's one hour, it would overwrite T0 - 3600's ring slot
      producer.send(new ProducerRecord<>(archivesTopic, "servers.web03.cpu",
          new ArchivePoint("servers.web03.cpu", 0, T0 - 7200, 8.0, layout)));
    }

    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, group);
    props.put(SinkConfig.ARCHIVES_TOPIC, archivesTopic);
    props.put(SinkConfig.REJECTS_TOPIC, rejectsTopic);
    Path web01 = dataDir.resolve("whisper/servers/web01/cpu.wsp");
    Path web03 = dataDir.resolve("whisper/servers/web03/cpu.wsp");
    try (Sink sink = new Sink(new SinkConfig(props))) {
      sink.start();
      awaitCommitted(kafka, group, archivesTopic, 11);
      assertThat(sink.metrics().creates.sum()).isEqualTo(3);
      assertThat(sink.metrics().rejected.sum()).isEqualTo(2);
      assertThat(sink.metrics().droppedTooOld.sum()).isEqualTo(1);
      assertThat(sink.metrics().committedPoints.sum()).isEqualTo(9);
    }

    try (WhisperFile file = WhisperFile.openReadOnly(web01)) {
      assertThat(file.layout()).isEqualTo(LAYOUT);
      FetchResult fine = file.fetch(T0 - 1, T0 + 50, NOW);
      assertThat(fine.step()).isEqualTo(10);
      assertThat(fine.values()).containsExactly(1.0, 5.0, null, null, null, null);
      FetchResult minutes = file.fetch(T0 - 100, T0 + 200, NOW, 60);
      assertThat(minutes.values()[(int) ((T0 - minutes.fromInterval()) / 60)]).isEqualTo(3.0);
    }
    try (WhisperFile file = WhisperFile.openReadOnly(web03)) {
      assertThat(file.fetch(T0 - 1, T0 + 5, NOW).values()[0]).isEqualTo(7.0);
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      Set<String> written = files.filter(Files::isRegularFile)
          .map(p -> dataDir.relativize(p).toString()).collect(Collectors.toSet());
      assertThat(written).containsExactlyInAnyOrder("whisper/servers/web01/cpu.wsp",
          "whisper/servers/web02/cpu.wsp", "whisper/servers/web03/cpu.wsp");
    }
    assertThat(rejectReasons(kafka, rejectsTopic, 2))
        .containsExactlyInAnyOrder("undecodable_archive_point", "invalid_name");
  }

  private static void awaitCommitted(EmbeddedKafkaBroker kafka, String group, String topic, long total)
      throws Exception {
    try (Admin admin = Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long committed = 0;
      while (System.nanoTime() < deadline) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        committed = offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic))
            .mapToLong(e -> e.getValue().offset()).sum();
        if (committed >= total) {
          return;
        }
        Thread.sleep(100);
      }
      throw new AssertionError("sink committed " + committed + " of " + total + " records");
    }
  }

  private static List<String> rejectReasons(EmbeddedKafkaBroker kafka, String topic, int expected) {
    Topic<String, Reject> rejects = Topics.rejects(topic);
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, Reject> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        rejects.keySerde().deserializer(), rejects.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value().getReason()));
      }
    }
    return out;
  }
}

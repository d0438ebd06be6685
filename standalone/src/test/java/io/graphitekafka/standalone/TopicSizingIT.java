package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.Retentions;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * Bytes per record on disk for carbon.points and carbon.archives, as docs/OPERATIONS.md uses them
 * to size topic retention: 100,000 records over 10,000 series of the default layout, lz4 batches as
 * the services write them. The bounds guard the documented figures against a record format that
 * grows.
 */
class TopicSizingIT {

  private static final int SERIES = 10_000;
  private static final int RECORDS = 100_000;

  @Test
  void archivePointsAndPointsStayWithinTheDocumentedBytesPerRecord() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      kafka.createTopics(4, "sizing.points", "sizing.archives");
      SeriesLayout layout =
          new SeriesLayout(
              Retentions.parse("10s:6h,1m:7d,10m:5y"), AggregationMethod.AVERAGE, 0.5f);
      ArchiveLayout avroLayout = Layouts.toAvro(layout);
      long t0 = 1_790_000_000L;

      Topic<String, ArchivePoint> archives = Topics.archives("sizing.archives");
      try (KafkaProducer<String, ArchivePoint> p =
          new KafkaProducer<>(
              producerProps(kafka),
              archives.keySerde().serializer(),
              archives.valueSerde().serializer())) {
        for (int i = 0; i < RECORDS; i++) {
          String series = "servers.host" + (i % SERIES / 100) + ".cpu.core" + (i % 100) + ".user";
          p.send(
              new ProducerRecord<>(
                  archives.name(),
                  series,
                  new ArchivePoint(
                      series, i % 3, t0 + 10L * (i / SERIES), i * 0.5, avroLayout, null)));
        }
      }
      Topic<String, MetricPoint> points = Topics.points("sizing.points");
      try (KafkaProducer<String, MetricPoint> p =
          new KafkaProducer<>(
              producerProps(kafka),
              points.keySerde().serializer(),
              points.valueSerde().serializer())) {
        for (int i = 0; i < RECORDS; i++) {
          String series = "servers.host" + (i % SERIES / 100) + ".cpu.core" + (i % 100) + ".user";
          p.send(
              new ProducerRecord<>(
                  points.name(),
                  series,
                  new MetricPoint(series, t0 + 10L * (i / SERIES), i * 0.5)));
        }
      }
      double archiveBytes = (double) topicBytes(kafka, "sizing.archives") / RECORDS;
      double pointBytes = (double) topicBytes(kafka, "sizing.points") / RECORDS;
      System.out.printf(
          "bytes per record on disk: carbon.archives %.1f, carbon.points %.1f%n",
          archiveBytes, pointBytes);
      assertThat(archiveBytes).as("carbon.archives bytes per record").isBetween(5.0, 60.0);
      assertThat(pointBytes).as("carbon.points bytes per record").isBetween(5.0, 40.0);
    }
  }

  private static Map<String, Object> producerProps(EmbeddedKafkaBroker kafka) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        kafka.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG,
        20,
        ProducerConfig.BATCH_SIZE_CONFIG,
        256 * 1024,
        ProducerConfig.COMPRESSION_TYPE_CONFIG,
        "lz4");
  }

  private static long topicBytes(EmbeddedKafkaBroker kafka, String topic) throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      long total = 0;
      for (Map<String, LogDirDescription> dirs :
          admin.describeLogDirs(List.of(1)).allDescriptions().get().values()) {
        for (LogDirDescription d : dirs.values()) {
          total +=
              d.replicaInfos().entrySet().stream()
                  .filter(e -> e.getKey().topic().equals(topic))
                  .mapToLong(e -> e.getValue().size())
                  .sum();
        }
      }
      return total;
    }
  }
}

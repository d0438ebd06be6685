package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaClients;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What the sink's broker tests share: topics, settings, archive points, waiting for commits, file
 * trees.
 */
final class SinkTestSupport {

  static final AvroSerde<ArchivePoint> SERDE = AvroSerde.singleObject(ArchivePoint.class);

  private SinkTestSupport() {}

  /** Unique topic names for one test: archives and rejects. */
  record Names(String archives, String rejects, String suffix) {
    static Names create(EmbeddedKafkaBroker kafka, int partitions) {
      String suffix = UUID.randomUUID().toString().substring(0, 8);
      Names n = new Names("archives-" + suffix, "rejects-" + suffix, suffix);
      kafka.createTopics(partitions, n.archives, n.rejects);
      return n;
    }
  }

  static Map<String, Object> props(
      EmbeddedKafkaBroker kafka, Names names, Path dataDir, String group) {
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, group);
    props.put(SinkConfig.ARCHIVES_TOPIC, names.archives());
    props.put(SinkConfig.REJECTS_TOPIC, names.rejects());
    props.put(SinkConfig.FILL_MODE, "sparse");
    props.put(SinkConfig.METRICS_INTERVAL_SECONDS, "0");
    props.put("kafka." + ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    props.put("kafka." + ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
    return props;
  }

  static ArchivePoint point(
      String metric, SeriesLayout layout, int archive, long timestamp, double value) {
    return new ArchivePoint(metric, archive, timestamp, value, Layouts.toAvro(layout), null);
  }

  static ArchivePoint point(
      String metric, ArchiveLayout layout, int archive, long timestamp, double value) {
    return new ArchivePoint(metric, archive, timestamp, value, layout, null);
  }

  /**
   * A {@link KafkaClients#producer test producer} of encoded archive points keyed by series name.
   */
  static KafkaProducer<String, byte[]> producer(EmbeddedKafkaBroker kafka) {
    return producer(kafka, Map.of());
  }

  /** {@link #producer(EmbeddedKafkaBroker)} with some settings changed, say compression. */
  static KafkaProducer<String, byte[]> producer(
      EmbeddedKafkaBroker kafka, Map<String, Object> changed) {
    return KafkaClients.producer(
        kafka.bootstrapServers(), new StringSerializer(), new ByteArraySerializer(), changed);
  }

  /** Sends the points keyed by series name, in order, and waits until all are acknowledged. */
  static void produce(EmbeddedKafkaBroker kafka, String topic, List<ArchivePoint> points) {
    produce(kafka, topic, points, null);
  }

  static void produce(
      EmbeddedKafkaBroker kafka, String topic, List<ArchivePoint> points, Long timestampMillis) {
    try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
      KafkaRecords.sendAll(
          producer,
          points.stream()
              .map(
                  p ->
                      new ProducerRecord<>(
                          topic, null, timestampMillis, p.getMetric(), SERDE.encode(p)))
              .toList());
    }
  }

  static void awaitCommitted(
      EmbeddedKafkaBroker kafka, String group, String topic, long total, Duration timeout)
      throws Exception {
    try (KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      long deadline = System.nanoTime() + timeout.toNanos();
      long committed = 0;
      while (System.nanoTime() < deadline) {
        committed = KafkaProbe.sum(probe.committed(group, topic));
        if (committed >= total) {
          // everything in the topic, which a rare retry by the test producer may have duplicated
          assertThat(committed)
              .as("committed offsets of " + group)
              .isEqualTo(KafkaProbe.sum(probe.endOffsets(topic, false)));
          return;
        }
        Thread.sleep(100);
      }
      throw new AssertionError(group + " committed " + committed + " of " + total + " records");
    }
  }

  /**
   * Waits until the sink has counted at least {@code points} committed points. A batch's counters
   * are added just after its offsets are committed, so a test that has seen the offsets committed
   * may still be a moment ahead of the counters.
   */
  static void awaitCounted(Sink sink, long points) throws Exception {
    await(
        points + " committed points counted",
        Duration.ofSeconds(30),
        () -> sink.stats().committedPoints.sum() >= points);
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) throws Exception {
    Await.until(what, timeout, condition);
  }

  /**
   * Every regular file below {@code dir}, by relative path, with its bytes, but for the lock files
   * a sink in group mode keeps at the top of its data directory for its group member slot.
   */
  static Map<String, byte[]> tree(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    if (!Files.exists(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        String name = dir.relativize(p).toString();
        if (!(name.startsWith(".sink-") && name.endsWith(".lock"))) {
          out.put(name, Files.readAllBytes(p));
        }
      }
    }
    return out;
  }

  /** Asserts two trees hold the same files with the same bytes. */
  static void assertSameFiles(Path expected, Path actual) throws IOException {
    Map<String, byte[]> a = tree(expected);
    Map<String, byte[]> b = tree(actual);
    assertThat(b.keySet()).as("files under " + actual).isEqualTo(a.keySet());
    for (Map.Entry<String, byte[]> e : a.entrySet()) {
      assertThat(b.get(e.getKey())).as("bytes of " + e.getKey()).isEqualTo(e.getValue());
    }
  }

  static List<String> rejectReasons(EmbeddedKafkaBroker kafka, String topic, int expected) {
    return rejectReasons(kafka, Topics.rejects(topic), expected);
  }

  /** The reasons on a rejects topic read with its serdes (say, through a Schema Registry). */
  static List<String> rejectReasons(
      EmbeddedKafkaBroker kafka, Topic<String, Reject> rejects, int expected) {
    return rejects(kafka, rejects, expected).stream().map(Reject::getReason).toList();
  }

  /** The reject records on a rejects topic: at least {@code expected} unless 30 s pass first. */
  static List<Reject> rejects(
      EmbeddedKafkaBroker kafka, Topic<String, Reject> rejects, int expected) {
    return KafkaRecords.values(
        KafkaRecords.consume(kafka.bootstrapServers(), rejects, expected, Duration.ofSeconds(30)));
  }
}

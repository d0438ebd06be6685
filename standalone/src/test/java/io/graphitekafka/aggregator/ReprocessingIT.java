package io.graphitekafka.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.aggregator.topology.ArchiveDump;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.testing.KafkaRecords;
import io.graphitekafka.whisper.WhisperFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented procedure for reprocessing after a storage-schemas.conf change: stop the
 * aggregator, {@link AggregatorReset}, start it with the new rules. The archives are recomputed
 * from the raw points with the new layout (nothing counted twice: the method is sum), existing
 * files keep their own layout and end as whisper leaves them with that layout, and files rebuilt
 * from the new records get the new layout.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class ReprocessingIT {

  private static final long NOW = System.currentTimeMillis() / 1000;

  /**
   * Old enough that every 5-minute slot is complete, young enough for the finest archive at NOW.
   */
  private static final long T0 = NOW - Math.floorMod(NOW, 300) - 2400;

  private static final int SERIES = 12;
  private static final int POINTS_PER_SERIES = 120;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final SeriesLayout OLD =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440)), AggregationMethod.SUM, 0f);
  private static final SeriesLayout NEW =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 720), new ArchiveSpec(300, 288)), AggregationMethod.SUM, 0f);

  @TempDir Path dir;

  @Test
  void resetAndRestartRecomputesEveryArchiveFromTheRawPointsWithTheNewRules(
      EmbeddedKafkaBroker kafka) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pointsTopic = "points-" + suffix;
    String archivesTopic = "archives-" + suffix;
    String appId = "aggregator-reset-" + suffix;
    kafka.createTopics(3, pointsTopic, archivesTopic, "rejects-" + suffix);
    Path conf = Files.createDirectories(dir.resolve("conf"));
    rules(conf, "10s:1h,1m:1d");
    Map<String, Object> settings = new HashMap<>();
    settings.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    settings.put(AggregatorConfig.APPLICATION_ID, appId);
    settings.put(AggregatorConfig.CONF_DIR, conf.toString());
    settings.put(AggregatorConfig.STATE_DIR, dir.resolve("state").toString());
    settings.put(AggregatorConfig.POINTS_TOPIC, pointsTopic);
    settings.put(AggregatorConfig.ARCHIVES_TOPIC, archivesTopic);
    settings.put(AggregatorConfig.REJECTS_TOPIC, "rejects-" + suffix);
    settings.put(AggregatorConfig.COMMIT_INTERVAL_MS, "300");
    settings.put(AggregatorConfig.EMIT_INTERVAL_MS, "300");
    settings.put(AggregatorConfig.RULES_RELOAD_SECONDS, "0");
    settings.put(AggregatorConfig.METRIC_INTERVAL_SECONDS, "0");
    // a closed Kafka Streams client stays a group member until its session times out
    settings.put("kafka.session.timeout.ms", "6000");
    settings.put("kafka.heartbeat.interval.ms", "1000");
    AggregatorConfig config = new AggregatorConfig(settings);

    Map<String, long[]> timestamps = new LinkedHashMap<>();
    Map<String, double[]> values = new LinkedHashMap<>();
    produce(kafka, pointsTopic, stream(timestamps, values));

    // the aggregator under the old rules, and a storage host writing its output
    runUntilCaughtUp(kafka, config, appId, pointsTopic);
    Map<TopicPartition, Long> endOfFirstRun = endOffsets(kafka, archivesTopic);
    int firstRun = readStable(kafka, archivesTopic).size();
    Path host = dir.resolve("host");
    Map<String, Object> sinkSettings = sinkSettings(kafka, archivesTopic, host, "host-" + suffix);
    try (Sink sink = new Sink(new SinkConfig(sinkSettings))) {
      sink.start();
      await("the host to write the first run", () -> handled(sink) == firstRun);
    }
    for (String metric : timestamps.keySet()) {
      try (WhisperFile file = WhisperFile.openReadOnly(file(host, metric))) {
        assertThat(file.layout()).isEqualTo(OLD);
      }
    }

    // the procedure: new rules, stop (done), reset, start
    assertThat(taskDirectories(dir.resolve("state").resolve(appId))).as("local state").isNotEmpty();
    rules(conf, "10s:2h,5m:1d");
    assertThat(AggregatorReset.run(config, false)).isZero();
    assertThat(committedOffsets(kafka, appId).values())
        .allSatisfy(o -> assertThat(o == null ? 0 : o.offset()).isZero());
    assertThat(taskDirectories(dir.resolve("state").resolve(appId)))
        .as("local state after the reset")
        .isEmpty();
    Instant resetAt = Instant.now();

    runUntilCaughtUp(kafka, config, appId, pointsTopic);
    Map<String, List<ArchivePoint>> second = new HashMap<>();
    int secondRun = 0;
    for (ConsumerRecord<String, ArchivePoint> r : readStable(kafka, archivesTopic)) {
      if (r.offset() >= endOfFirstRun.get(new TopicPartition(r.topic(), r.partition()))) {
        second.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
        secondRun++;
      }
    }
    assertThat(second.keySet()).containsExactlyInAnyOrderElementsOf(timestamps.keySet());
    Map<String, List<Map<Long, Long>>> expected = new HashMap<>();
    for (String metric : timestamps.keySet()) {
      long[] ts = timestamps.get(metric);
      long[] nows = new long[ts.length];
      java.util.Arrays.fill(nows, NOW);
      expected.put(
          metric,
          ArchiveDump.reference(
              dir.resolve(metric + ".ref.wsp"), NEW, ts, values.get(metric), nows));
      // applied() also asserts that every record of the second run carries the new layout
      assertThat(ArchiveDump.applied(dir.resolve(metric + ".wsp"), NEW, second.get(metric)))
          .as(metric)
          .isEqualTo(expected.get(metric));
      assertThat(expected.get(metric).get(1)).as("5-minute slots of " + metric).hasSize(4);
    }

    // The existing host: files keep their layout. The reset aggregator cannot know what the files
    // hold,
    // so it sends points it has not seen the files' slots of as raw points, which the sink applies
    // with each file's own layout: every archive of the old layout is whisper's own result again.
    int secondRunRecords = secondRun;
    try (Sink sink = new Sink(new SinkConfig(sinkSettings))) {
      sink.start();
      await("the host to write the second run", () -> handled(sink) == secondRunRecords);
      assertThat(sink.stats().layoutMismatches.sum()).isEqualTo(SERIES);
      assertThat(sink.stats().droppedNoArchive.sum()).isZero();
    }
    for (String metric : timestamps.keySet()) {
      try (WhisperFile file = WhisperFile.openReadOnly(file(host, metric))) {
        assertThat(file.layout()).isEqualTo(OLD);
      }
      long[] ts = timestamps.get(metric);
      long[] nows = new long[ts.length];
      java.util.Arrays.fill(nows, NOW);
      assertThat(ArchiveDump.read(file(host, metric)))
          .as(metric)
          .isEqualTo(
              ArchiveDump.reference(
                  dir.resolve(metric + ".old.wsp"), OLD, ts, values.get(metric), nows));
    }

    // a host rebuilt from the records written since the reset: new files, new layout, same points
    Path rebuilt = dir.resolve("rebuilt");
    Map<String, Object> rebuild = sinkSettings(kafka, archivesTopic, rebuilt, "rebuilt-" + suffix);
    rebuild.put(SinkConfig.REPLAY_FROM, resetAt.toString());
    try (Sink sink = new Sink(new SinkConfig(rebuild))) {
      sink.start();
      await(
          "the rebuild",
          () -> handled(sink) == secondRunRecords,
          () ->
              handled(sink)
                  + " of "
                  + secondRunRecords
                  + " records handled, "
                  + sink.stats().metrics().counters());
      Thread.sleep(500);
      assertThat(handled(sink)).as("records read since the reset").isEqualTo(secondRunRecords);
    }
    for (String metric : timestamps.keySet()) {
      try (WhisperFile file = WhisperFile.openReadOnly(file(rebuilt, metric))) {
        assertThat(file.layout()).isEqualTo(NEW);
      }
      assertThat(ArchiveDump.read(file(rebuilt, metric)))
          .as(metric)
          .isEqualTo(expected.get(metric));
    }
  }

  /** The task directories (0_0, 0_1, ...) holding an application's local stores. */
  private static List<String> taskDirectories(Path appDir) throws Exception {
    try (var files = Files.list(appDir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("\\d+_\\d+"))
          .toList();
    }
  }

  private static void rules(Path conf, String retentions) throws Exception {
    Files.writeString(
        conf.resolve("storage-schemas.conf"),
        "[all]\npattern = .*\nretentions = " + retentions + "\n");
    Files.writeString(
        conf.resolve("storage-aggregation.conf"),
        "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n");
  }

  /** Ten-second points per series, shuffled within two-minute windows, some slots written twice. */
  private static List<MetricPoint> stream(
      Map<String, long[]> timestamps, Map<String, double[]> values) {
    Random random = new Random(7);
    Map<String, List<MetricPoint>> bySeries = new LinkedHashMap<>();
    List<MetricPoint> stream = new ArrayList<>();
    for (int i = 0; i < POINTS_PER_SERIES; i += 12) {
      for (int s = 0; s < SERIES; s++) {
        String metric = "reprocess.s" + s;
        List<MetricPoint> window = new ArrayList<>();
        for (int j = i; j < i + 12; j++) {
          long ts = T0 + 10L * j + random.nextInt(10);
          window.add(new MetricPoint(metric, ts, 1.0 + random.nextInt(9)));
          if (random.nextInt(6) == 0) {
            window.add(new MetricPoint(metric, ts, 100.0 + random.nextInt(9)));
          }
        }
        Collections.shuffle(window, random);
        stream.addAll(window);
        bySeries.computeIfAbsent(metric, k -> new ArrayList<>()).addAll(window);
      }
    }
    bySeries.forEach(
        (metric, points) -> {
          timestamps.put(metric, points.stream().mapToLong(MetricPoint::getTimestamp).toArray());
          values.put(metric, points.stream().mapToDouble(MetricPoint::getValue).toArray());
        });
    return stream;
  }

  private static Path file(Path dataDir, String metric) {
    return dataDir.resolve("whisper").resolve(metric.replace('.', '/') + ".wsp");
  }

  private static Map<String, Object> sinkSettings(
      EmbeddedKafkaBroker kafka, String topic, Path dataDir, String group) {
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, group);
    props.put(SinkConfig.ARCHIVES_TOPIC, topic);
    props.put(SinkConfig.REJECTS_TOPIC, topic.replace("archives-", "rejects-"));
    props.put(SinkConfig.METRICS_INTERVAL_SECONDS, "0");
    return props;
  }

  private static void runUntilCaughtUp(
      EmbeddedKafkaBroker kafka, AggregatorConfig config, String appId, String pointsTopic)
      throws Exception {
    Map<TopicPartition, Long> end = endOffsets(kafka, pointsTopic);
    try (Aggregator aggregator =
        new Aggregator(config, Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC))) {
      aggregator.start();
      await(
          "the aggregator to commit every point",
          () -> {
            Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(kafka, appId);
            return end.entrySet().stream()
                .allMatch(
                    e ->
                        committed.get(e.getKey()) != null
                            && committed.get(e.getKey()).offset() >= e.getValue());
          });
      // the slots dirtied by the last points go out at the next emission and commit
      Thread.sleep(2000);
    }
  }

  private static void produce(EmbeddedKafkaBroker kafka, String topic, List<MetricPoint> points) {
    // in order, by one request in flight: the grace would drop points appended after later ones
    KafkaRecords.produce(
        kafka.bootstrapServers(),
        Topics.points(topic),
        points.stream()
            .map(p -> new ProducerRecord<>(topic, p.getMetric().toString(), p))
            .toList());
  }

  /** Everything committed to the topic, read until nothing new arrives for three seconds. */
  private static List<ConsumerRecord<String, ArchivePoint>> readStable(
      EmbeddedKafkaBroker kafka, String topic) {
    Topic<String, ArchivePoint> t = Topics.archives(topic);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<ConsumerRecord<String, ArchivePoint>> out = new ArrayList<>();
    try (KafkaConsumer<String, ArchivePoint> consumer =
        new KafkaConsumer<>(props, t.keySerde().deserializer(), t.valueSerde().deserializer())) {
      consumer.assign(
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList());
      consumer.seekToBeginning(consumer.assignment());
      long lastNew = System.nanoTime();
      while (System.nanoTime() - lastNew < Duration.ofSeconds(3).toNanos()) {
        for (ConsumerRecord<String, ArchivePoint> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r);
          lastNew = System.nanoTime();
        }
      }
    }
    return out;
  }

  private static Admin admin(EmbeddedKafkaBroker kafka) {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
  }

  private static Map<TopicPartition, OffsetAndMetadata> committedOffsets(
      EmbeddedKafkaBroker kafka, String group) {
    try (Admin admin = admin(kafka)) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Archive points a sink has written or counted as dropped, once their offsets are committed. */
  private static long handled(Sink sink) {
    return sink.stats().committedPoints.sum()
        + sink.stats().droppedNoArchive.sum()
        + sink.stats().droppedTooOld.sum();
  }

  private static Map<TopicPartition, Long> endOffsets(EmbeddedKafkaBroker kafka, String topic)
      throws Exception {
    try (Admin admin = admin(kafka)) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (var p :
          admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> out = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    }
  }

  private static void await(String what, BooleanSupplier condition) throws Exception {
    await(what, condition, () -> "");
  }

  private static void await(String what, BooleanSupplier condition, Supplier<String> state)
      throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + ": " + state.get());
      }
      Thread.sleep(200);
    }
  }
}

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
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.ChildJvm;
import io.graphitekafka.testing.KafkaClients;
import io.graphitekafka.testing.KafkaRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the aggregator's JVM in the middle of a stream, starts it again on the same state
 * directory, and checks that the committed output, applied to Whisper files, equals whisper's own
 * {@code update_many} of every point: nothing counted twice (the method is sum), no slot missing.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class AggregatorCrashRecoveryIT {

  private static final long T0 = 1_700_000_400L;
  private static final long NOW = T0 + 3600;
  private static final int SERIES = 40;
  private static final int POINTS_PER_SERIES = 300;
  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440), new ArchiveSpec(600, 4320)),
          AggregationMethod.SUM,
          0f);

  @TempDir Path dir;

  @Test
  void outputAfterAKillAndRestartEqualsWhispersOwnRollups(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pointsTopic = "points-" + suffix;
    String archivesTopic = "archives-" + suffix;
    String appId = "aggregator-crash-" + suffix;
    kafka.createTopics(2, pointsTopic, archivesTopic, "rejects-" + suffix);

    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(
        conf.resolve("storage-schemas.conf"),
        "[all]\npattern = .*\nretentions = 10s:1h,1m:1d,10m:30d\n");
    Files.writeString(
        conf.resolve("storage-aggregation.conf"),
        "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = sum\n");
    Properties settings = new Properties();
    settings.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    settings.put(AggregatorConfig.APPLICATION_ID, appId);
    settings.put(AggregatorConfig.CONF_DIR, conf.toString());
    settings.put(AggregatorConfig.STATE_DIR, dir.resolve("state").toString());
    settings.put(AggregatorConfig.POINTS_TOPIC, pointsTopic);
    settings.put(AggregatorConfig.ARCHIVES_TOPIC, archivesTopic);
    settings.put(AggregatorConfig.REJECTS_TOPIC, "rejects-" + suffix);
    settings.put(AggregatorConfig.COMMIT_INTERVAL_MS, "300");
    settings.put(AggregatorConfig.EMIT_INTERVAL_MS, "300");
    settings.put(AggregatorConfig.GRACE_SECONDS, "600");
    // The killed member leaves no goodbye: let the broker expire it quickly.
    settings.put("kafka.session.timeout.ms", "6000");
    settings.put("kafka.heartbeat.interval.ms", "1000");
    Path settingsFile = dir.resolve("aggregator.properties");
    ChildJvm.writeSettings(settingsFile, settings);

    // Per series: ten-second points, shuffled within two-minute windows, with some repeated slots.
    Random random = new Random(42);
    Map<String, List<long[]>> bySeries = new LinkedHashMap<>();
    List<MetricPoint> stream = new ArrayList<>();
    for (int i = 0; i < POINTS_PER_SERIES; i += 12) {
      for (int s = 0; s < SERIES; s++) {
        String metric = "crash.series" + s;
        List<MetricPoint> window = new ArrayList<>();
        for (int j = i; j < Math.min(i + 12, POINTS_PER_SERIES); j++) {
          long ts = T0 + 10L * j + random.nextInt(10);
          window.add(new MetricPoint(metric, ts, 1.0 + random.nextInt(9)));
          if (random.nextInt(8) == 0) {
            window.add(new MetricPoint(metric, ts, 100.0 + random.nextInt(9)));
          }
        }
        java.util.Collections.shuffle(window, random);
        stream.addAll(window);
        for (MetricPoint p : window) {
          bySeries
              .computeIfAbsent(metric, k -> new ArrayList<>())
              .add(new long[] {p.getTimestamp(), Double.doubleToLongBits(p.getValue())});
        }
      }
    }

    int firstHalf = stream.size() / 2;
    produce(kafka, pointsTopic, stream.subList(0, firstHalf));
    Process first = startChild(settingsFile, dir.resolve("child-1.log"));
    Map<TopicPartition, Long> endAtKill;
    Thread trickle =
        new Thread(() -> trickle(kafka, pointsTopic, stream.subList(firstHalf, stream.size())));
    try {
      awaitOutput(kafka, archivesTopic, 1, Duration.ofSeconds(90));
      // Points keep arriving while the process dies, so it dies with work in flight.
      trickle.start();
      Thread.sleep(1500 + random.nextInt(500));
      endAtKill = endOffsets(kafka, pointsTopic);
    } finally {
      first.destroyForcibly();
      first.waitFor(30, TimeUnit.SECONDS);
    }
    Map<TopicPartition, OffsetAndMetadata> committedAtKill = committed(kafka, appId);
    assertThat(endAtKill.entrySet())
        .as("the kill left consumed points uncommitted")
        .anyMatch(
            e ->
                committedAtKill.get(e.getKey()) == null
                    || committedAtKill.get(e.getKey()).offset() < e.getValue());
    trickle.join(120_000);

    Process second = startChild(settingsFile, dir.resolve("child-2.log"));
    List<ArchivePoint> output;
    try {
      awaitCaughtUp(kafka, appId, pointsTopic, Duration.ofSeconds(120));
      output = readStable(kafka, archivesTopic, Duration.ofSeconds(4));
    } finally {
      second.destroy();
      second.waitFor(60, TimeUnit.SECONDS);
      second.destroyForcibly();
    }

    Map<String, List<ArchivePoint>> outputBySeries = new HashMap<>();
    for (ArchivePoint p : output) {
      outputBySeries.computeIfAbsent(p.getMetric().toString(), k -> new ArrayList<>()).add(p);
    }
    assertThat(outputBySeries.keySet()).containsExactlyInAnyOrderElementsOf(bySeries.keySet());
    for (var e : bySeries.entrySet()) {
      int n = e.getValue().size();
      long[] ts = new long[n];
      double[] values = new double[n];
      long[] nows = new long[n];
      for (int i = 0; i < n; i++) {
        ts[i] = e.getValue().get(i)[0];
        values[i] = Double.longBitsToDouble(e.getValue().get(i)[1]);
        nows[i] = NOW;
      }
      var expected =
          ArchiveDump.reference(dir.resolve(e.getKey() + ".ref.wsp"), LAYOUT, ts, values, nows);
      var actual =
          ArchiveDump.applied(
              dir.resolve(e.getKey() + ".wsp"), LAYOUT, outputBySeries.get(e.getKey()));
      assertThat(actual).as(e.getKey()).isEqualTo(expected);
      assertThat(expected.get(2)).isNotEmpty();
    }
  }

  private static Process startChild(Path settings, Path log) throws IOException {
    return ChildJvm.command(
            AggregatorChild.class, List.of("-Xmx256m"), settings.toString(), Long.toString(NOW))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void produce(EmbeddedKafkaBroker kafka, String topic, List<MetricPoint> points) {
    KafkaRecords.produce(
        kafka.bootstrapServers(),
        Topics.points(topic),
        points.stream()
            .map(p -> new ProducerRecord<>(topic, p.getMetric().toString(), p))
            .toList());
  }

  private static KafkaConsumer<String, ArchivePoint> committedReader(EmbeddedKafkaBroker kafka) {
    return KafkaClients.consumer(
        kafka.bootstrapServers(),
        Topics.archives("unused"),
        Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
  }

  private static void awaitOutput(
      EmbeddedKafkaBroker kafka, String topic, int min, Duration timeout) {
    try (KafkaConsumer<String, ArchivePoint> consumer = committedReader(kafka)) {
      consumer.assign(partitions(consumer, topic));
      consumer.seekToBeginning(consumer.assignment());
      long deadline = System.nanoTime() + timeout.toNanos();
      int seen = 0;
      while (seen < min) {
        assertThat(System.nanoTime())
            .as("committed output within %s", timeout)
            .isLessThan(deadline);
        seen += consumer.poll(Duration.ofMillis(200)).count();
      }
    }
  }

  /** Everything committed to the topic, read until nothing new arrives for {@code quiet}. */
  private static List<ArchivePoint> readStable(
      EmbeddedKafkaBroker kafka, String topic, Duration quiet) {
    List<ArchivePoint> out = new ArrayList<>();
    try (KafkaConsumer<String, ArchivePoint> consumer = committedReader(kafka)) {
      consumer.assign(partitions(consumer, topic));
      consumer.seekToBeginning(consumer.assignment());
      long lastNew = System.nanoTime();
      while (System.nanoTime() - lastNew < quiet.toNanos()) {
        for (ConsumerRecord<String, ArchivePoint> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
          lastNew = System.nanoTime();
        }
      }
    }
    return out;
  }

  private static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    return consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(topic, p.partition()))
        .toList();
  }

  /** Sends the points in small batches, 20 every 10 ms or so, as a live stream would. */
  private static void trickle(EmbeddedKafkaBroker kafka, String topic, List<MetricPoint> points) {
    try (KafkaProducer<String, MetricPoint> producer =
        KafkaClients.producer(kafka.bootstrapServers(), Topics.points(topic), Map.of())) {
      for (int i = 0; i < points.size(); i++) {
        producer.send(
            new ProducerRecord<>(topic, points.get(i).getMetric().toString(), points.get(i)));
        if (i % 20 == 19) {
          producer.flush();
          Thread.sleep(10);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Map<TopicPartition, Long> endOffsets(EmbeddedKafkaBroker kafka, String topic) {
    try (KafkaConsumer<String, ArchivePoint> consumer = committedReader(kafka)) {
      return consumer.endOffsets(partitions(consumer, topic));
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> committed(
      EmbeddedKafkaBroker kafka, String group) throws Exception {
    try (Admin admin = KafkaClients.admin(kafka.bootstrapServers())) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    }
  }

  private static void awaitCaughtUp(
      EmbeddedKafkaBroker kafka, String group, String topic, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = KafkaClients.admin(kafka.bootstrapServers());
        KafkaConsumer<String, ArchivePoint> consumer = committedReader(kafka)) {
      List<TopicPartition> parts = partitions(consumer, topic);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        boolean caughtUp =
            parts.stream()
                .allMatch(
                    tp -> committed.get(tp) != null && committed.get(tp).offset() >= end.get(tp));
        if (caughtUp) {
          return;
        }
        assertThat(System.nanoTime())
            .as("aggregator caught up within %s", timeout)
            .isLessThan(deadline);
        Thread.sleep(250);
      }
    }
  }
}

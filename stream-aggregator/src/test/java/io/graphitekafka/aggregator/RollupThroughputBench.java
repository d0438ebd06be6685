package io.graphitekafka.aggregator;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * Load driver, not part of {@code verify}: points per second through the aggregator on a real broker,
 * 10,000 series with a three-archive schema. Run it with
 * {@code -Dtest=RollupThroughputBench -Dbench.points=2000000}.
 */
class RollupThroughputBench {

  private static final long T0 = 1_700_000_400L;
  private static final int PARTITIONS = 4;

  @Test
  void measure() throws Exception {
    int series = Integer.getInteger("bench.series", 10_000);
    int points = Integer.getInteger("bench.points", 2_000_000);
    int perSeries = points / series;
    Path dir = Files.createTempDirectory("rollup-bench");
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().logDir(dir.resolve("kafka")).build()) {
      kafka.start();
      kafka.createTopics(PARTITIONS, "points", "archives", "rejects");
      Path conf = Files.createDirectories(dir.resolve("conf"));
      Files.writeString(conf.resolve("storage-schemas.conf"),
          "[all]\npattern = .*\nretentions = 10s:6h,1m:7d,10m:5y\n");

      Topic<String, MetricPoint> t = Topics.points("points");
      Properties producerProps = new Properties();
      producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
      producerProps.put(ProducerConfig.LINGER_MS_CONFIG, "20");
      producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
      producerProps.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
      long produceStart = System.nanoTime();
      try (KafkaProducer<String, MetricPoint> producer =
          new KafkaProducer<>(producerProps, t.keySerde().serializer(), t.valueSerde().serializer())) {
        for (int i = 0; i < perSeries; i++) {
          for (int s = 0; s < series; s++) {
            String metric = "bench.host" + (s / 100) + ".metric" + (s % 100);
            producer.send(new ProducerRecord<>("points", metric,
                new MetricPoint(metric, T0 + 10L * i, (double) (s + i))));
          }
        }
      }
      System.out.printf("produced %d points in %.1f s%n", (long) perSeries * series,
          (System.nanoTime() - produceStart) / 1e9);

      Map<String, Object> settings = new HashMap<>();
      settings.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      settings.put(AggregatorConfig.APPLICATION_ID, "bench");
      settings.put(AggregatorConfig.CONF_DIR, conf.toString());
      settings.put(AggregatorConfig.STATE_DIR, dir.resolve("state").toString());
      settings.put(AggregatorConfig.POINTS_TOPIC, "points");
      settings.put(AggregatorConfig.ARCHIVES_TOPIC, "archives");
      settings.put(AggregatorConfig.REJECTS_TOPIC, "rejects");
      settings.put("kafka.num.stream.threads", System.getProperty("bench.threads", "2"));
      settings.put("kafka.producer.linger.ms", "20");
      settings.put("kafka.producer.batch.size", "262144");
      settings.put("kafka.producer.compression.type", "lz4");
      settings.put("kafka.max.poll.records", "5000");
      Clock clock = Clock.fixed(Instant.ofEpochSecond(T0 + 10L * perSeries), ZoneOffset.UTC);
      long total = (long) perSeries * series;
      try (Aggregator aggregator = new Aggregator(new AggregatorConfig(settings), clock);
          Admin admin = Admin.create(Map.of(
              AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
          latest.put(new TopicPartition("points", p), OffsetSpec.latest());
        }
        var end = admin.listOffsets(latest).all().get();
        aggregator.start();
        while (aggregator.state() != KafkaStreams.State.RUNNING) {
          Thread.sleep(20);
        }
        long start = System.nanoTime();
        long lastReport = start;
        while (true) {
          Map<TopicPartition, OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets("bench").partitionsToOffsetAndMetadata().get();
          long done = 0;
          for (var e : end.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            done += c == null ? 0 : c.offset();
          }
          long nowNanos = System.nanoTime();
          if (done >= total) {
            double seconds = (nowNanos - start) / 1e9;
            Map<String, Double> gauges = aggregator.metrics().gauges();
            Map<String, Long> counters = aggregator.metrics().counters();
            System.out.printf("BENCH points=%d series=%d seconds=%.2f pointsPerSecond=%.0f "
                    + "archivePointsSent=%d stateBytesPerSeries=%.0f%n",
                total, series, seconds, total / seconds, counters.get("archivePointsSent"),
                gauges.get("stateBytes") / gauges.get("stateSeries"));
            break;
          }
          if (nowNanos - lastReport > 2_000_000_000L) {
            System.out.printf("  %d of %d committed after %.1f s%n", done, total, (nowNanos - start) / 1e9);
            lastReport = nowNanos;
          }
          Thread.sleep(100);
        }
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

}

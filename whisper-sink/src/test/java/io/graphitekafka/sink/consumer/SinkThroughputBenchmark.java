package io.graphitekafka.sink.consumer;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.storage.AggregationMethod;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.SinkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * End-to-end sink throughput through a real broker (not part of the build's tests): archive points
 * already in the topic, consumed, written into existing Whisper files, flushed and committed. Arguments:
 * series, points per series, partitions.
 */
public final class SinkThroughputBenchmark {

  private static final SeriesLayout LAYOUT = new SeriesLayout(
      List.of(new ArchiveSpec(60, 1440), new ArchiveSpec(300, 2016), new ArchiveSpec(3600, 8760)),
      AggregationMethod.AVERAGE, 0.5f);

  private SinkThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    int series = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int perSeries = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    Path dataDir = Files.createTempDirectory("sink-bench");
    ArchiveLayout layout = Layouts.toAvro(LAYOUT);
    long now = System.currentTimeMillis() / 1000;
    long start = now - Math.floorMod(now, 3600) - 3600 * 12;
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      kafka.createTopics(partitions, "bench.archives", "bench.rejects");
      // warm-up: one point per series creates every file
      produce(kafka, series, 1, start - 60, layout);
      long warm = run(kafka, dataDir, "bench-warm", series);
      // the measured stream: perSeries consecutive minutes per series, interleaved like live traffic
      produce(kafka, series, perSeries, start, layout);
      long total = (long) series * perSeries;
      long t0 = System.nanoTime();
      run(kafka, dataDir, "bench-warm", warm + total);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("%d archive points into %d existing files in %.2f s: %.0f points/s%n", total,
          series, seconds, total / seconds);
      System.out.printf("BENCH sink writes points=%d files=%d seconds=%.3f pps=%.0f%n", total, series,
          seconds, total / seconds);
    }
  }

  private static void produce(EmbeddedKafkaBroker kafka, int series, int perSeries, long start,
      ArchiveLayout layout) {
    // one request in flight instead of idempotence, as SinkTestSupport.producer: under load an
    // idempotent producer's retry of a first batch was seen to fail forever with OUT_OF_ORDER_SEQUENCE
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1),
        new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < perSeries; i++) {
        for (int s = 0; s < series; s++) {
          String metric = "bench.host" + (s % 100) + ".metric" + s;
          producer.send(new ProducerRecord<>("bench.archives", metric, SinkTestSupport.SERDE.encode(
              new ArchivePoint(metric, 0, start + 60L * i, (double) (i + s), layout))));
        }
      }
      producer.flush();
    }
  }

  // Runs a sink until the group has committed `until` records; returns the committed total.
  private static long run(EmbeddedKafkaBroker kafka, Path dataDir, String group, long until)
      throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, group);
    props.put(SinkConfig.ARCHIVES_TOPIC, "bench.archives");
    props.put(SinkConfig.REJECTS_TOPIC, "bench.rejects");
    props.put(SinkConfig.METRICS_INTERVAL_SECONDS, "0");
    props.put(SinkConfig.MAX_OPEN_FILES, "20000");
    props.put(SinkConfig.FILL_MODE, "sparse");
    try (Sink sink = new Sink(new SinkConfig(props));
        Admin admin = Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      sink.start();
      long committed = 0;
      // creates per second from the sink's own counter: from the first file created to the last, so
      // the group join before it is not counted
      long firstCreate = 0;
      long lastCreate = 0;
      long created = 0;
      while (committed < until) {
        Thread.sleep(20);
        committed = SinkTestSupport.committed(admin, group, "bench.archives");
        long c = sink.stats().creates.sum();
        if (c > created) {
          lastCreate = System.nanoTime();
          if (created == 0) {
            firstCreate = lastCreate;
          }
          created = c;
        }
      }
      if (created > 1) {
        double seconds = (lastCreate - firstCreate) / 1e9;
        System.out.printf("%d files created (sparse, one point each) in %.2f s: %.0f creates/s%n",
            created, seconds, (created - 1) / seconds);
        System.out.printf("BENCH sink creates files=%d seconds=%.3f cps=%.0f%n", created, seconds,
            (created - 1) / seconds);
      }
      return committed;
    }
  }
}

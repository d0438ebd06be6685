package io.graphitekafka.sink.consumer;

import com.sun.management.OperatingSystemMXBean;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sink throughput through a real broker in the same JVM (not part of the build's tests). A first
 * sink creates the files (creates per second); a second one drains rounds of archive points already
 * in the topic into those existing files: the first round is its cold start, the others its steady
 * state (points per second, and CPU per point of its thread and of the whole process). Arguments:
 * series, points per series per round, partitions, rounds, and the sink's {@code max.open.files}
 * (20,000: more than the series, unless given fewer to measure a sink that reopens files). {@code
 * -Dsink.<key>=<value>} sets any other sink setting.
 */
public final class SinkThroughputBenchmark {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(
              new ArchiveSpec(60, 1440), new ArchiveSpec(300, 2016), new ArchiveSpec(3600, 8760)),
          AggregationMethod.AVERAGE,
          0.5f);

  private static int maxOpenFiles;

  private SinkThroughputBenchmark() {}

  public static void main(String[] args) throws Exception {
    int series = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int perSeries = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    maxOpenFiles = args.length > 4 ? Integer.parseInt(args[4]) : 20_000;
    Path dataDir = Files.createTempDirectory("sink-bench");
    ArchiveLayout layout = Layouts.toAvro(LAYOUT);
    long now = System.currentTimeMillis() / 1000;
    long start = now - Math.floorMod(now, 3600) - 3600 * 12;
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      kafka.createTopics(partitions, "bench.archives", "bench.rejects");
      // first sink: one point per series creates every file
      produce(kafka, series, 1, start - 60, layout);
      createFiles(kafka, dataDir, series);
      // second sink: `rounds` rounds of perSeries consecutive minutes per series, interleaved by
      // series like live traffic, all in the topic before it starts. The first round is the cold
      // start (group join, files opened, code not yet compiled); the others are the steady state.
      produce(kafka, series, perSeries * rounds, start, layout);
      long round = (long) series * perSeries;
      long[][] done = drain(kafka, dataDir, round, rounds);
      report("writes-cold", done[0], done[1], round, series);
      if (rounds > 1) {
        report("writes", done[1], done[rounds], round * (rounds - 1), series);
      }
    }
  }

  // Wall-clock rate, and CPU per point of the sink's thread and of the whole process (broker
  // included).
  private static void report(String what, long[] from, long[] to, long points, int files) {
    double seconds = (to[0] - from[0]) / 1e9;
    double threadNanos = (double) (to[1] - from[1]) / points;
    double processNanos = (double) (to[2] - from[2]) / points;
    System.out.printf(
        "%d archive points into %d existing files (%d kept open) in %.2f s: %.0f points/s;"
            + " CPU per point: %.0f ns on the sink thread, %.0f ns in the process%n",
        points,
        files,
        Math.min(files, maxOpenFiles),
        seconds,
        points / seconds,
        threadNanos,
        processNanos);
    System.out.printf(
        "BENCH sink %s points=%d files=%d maxOpenFiles=%d seconds=%.3f pps=%.0f"
            + " threadNsPerPoint=%.0f processNsPerPoint=%.0f%n",
        what, points, files, maxOpenFiles, seconds, points / seconds, threadNanos, processNanos);
  }

  private static void produce(
      EmbeddedKafkaBroker kafka, int series, int perSeries, long start, ArchiveLayout layout) {
    try (KafkaProducer<String, byte[]> producer =
        SinkTestSupport.producer(
            kafka,
            Map.of(
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                ProducerConfig.BATCH_SIZE_CONFIG,
                512 * 1024,
                ProducerConfig.COMPRESSION_TYPE_CONFIG,
                "lz4"))) {
      for (int i = 0; i < perSeries; i++) {
        for (int s = 0; s < series; s++) {
          String metric = "bench.host" + (s % 100) + ".metric" + s;
          producer.send(
              new ProducerRecord<>(
                  "bench.archives",
                  metric,
                  SinkTestSupport.SERDE.encode(
                      new ArchivePoint(
                          metric, 0, start + 60L * i, (double) (i + s), layout, null))));
        }
      }
      producer.flush();
    }
  }

  private static Map<String, Object> sinkProps(EmbeddedKafkaBroker kafka, Path dataDir) {
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, "bench");
    props.put(SinkConfig.ARCHIVES_TOPIC, "bench.archives");
    props.put(SinkConfig.REJECTS_TOPIC, "bench.rejects");
    props.put(SinkConfig.METRICS_INTERVAL_SECONDS, "0");
    props.put(SinkConfig.MAX_OPEN_FILES, String.valueOf(maxOpenFiles));
    props.put(SinkConfig.FILL_MODE, "sparse");
    // -Dsink.<key>=<value> sets any other sink setting, e.g. -Dsink.write.batch.max.records=1000000
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith("sink."))
        .forEach(k -> props.put(k.substring("sink.".length()), System.getProperty(k)));
    return props;
  }

  // Runs a sink until it has created every file, and reports creates per second from its own
  // counter: from the first file created to the last, so the group join before it is not counted.
  private static void createFiles(EmbeddedKafkaBroker kafka, Path dataDir, int series)
      throws Exception {
    try (Sink sink = new Sink(new SinkConfig(sinkProps(kafka, dataDir)))) {
      sink.start();
      long firstCreate = 0;
      long lastCreate = 0;
      long created = 0;
      while (sink.stats().committedPoints.sum() < series) {
        Thread.sleep(5);
        if (!sink.isRunning()) {
          throw new IllegalStateException("the sink stopped", sink.failure());
        }
        long c = sink.stats().creates.sum();
        if (c > created) {
          lastCreate = System.nanoTime();
          if (created == 0) {
            firstCreate = lastCreate;
          }
          created = c;
        }
      }
      double seconds = (lastCreate - firstCreate) / 1e9;
      System.out.printf(
          "%d files created (sparse, one point each) in %.2f s: %.0f creates/s%n",
          created, seconds, (created - 1) / seconds);
      System.out.printf(
          "BENCH sink creates files=%d seconds=%.3f cps=%.0f%n",
          created, seconds, (created - 1) / seconds);
    }
  }

  // Runs a sink until it has committed rounds * round points. Returns, per element i (0 is the
  // start,
  // i the moment the committed points reached i rounds, from the sink's own counter read every 5
  // ms):
  // the wall clock, the CPU time of the sink's thread and the CPU time of the whole process.
  private static long[][] drain(EmbeddedKafkaBroker kafka, Path dataDir, long round, int rounds)
      throws Exception {
    long[][] at = new long[rounds + 1][];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (Sink sink = new Sink(new SinkConfig(sinkProps(kafka, dataDir)))) {
      sink.start();
      long sinkThread =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> t.getName().equals("whisper-sink"))
              .findFirst()
              .orElseThrow()
              .getId();
      at[0] =
          new long[] {
            System.nanoTime(), threads.getThreadCpuTime(sinkThread), os.getProcessCpuTime()
          };
      int reached = 0;
      while (reached < rounds) {
        Thread.sleep(5);
        if (!sink.isRunning()) {
          throw new IllegalStateException("the sink stopped", sink.failure());
        }
        long committed = sink.stats().committedPoints.sum();
        long[] now = {
          System.nanoTime(), threads.getThreadCpuTime(sinkThread), os.getProcessCpuTime()
        };
        while (reached < rounds && committed >= round * (reached + 1)) {
          at[++reached] = now;
        }
      }
    }
    return at;
  }
}

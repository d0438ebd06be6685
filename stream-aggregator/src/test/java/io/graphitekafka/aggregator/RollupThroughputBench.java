package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.ChildJvm;
import io.graphitekafka.testing.KafkaClients;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * Load driver, not part of {@code verify}: points per second through the aggregator on a real
 * broker, 10,000 series with a three-archive schema. Run it with {@code
 * -Dtest=RollupThroughputBench -Dbench.points=2000000}.
 *
 * <p>The input is produced first and timed on its own; the aggregator is then started and timed
 * from RUNNING until its committed offsets reach the end of the input. Besides that end-to-end rate
 * it reports the steady rate (from {@code bench.steadyFrom}, default 25 %, of the input committed
 * to the end, which leaves out start-up and JIT warm-up), the CPU time the aggregator used and what
 * the whole machine was busy with meanwhile, so that runs on a shared machine can be compared.
 *
 * <p>Properties: {@code bench.points}, {@code bench.series}, {@code bench.rules} (carbon-aggregator
 * rules in {@code aggregation-rules.conf}, 0 by default: rule i sums, averages or takes a
 * percentile of the 100 series of host i every minute, so each rule feeds one aggregate and every
 * point is tried against every rule, as carbon does), {@code bench.threads} (stream threads, 2),
 * {@code bench.aggregatorJvm} ({@code same}: aggregator and broker in this JVM, the default; {@code
 * child}: the aggregator in a JVM of its own, so its CPU time excludes the broker's), and {@code
 * bench.set.<key>=<value>} to pass any {@link AggregatorConfig} setting, e.g. {@code
 * -Dbench.set.kafka.producer.compression.type=none}, and {@code bench.childJvmArgs} (JVM options of
 * the child, space-separated, e.g. a flight recording).
 */
class RollupThroughputBench {

  private static final long T0 = 1_700_000_400L;
  private static final int PARTITIONS = 4;

  @Test
  void measure() throws Exception {
    int series = Integer.getInteger("bench.series", 10_000);
    int points = Integer.getInteger("bench.points", 2_000_000);
    boolean child = "child".equals(System.getProperty("bench.aggregatorJvm", "same"));
    double steadyFrom = Double.parseDouble(System.getProperty("bench.steadyFrom", "0.25"));
    int perSeries = points / series;
    long total = (long) perSeries * series;
    Path dir = Files.createTempDirectory("rollup-bench");
    try (EmbeddedKafkaBroker kafka =
        EmbeddedKafkaBroker.builder().logDir(dir.resolve("kafka")).build()) {
      kafka.start();
      kafka.createTopics(PARTITIONS, "points", "archives", "rejects");
      Path conf = Files.createDirectories(dir.resolve("conf"));
      Files.writeString(
          conf.resolve("storage-schemas.conf"),
          "[all]\npattern = .*\nretentions = 10s:6h,1m:7d,10m:5y\n");
      int rules = Integer.getInteger("bench.rules", 0);
      writeRules(conf, rules);

      produce(kafka, series, perSeries);

      Map<String, String> settings = new HashMap<>();
      settings.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      settings.put(AggregatorConfig.APPLICATION_ID, "bench");
      settings.put(AggregatorConfig.CONF_DIR, conf.toString());
      settings.put(AggregatorConfig.STATE_DIR, dir.resolve("state").toString());
      settings.put(AggregatorConfig.POINTS_TOPIC, "points");
      settings.put(AggregatorConfig.ARCHIVES_TOPIC, "archives");
      settings.put(AggregatorConfig.REJECTS_TOPIC, "rejects");
      settings.put("kafka.num.stream.threads", System.getProperty("bench.threads", "2"));
      for (String name : System.getProperties().stringPropertyNames()) {
        if (name.startsWith("bench.set.")) {
          settings.put(name.substring("bench.set.".length()), System.getProperty(name));
        }
      }
      long now = T0 + 10L * perSeries;
      try (Admin admin = KafkaClients.admin(kafka.bootstrapServers());
          Target target =
              child ? new ChildTarget(settings, now, dir) : new SameJvmTarget(settings, now)) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
          latest.put(new TopicPartition("points", p), OffsetSpec.latest());
        }
        var end = admin.listOffsets(latest).all().get();
        target.startAndAwaitRunning();

        CpuSnapshot before = CpuSnapshot.take(target);
        long start = before.nanos;
        long lastReport = start;
        CpuSnapshot steadyStart = null;
        long steadyDone = 0;
        while (true) {
          Map<TopicPartition, OffsetAndMetadata> committed =
              admin.listConsumerGroupOffsets("bench").partitionsToOffsetAndMetadata().get();
          long done = 0;
          for (var e : end.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            done += c == null ? 0 : c.offset();
          }
          long nowNanos = System.nanoTime();
          if (steadyStart == null && done >= steadyFrom * total) {
            steadyStart = CpuSnapshot.take(target);
            steadyDone = done;
          }
          if (done >= total) {
            CpuSnapshot after = CpuSnapshot.take(target);
            double seconds = (after.nanos - start) / 1e9;
            double steadySeconds = (after.nanos - steadyStart.nanos) / 1e9;
            Map<String, Long> m = target.metrics();
            System.out.printf(
                "BENCH points=%d series=%d aggregatorJvm=%s seconds=%.2f pointsPerSecond=%.0f "
                    + "steadyPointsPerSecond=%.0f archivePointsSent=%d stateBytesPerSeries=%.0f%n",
                total,
                series,
                child ? "child" : "same",
                seconds,
                total / seconds,
                (total - steadyDone) / steadySeconds,
                m.get("archivePointsSent"),
                (double) m.get("stateBytes") / m.get("stateSeries"));
            if (rules > 0) {
              System.out.printf(
                  "BENCH-RULES rules=%d aggregates=%d aggregateDatapointsSent=%d "
                      + "stateBytesPerAggregate=%.0f valuesHeld=%d%n",
                  rules,
                  m.get("allocatedBuffers"),
                  m.get("aggregateDatapointsSent"),
                  (double) m.get("aggregateStateBytes") / Math.max(1, m.get("allocatedBuffers")),
                  m.get("bufferedDatapoints"));
            }
            System.out.println("BENCH-CPU whole run: " + after.since(before, total));
            System.out.println(
                "BENCH-CPU steady:    " + after.since(steadyStart, total - steadyDone));
            break;
          }
          if (nowNanos - lastReport > 2_000_000_000L) {
            System.out.printf(
                "  %d of %d committed after %.1f s%n", done, total, (nowNanos - start) / 1e9);
            lastReport = nowNanos;
          }
          Thread.sleep(50);
        }
      }
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static final String[] METHODS = {"sum", "avg", "max", "p90"};

  /** {@code rules} aggregation rules, rule i over the series of host i. */
  private static void writeRules(Path conf, int rules) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < rules; i++) {
      String method = METHODS[i % METHODS.length];
      text.append("bench.all.host")
          .append(i)
          .append('.')
          .append(method)
          .append(" (60) = ")
          .append(method)
          .append(" bench.host")
          .append(i)
          .append(".*\n");
    }
    Files.writeString(conf.resolve("aggregation-rules.conf"), text);
  }

  private static void produce(EmbeddedKafkaBroker kafka, int series, int perSeries) {
    Topic<String, MetricPoint> t = Topics.points("points");
    // the client's defaults for throughput: idempotent, five requests in flight, acks from all
    Map<String, Object> producerProps =
        Map.of(
            ProducerConfig.LINGER_MS_CONFIG,
            20,
            ProducerConfig.BATCH_SIZE_CONFIG,
            262144,
            ProducerConfig.COMPRESSION_TYPE_CONFIG,
            "lz4",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
            5);
    CpuSnapshot before = CpuSnapshot.take(null);
    try (KafkaProducer<String, MetricPoint> producer =
        KafkaClients.producer(kafka.bootstrapServers(), t, producerProps)) {
      for (int i = 0; i < perSeries; i++) {
        for (int s = 0; s < series; s++) {
          String metric = "bench.host" + (s / 100) + ".metric" + (s % 100);
          producer.send(
              new ProducerRecord<>(
                  "points", metric, new MetricPoint(metric, T0 + 10L * i, (double) (s + i))));
        }
      }
    }
    CpuSnapshot after = CpuSnapshot.take(null);
    long n = (long) perSeries * series;
    double seconds = (after.nanos - before.nanos) / 1e9;
    System.out.printf(
        "BENCH-INPUT produced %d points in %.1f s (%.0f points/s, producer and broker in "
            + "this JVM): %s%n",
        n, seconds, n / seconds, after.since(before, n));
  }

  /** Where the aggregator runs. */
  private interface Target extends AutoCloseable {
    void startAndAwaitRunning() throws Exception;

    /** CPU nanoseconds of the aggregator's process, or -1 if it shares this JVM. */
    long processCpuNanos();

    /** The aggregator JVM's process id. */
    default long pid() {
      return ProcessHandle.current().pid();
    }

    /** Time the aggregator's JVM spent in garbage collection (as its collector beans count it). */
    default long gcMillis() {
      return RollupThroughputBench.gcMillis();
    }

    /** Time the aggregator's JVM spent compiling. */
    default long jitMillis() {
      return RollupThroughputBench.jitMillis();
    }

    Map<String, Long> metrics();
  }

  private static final class SameJvmTarget implements Target {
    private final Aggregator aggregator;

    SameJvmTarget(Map<String, String> settings, long now) {
      Clock clock = Clock.fixed(Instant.ofEpochSecond(now), ZoneOffset.UTC);
      aggregator = new Aggregator(new AggregatorConfig(settings), clock);
    }

    @Override
    public void startAndAwaitRunning() throws InterruptedException {
      aggregator.start();
      while (aggregator.state() != KafkaStreams.State.RUNNING) {
        Thread.sleep(20);
      }
    }

    @Override
    public long processCpuNanos() {
      return -1;
    }

    @Override
    public Map<String, Long> metrics() {
      Map<String, Long> m = new HashMap<>(aggregator.metrics().counters());
      aggregator.metrics().gauges().forEach((k, v) -> m.put(k, v.longValue()));
      return m;
    }

    @Override
    public void close() {
      aggregator.close();
    }
  }

  /**
   * The aggregator in a JVM of its own ({@link BenchChild}), which prints its metrics every 200 ms.
   */
  private static final class ChildTarget implements Target {
    private final Process process;
    private final AtomicReference<String> lastMetrics = new AtomicReference<>("");
    private volatile boolean running;

    ChildTarget(Map<String, String> settings, long now, Path dir) throws IOException {
      Path file = dir.resolve("aggregator.properties");
      ChildJvm.writeSettings(file, settings);
      String jvmArgs = System.getProperty("bench.childJvmArgs", "").trim();
      List<String> jvmOptions = jvmArgs.isEmpty() ? List.of() : List.of(jvmArgs.split("\\s+"));
      process =
          ChildJvm.command(BenchChild.class, jvmOptions, file.toString(), Long.toString(now))
              .redirectErrorStream(true)
              .start();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    if (line.startsWith("METRICS ")) {
                      lastMetrics.set(line.substring(8));
                    } else if (line.equals("RUNNING")) {
                      running = true;
                    } else {
                      System.out.println("[aggregator] " + line);
                    }
                  }
                } catch (IOException e) {
                  // the child is gone
                }
              },
              "bench-child-output");
      reader.setDaemon(true);
      reader.start();
    }

    @Override
    public void startAndAwaitRunning() throws InterruptedException {
      while (!running) {
        if (!process.isAlive()) {
          throw new IllegalStateException("aggregator child exited with " + process.exitValue());
        }
        Thread.sleep(20);
      }
    }

    @Override
    public long processCpuNanos() {
      return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public long gcMillis() {
      return metric("gcMillis");
    }

    @Override
    public long jitMillis() {
      return metric("jitMillis");
    }

    private long metric(String name) {
      for (String kv : lastMetrics.get().split(" ")) {
        if (kv.startsWith(name + "=")) {
          return Long.parseLong(kv.substring(name.length() + 1));
        }
      }
      return 0;
    }

    @Override
    public Map<String, Long> metrics() {
      try {
        Thread.sleep(300); // one more report after the last commit
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Map<String, Long> m = new HashMap<>();
      for (String kv : lastMetrics.get().split(" ")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          m.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
      }
      return m;
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      process.waitFor();
    }
  }

  static long gcMillis() {
    long total = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      total += Math.max(0, gc.getCollectionTime());
    }
    return total;
  }

  static long jitMillis() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit == null || !jit.isCompilationTimeMonitoringSupported()
        ? 0
        : jit.getTotalCompilationTime();
  }

  /**
   * CPU use at one moment: this JVM's, its stream threads' (and their producers' I/O threads'), the
   * aggregator child's if any, and the whole machine's busy time from /proc/stat (Linux only).
   */
  private record CpuSnapshot(
      long nanos,
      long jvmCpu,
      long streamThreadsCpu,
      long producerIoCpu,
      long childCpu,
      long machineBusy,
      long machineTotal,
      long gcMillis,
      long jitMillis,
      Map<String, Long> threadTicks) {

    static CpuSnapshot take(Target target) {
      long nanos = System.nanoTime();
      long jvm =
          ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
              .getProcessCpuTime();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long stream = 0;
      long io = 0;
      for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
        if (info == null || !info.getThreadName().contains("-StreamThread-")) {
          continue;
        }
        long cpu = Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
        if (info.getThreadName().startsWith("kafka-producer-network-thread")) {
          io += cpu;
        } else {
          stream += cpu;
        }
      }
      long child = target == null ? -1 : target.processCpuNanos();
      long busy = -1;
      long all = -1;
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        all = 0;
        for (int i = 1; i < f.length; i++) {
          all += Long.parseLong(f[i]);
        }
        busy = all - Long.parseLong(f[4]) - Long.parseLong(f[5]); // minus idle and iowait
      } catch (IOException | RuntimeException e) {
        // not Linux: no machine figures
      }
      long gc = target == null ? RollupThroughputBench.gcMillis() : target.gcMillis();
      long compiling = target == null ? RollupThroughputBench.jitMillis() : target.jitMillis();
      long pid = target == null ? ProcessHandle.current().pid() : target.pid();
      return new CpuSnapshot(
          nanos, jvm, stream, io, child, busy, all, gc, compiling, threadTicks(pid));
    }

    /**
     * CPU clock ticks of the aggregator's JVM by kind of thread, from /proc (Linux only; empty
     * elsewhere): compiler threads, GC threads, and all others.
     */
    static Map<String, Long> threadTicks(long pid) {
      Map<String, Long> ticks = new HashMap<>();
      try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
        for (Path task : (Iterable<Path>) tasks::iterator) {
          try {
            String stat = Files.readString(task.resolve("stat"));
            String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            String kind =
                comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")
                    ? "jit"
                    : comm.startsWith("GC Thread") || comm.startsWith("G1 ") ? "gc" : "other";
            ticks.merge(kind, t, Long::sum);
          } catch (IOException | RuntimeException e) {
            // the thread ended meanwhile
          }
        }
      } catch (IOException | RuntimeException e) {
        // not Linux
      }
      return ticks;
    }

    /**
     * What was used between {@code earlier} and this snapshot, in cores and CPU microseconds per
     * point.
     */
    String since(CpuSnapshot earlier, long points) {
      double wall = (nanos - earlier.nanos) / 1e9;
      StringBuilder s = new StringBuilder();
      s.append(String.format("wall %.2f s", wall));
      if (childCpu >= 0) {
        double agg = (childCpu - earlier.childCpu) / 1e9;
        double broker = (jvmCpu - earlier.jvmCpu) / 1e9;
        s.append(
            String.format(
                ", aggregator JVM %.1f cores (%.2f us/point)", agg / wall, agg * 1e6 / points));
        s.append(
            String.format(
                ", broker JVM %.1f cores (%.2f us/point)", broker / wall, broker * 1e6 / points));
      } else {
        double jvm = (jvmCpu - earlier.jvmCpu) / 1e9;
        double stream = (streamThreadsCpu - earlier.streamThreadsCpu) / 1e9;
        double io = (producerIoCpu - earlier.producerIoCpu) / 1e9;
        s.append(String.format(", JVM %.1f cores (%.2f us/point)", jvm / wall, jvm * 1e6 / points));
        if (stream > 0) {
          s.append(
              String.format(
                  ", of which stream threads %.2f us/point, their producers' I/O %.2f us/point",
                  stream * 1e6 / points, io * 1e6 / points));
        }
      }
      s.append(String.format(", GC pauses %d ms", gcMillis - earlier.gcMillis));
      if (!threadTicks.isEmpty()) {
        // USER_HZ is 100 on Linux.
        s.append(
            String.format(
                "; aggregator JVM threads: JIT %.1f s, GC %.1f s, others %.1f s CPU",
                (threadTicks.getOrDefault("jit", 0L) - earlier.threadTicks.getOrDefault("jit", 0L))
                    / 100.0,
                (threadTicks.getOrDefault("gc", 0L) - earlier.threadTicks.getOrDefault("gc", 0L))
                    / 100.0,
                (threadTicks.getOrDefault("other", 0L)
                        - earlier.threadTicks.getOrDefault("other", 0L))
                    / 100.0));
      }
      if (machineTotal > 0) {
        double busyShare =
            (double) (machineBusy - earlier.machineBusy) / (machineTotal - earlier.machineTotal);
        int cores = Runtime.getRuntime().availableProcessors();
        s.append(String.format(", machine busy %.0f %% of %d cores", 100 * busyShare, cores));
      }
      return s.toString();
    }
  }
}

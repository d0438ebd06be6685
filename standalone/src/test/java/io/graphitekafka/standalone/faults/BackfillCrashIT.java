package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.standalone.faults.Pipeline.Sender;
import io.graphitekafka.standalone.faults.Workload.Point;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.ChildProcesses;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.whisper.FetchResult;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole {@code bin/graphite-kafka standalone} process killed with SIGKILL while it writes a
 * backfill.
 *
 * <p>The input: 30 series get a few live points (the last minute, in time order), then a shuffled
 * backfill of their history, 6,000 points hours, days and weeks old: about half into the 10 s
 * archive (20 minutes to 5 h 44 min old), a third into the 1 min archive (6 h 15 min to 6 days 23 h
 * 44 min) and the rest into the 10 min archive (7 days 16 min to 8 weeks) of {@code
 * 10s:6h,1m:7d,10m:5y}, average, xFilesFactor 0.5, with runs of neighbouring slots dense enough for
 * whisper's propagation to pass the xFilesFactor. The ages stay 15 minutes or more away from the
 * archive boundaries, so the {@code now} a raw point is applied with (the time the aggregator sends
 * it) picks the same archive in every run.
 *
 * <p>Run A sends it to one standalone and lets it finish; its files must hold every backfilled
 * point. Run B sends the same lines, in the same order and at the same pace, to a second standalone
 * (its own data directory and ports) and kills the process while the backfill is being written
 * (some, not all, of its points readable): lines are still in flight from the client and, most
 * likely, an aggregator transaction is open and sink writes are not committed yet. It is restarted
 * on the same data directory and ports, and then gets the lines Kafka did not store (per series the
 * tail of what was sent, as a client with its own acknowledgements would send again) and those
 * never sent. Once everything stored is rolled up and written, every file of B must equal A's byte
 * for byte.
 */
class BackfillCrashIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();

  private static final int SERIES = 30;
  private static final int LIVE_POINTS = 6;
  private static final int BACKFILL_PER_SERIES = 200;
  private static final int LINES_PER_SECOND = 1_200;
  private static final Duration WAIT = Duration.ofSeconds(120);

  /** The aggregator's and the sink's consumer groups, their defaults in standalone. */
  private static final String AGGREGATOR_GROUP = "graphite-kafka-aggregator";

  private static final String SINK_GROUP = "graphite-kafka-sink";
  private static final String SINK_COMMITTED = "graphite_kafka_agents_committedPoints_total";

  private static final long MINUTE = 60;
  private static final long HOUR = 60 * MINUTE;
  private static final long DAY = 24 * HOUR;

  /** The newest live point, aligned to 10 s; every age below is counted from it. */
  private static final long T0;

  static {
    long now = System.currentTimeMillis() / 1000;
    T0 = now - Math.floorMod(now, 10);
  }

  /** A backfilled point and the precision of the archive it lands in. */
  private record Backfill(Point point, int step) {
    long slot() {
      return point.timestamp() - Math.floorMod(point.timestamp(), step);
    }
  }

  @TempDir Path dir;

  private final List<Standalone> started = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (Standalone s : started) {
      s.kill();
    }
  }

  @Test
  void standaloneKilledDuringABackfillWritesTheSameFilesAsAnUninterruptedRun() throws Exception {
    Path conf = writeConf(dir.resolve("conf"));
    List<Point> live = livePoints();
    List<Backfill> backfill = backfill(new Random(20_240_611L));
    List<Point> input = new ArrayList<>(live);
    backfill.forEach(b -> input.add(b.point()));

    // A: uninterrupted
    long startedA = System.nanoTime();
    Standalone a = new Standalone("a", dir.resolve("a"), conf);
    a.start();
    Sender senderA = new Sender(a.carbonPort, input, LINES_PER_SECOND);
    assertThat(senderA.done.get(60, TimeUnit.SECONDS))
        .as("lines sent to A")
        .isEqualTo(input.size());
    a.awaitSettled(input.size());
    a.stop();
    Map<String, byte[]> reference = WhisperTrees.read(a.dataDir);
    assertThat(reference).as("one file per series in A").hasSize(SERIES);
    assertThat(readable(a.dataDir, backfill))
        .as("backfilled points readable in A, each at its slot")
        .isEqualTo(backfill.size());
    assertLivePointsReadable(a.dataDir, live);
    double secondsA = (System.nanoTime() - startedA) / 1e9;

    // B: the same lines at the same pace, killed while the backfill is being written
    long startedB = System.nanoTime();
    Standalone b = new Standalone("b", dir.resolve("b"), conf);
    b.start();
    Sender senderB = new Sender(b.carbonPort, input, LINES_PER_SECOND);
    // Once a quarter of the backfill is in the files, the process is killed as the sink starts its
    // next write batch (at the first change of a file's modification time): most likely part of
    // that batch is in the files then and none of it is committed.
    int armAt = backfill.size() / 4;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (readable(b.dataDir, backfill) < armAt) {
      awaitAlive(b, deadline, armAt + " backfilled points in the files");
      Thread.sleep(20);
    }
    List<Path> files = new ArrayList<>();
    for (int s = 0; s < SERIES; s++) {
      files.add(fileOf(b.dataDir, metric(s)));
    }
    List<FileTime> before = modified(files);
    while (modified(files).equals(before)) {
      awaitAlive(b, deadline, "a file written after " + armAt + " backfilled points");
      Thread.sleep(1);
    }
    b.kill(); // SIGKILL: broker, gateway, aggregator and sink at once, no shutdown hook
    long linesAtKill = senderB.linesWritten.get();
    long written = senderB.done.get(30, TimeUnit.SECONDS);
    int readableAtKill = readable(b.dataDir, backfill);
    assertThat(readableAtKill)
        .as("backfilled points readable in B when it was killed")
        .isPositive()
        .isLessThan(backfill.size());

    long restarting = System.nanoTime();
    b.start(); // same data directory and ports: the broker's log, the aggregator's state, the files
    double restartSeconds = (System.nanoTime() - restarting) / 1e9;
    List<Point> rest = notStored(b, input);
    try (Socket socket = new Socket("127.0.0.1", b.carbonPort)) {
      OutputStream out = socket.getOutputStream();
      out.write(Workload.lines(rest));
      out.flush();
    }
    long settling = System.nanoTime();
    b.awaitSettled(input.size());
    double settleSeconds = (System.nanoTime() - settling) / 1e9;
    // records of transactions the kill left open, aborted by the restarted process
    long archiveRecords = b.readAll(Topics.DEFAULT_ARCHIVES, true).size();
    long aborted = b.readAll(Topics.DEFAULT_ARCHIVES, false).size() - archiveRecords;
    // what the killed sink had committed: the rest is what the restarted one wrote and committed
    long sinkCommittedAtKill =
        archiveRecords - (long) Prometheus.value(Prometheus.scrape(b.metricsPort), SINK_COMMITTED);
    b.stop();
    double secondsB = (System.nanoTime() - startedB) / 1e9;

    Map<String, byte[]> here = WhisperTrees.read(b.dataDir);
    List<String> diff = WhisperTrees.differences(reference, here, 20);
    System.out.printf(
        "backfill crash: %d live and %d backfilled points over %d series; B killed with %d of"
            + " the backfilled points readable and %d of %d lines written by the client (%d before its"
            + " connection failed); %d lines sent again or for the first time after the restart; %d archive"
            + " records of aborted transactions; the sink had committed %d of the %d archive records, its"
            + " files held at least %d; A %.1f s, B %.1f s (ready %.1f s after the restart, settled %.1f s"
            + " after the rest was sent)%n",
        live.size(),
        backfill.size(),
        SERIES,
        readableAtKill,
        linesAtKill,
        input.size(),
        written,
        rest.size(),
        aborted,
        sinkCommittedAtKill,
        archiveRecords,
        live.size() + readableAtKill,
        secondsA,
        secondsB,
        restartSeconds,
        settleSeconds);
    assertThat(diff)
        .as(
            "differences from the uninterrupted run (%d files there, %d here)",
            reference.size(), here.size())
        .isEmpty();
  }

  static String metric(int series) {
    return String.format("backfill.h%d.s%02d", series % 5, series);
  }

  /**
   * {@value #LIVE_POINTS} points per series, 10 s apart, ending at T0, interleaved as live traffic
   * is.
   */
  private static List<Point> livePoints() {
    List<Point> out = new ArrayList<>();
    for (int i = 0; i < LIVE_POINTS; i++) {
      for (int s = 0; s < SERIES; s++) {
        out.add(new Point(metric(s), T0 - 10L * (LIVE_POINTS - 1 - i), 500_000 + s * 100L + i));
      }
    }
    return out;
  }

  /**
   * {@value #BACKFILL_PER_SERIES} points per series, each in its own slot of the archive it lands
   * in, with a timestamp anywhere in that slot: per series 10 runs of 4 neighbouring 10 s slots (a
   * minute each, so its 1 min slot passes the xFilesFactor once the third arrives) and 55 single 10
   * s slots; 2 runs of 6 neighbouring 1 min slots (6 of the 10 in a 10 min slot) and 53 single 1
   * min slots; 40 single 10 min slots. Shuffled across series and ages.
   */
  private static List<Backfill> backfill(Random random) {
    List<Backfill> out = new ArrayList<>();
    for (int s = 0; s < SERIES; s++) {
      String metric = metric(s);
      Set<Long> taken = new HashSet<>();
      List<Backfill> mine = new ArrayList<>();
      long firstValue = 1_000L * s;
      // 10 s archive: 20 min .. 5 h 44 min old
      while (mine.size() < 40) {
        long minute = T0 - between(random, 20 * MINUTE + 60, 5 * HOUR + 43 * MINUTE);
        minute -= Math.floorMod(minute, 60);
        if (taken.add(minute * 10)) { // one run per minute
          for (int k = 0; k < 4; k++) {
            long slot = minute + 10L * k;
            taken.add(slot * 10 + 1);
            mine.add(new Backfill(new Point(metric, slot + random.nextInt(10), 0), 10));
          }
        }
      }
      while (mine.size() < 95) {
        long slot = T0 - between(random, 20 * MINUTE, 5 * HOUR + 43 * MINUTE);
        slot -= Math.floorMod(slot, 10);
        if (taken.add(slot * 10 + 1)) {
          mine.add(new Backfill(new Point(metric, slot + random.nextInt(10), 0), 10));
        }
      }
      // 1 min archive: 6 h 15 min .. 6 d 23 h 44 min old
      while (mine.size() < 107) {
        long tenMinutes =
            T0 - between(random, 6 * HOUR + 16 * MINUTE + 600, 6 * DAY + 23 * HOUR + 33 * MINUTE);
        tenMinutes -= Math.floorMod(tenMinutes, 600);
        if (taken.add(tenMinutes * 10 + 2)) {
          for (int k = 0; k < 6; k++) {
            long slot = tenMinutes + 60L * k;
            taken.add(slot * 10 + 3);
            mine.add(new Backfill(new Point(metric, slot + random.nextInt(60), 0), 60));
          }
        }
      }
      while (mine.size() < 160) {
        long slot = T0 - between(random, 6 * HOUR + 16 * MINUTE, 6 * DAY + 23 * HOUR + 43 * MINUTE);
        slot -= Math.floorMod(slot, 60);
        if (taken.add(slot * 10 + 3)) {
          mine.add(new Backfill(new Point(metric, slot + random.nextInt(60), 0), 60));
        }
      }
      // 10 min archive: 7 d 16 min .. 8 weeks old
      while (mine.size() < BACKFILL_PER_SERIES) {
        long slot = T0 - between(random, 7 * DAY + 16 * MINUTE + 600, 56 * DAY);
        slot -= Math.floorMod(slot, 600);
        if (taken.add(slot * 10 + 4)) {
          mine.add(new Backfill(new Point(metric, slot + random.nextInt(600), 0), 600));
        }
      }
      for (int i = 0; i < mine.size(); i++) {
        Backfill b = mine.get(i);
        out.add(new Backfill(new Point(metric, b.point().timestamp(), firstValue + i), b.step()));
      }
    }
    Collections.shuffle(out, random);
    return out;
  }

  private static long between(Random random, long from, long to) {
    return from + (long) (random.nextDouble() * (to - from));
  }

  /**
   * How many backfilled points the files under {@code dataDir} hold, each in its slot of its
   * archive.
   */
  private static int readable(Path dataDir, List<Backfill> backfill) throws IOException {
    Map<String, List<Backfill>> bySeries = new LinkedHashMap<>();
    for (Backfill b : backfill) {
      bySeries.computeIfAbsent(b.point().metric(), k -> new ArrayList<>()).add(b);
    }
    long now = System.currentTimeMillis() / 1000;
    int n = 0;
    for (Map.Entry<String, List<Backfill>> e : bySeries.entrySet()) {
      Path file = fileOf(dataDir, e.getKey());
      try (WhisperFile f = WhisperFile.openReadOnly(file)) {
        for (Backfill b : e.getValue()) {
          FetchResult r = f.fetch(b.slot() - 1, b.slot(), now, b.step());
          if (r != null
              && r.fromInterval() == b.slot()
              && Double.valueOf(b.point().value()).equals(r.values()[0])) {
            n++;
          }
        }
      } catch (NoSuchFileException e2) {
        // not created yet
      }
    }
    return n;
  }

  private static void awaitAlive(Standalone s, long deadline, String what) {
    if (System.nanoTime() > deadline || !s.process.isAlive()) {
      fail(s.name + " never had " + what + "\n" + s.log());
    }
  }

  /** Each file's modification time, null while it does not exist. */
  private static List<FileTime> modified(List<Path> files) {
    List<FileTime> out = new ArrayList<>(files.size());
    for (Path f : files) {
      try {
        out.add(Files.getLastModifiedTime(f));
      } catch (IOException e) {
        out.add(null);
      }
    }
    return out;
  }

  private static void assertLivePointsReadable(Path dataDir, List<Point> live) throws IOException {
    long now = System.currentTimeMillis() / 1000;
    for (Point p : live) {
      try (WhisperFile f = WhisperFile.openReadOnly(fileOf(dataDir, p.metric()))) {
        FetchResult r = f.fetch(p.timestamp() - 1, p.timestamp(), now, 10);
        assertThat(r.values()[0])
            .as("%s at %d", p.metric(), p.timestamp())
            .isEqualTo((double) p.value());
      }
    }
  }

  private static Path fileOf(Path dataDir, String metric) {
    return dataDir.resolve("whisper/" + metric.replace('.', '/') + ".wsp");
  }

  /**
   * The input points the restarted process's points topic does not hold, in input order. Per series
   * the stored points must be a prefix of those sent, each stored once: the gateway keeps a
   * connection's order and its idempotent producer a partition's.
   */
  private static List<Point> notStored(Standalone s, List<Point> input) throws Exception {
    Deserializer<MetricPoint> decode =
        Topics.points(Topics.DEFAULT_POINTS).valueSerde().deserializer();
    Set<String> stored = new HashSet<>();
    Map<String, Integer> storedPerSeries = new HashMap<>();
    for (byte[] value : s.readAll(Topics.DEFAULT_POINTS, false)) {
      MetricPoint p = decode.deserialize(Topics.DEFAULT_POINTS, value);
      String key = p.getMetric() + "@" + p.getTimestamp();
      assertThat(stored.add(key)).as("stored once: " + key).isTrue();
      storedPerSeries.merge(p.getMetric().toString(), 1, Integer::sum);
    }
    Map<String, Integer> seen = new HashMap<>();
    List<Point> rest = new ArrayList<>();
    for (Point p : input) {
      int k = seen.merge(p.metric(), 1, Integer::sum);
      boolean isStored = stored.contains(p.metric() + "@" + p.timestamp());
      assertThat(isStored)
          .as("point %d of %s stored", k, p.metric())
          .isEqualTo(k <= storedPerSeries.getOrDefault(p.metric(), 0));
      if (!isStored) {
        rest.add(p);
      }
    }
    return rest;
  }

  private static Path writeConf(Path conf) throws IOException {
    Files.createDirectories(conf);
    Files.writeString(
        conf.resolve("storage-schemas.conf"),
        """
        [default]
        pattern = .*
        retentions = 10s:6h,1m:7d,10m:5y
        """);
    Files.writeString(
        conf.resolve("storage-aggregation.conf"),
        """
        [default]
        pattern = .*
        xFilesFactor = 0.5
        aggregationMethod = average
        """);
    return conf;
  }

  /**
   * One {@code bin/graphite-kafka standalone} installation: its data directory, ports and process.
   */
  private final class Standalone {
    final String name;
    final Path dataDir;
    final Path config;
    final Path conf;
    final int carbonPort;
    final int kafkaPort;
    final int udpPort;
    final int picklePort;
    final int metricsPort;
    final List<String> output = Collections.synchronizedList(new ArrayList<>());
    Process process;

    Standalone(String name, Path dataDir, Path conf) throws IOException {
      this.name = name;
      this.dataDir = dataDir;
      this.conf = conf;
      this.carbonPort = Services.freePort();
      this.kafkaPort = Services.freePort();
      this.udpPort = Services.freePort();
      this.picklePort = Services.freePort();
      this.metricsPort = Services.freePort();
      this.config = dir.resolve(name + ".properties");
      // no self-metrics series in the files; a restarted process's members replace the killed one's
      // after 6 s (the broker's minimum session timeout) instead of 45 s
      Files.writeString(
          config,
          """
          gateway.carbon.metric.interval.seconds=0
          aggregator.carbon.metric.interval.seconds=0
          sink.carbon.metric.interval.seconds=0
          aggregator.kafka.consumer.session.timeout.ms=6000
          aggregator.kafka.consumer.heartbeat.interval.ms=1500
          sink.kafka.session.timeout.ms=6000
          sink.kafka.heartbeat.interval.ms=1500
          """);
    }

    void start() throws Exception {
      ProcessBuilder builder =
          ChildProcesses.launcher(
              HOME,
              "-Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
              "standalone",
              "--config",
              config.toString(),
              "--data-dir",
              dataDir.toString(),
              "--conf-dir",
              conf.toString(),
              "--carbon-port",
              Integer.toString(carbonPort),
              "--kafka-port",
              Integer.toString(kafkaPort),
              "--udp-port",
              Integer.toString(udpPort),
              "--pickle-port",
              Integer.toString(picklePort),
              "--metrics-port",
              Integer.toString(metricsPort),
              "--partitions",
              "3");
      output.add("--- " + name + " started");
      Process p = builder.start();
      process = p;
      started.add(this);
      ChildProcesses.awaitReady(
          name,
          p,
          output,
          "",
          line -> line.startsWith("graphite-kafka ready"),
          Duration.ofSeconds(180));
    }

    /** SIGKILL. */
    void kill() throws InterruptedException {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(name + " survived SIGKILL").isTrue();
      }
    }

    /** SIGTERM, and waits for the process to stop. */
    void stop() throws InterruptedException {
      process.toHandle().destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS))
          .as(name + " stops within 60 s of SIGTERM")
          .isTrue();
    }

    String log() {
      return ChildProcesses.recent(output);
    }

    private KafkaProbe probe() {
      return new KafkaProbe("127.0.0.1:" + kafkaPort);
    }

    /**
     * Waits until the points topic holds {@code points} points, the aggregator has committed all of
     * them, the archive topic's committed end has not moved for four seconds (every pending slot
     * emitted and its transaction committed) and the sink has committed up to that end.
     */
    void awaitSettled(long points) throws Exception {
      try (KafkaProbe probe = probe()) {
        Await.until(
            points + " points in " + Topics.DEFAULT_POINTS,
            WAIT,
            Await.quietly(
                () -> KafkaProbe.sum(probe.endOffsets(Topics.DEFAULT_POINTS, false)) >= points),
            this::log);
        Map<Integer, Long> ends = probe.endOffsets(Topics.DEFAULT_POINTS, false);
        assertThat(KafkaProbe.sum(ends)).as("points in " + Topics.DEFAULT_POINTS).isEqualTo(points);
        Await.until(
            "the aggregator committed every point",
            WAIT,
            Await.quietly(
                () -> probe.committed(AGGREGATOR_GROUP, Topics.DEFAULT_POINTS).equals(ends)),
            this::log);
        AtomicReference<Map<Integer, Long>> last =
            new AtomicReference<>(probe.endOffsets(Topics.DEFAULT_ARCHIVES, true));
        AtomicLong stableSince = new AtomicLong(System.nanoTime());
        Await.until(
            "the sink committed every archive point",
            WAIT,
            Await.quietly(
                () -> {
                  Map<Integer, Long> now = probe.endOffsets(Topics.DEFAULT_ARCHIVES, true);
                  if (!now.equals(last.get())) {
                    last.set(now);
                    stableSince.set(System.nanoTime());
                    return false;
                  }
                  return System.nanoTime() - stableSince.get() > Duration.ofSeconds(4).toNanos()
                      && probe.committed(SINK_GROUP, Topics.DEFAULT_ARCHIVES).equals(now);
                }),
            this::log);
      }
    }

    /** Every record value of the topic up to its current end, of committed transactions or all. */
    List<byte[]> readAll(String topic, boolean readCommitted) throws Exception {
      try (KafkaProbe probe = probe()) {
        return probe.readAll(topic, readCommitted).stream().map(KafkaProbe.Rec::value).toList();
      }
    }
  }
}

package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.standalone.faults.Workload.Point;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.ChildProcesses;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash with points accepted and not yet in the files, then a restart as an operator's supervisor
 * restarts: the time from the restart until the files hold everything is measured and printed
 * (docs/RELIABILITY.md has the figures; no assertion depends on it), and the files must equal, byte
 * for byte, those of an uninterrupted run of the same input.
 *
 * <ul>
 *   <li>the standalone, killed with SIGKILL once Kafka has acknowledged all of 200,000 points;
 *   <li>the aggregator alone, in the separate-process topology, killed while most of the input is
 *       still unread;
 *   <li>the sink alone, killed while most of the aggregator's output is still unwritten.
 * </ul>
 *
 * Every process runs with its defaults, so the restarted aggregator and sink are the static group
 * members their state and data directories make them.
 */
@ExtendWith(FaultsFixture.Extension.class)
class RestartTimesIT {

  private static final String PRODUCED = "graphite_kafka_relays_pointsProduced_total";
  private static final String APPLICATION_ID = "graphite-kafka-aggregator";
  private static final String SINK_GROUP = "graphite-kafka-sink";
  private static final Duration WAIT = Duration.ofSeconds(240);

  /** Series and slots of the standalone's input: 200,000 points. */
  private static final int SERIES = 2_000;

  private static final int SLOTS = 100;

  @TempDir Path dir;

  @Test
  void standaloneKilledWith200000PointsAcceptedIsCaughtUpSoonAfterItsRestart() throws Exception {
    List<Point> input = standaloneInput();
    Path conf = Workload.writeConf(dir.resolve("conf"));
    List<String> output = Collections.synchronizedList(new ArrayList<>());

    Map<String, byte[]> reference;
    try (StandaloneRun ref =
        new StandaloneRun("reference", dir.resolve("reference"), conf, output)) {
      ref.start();
      ref.send(input);
      ref.awaitCaughtUp(input.size());
      ref.stop();
      reference = WhisperTrees.read(ref.dataDir);
    }
    assertThat(reference).as("one file per series in the uninterrupted run").hasSize(SERIES);

    try (StandaloneRun run = new StandaloneRun("killed", dir.resolve("killed"), conf, output)) {
      run.start();
      run.send(input);
      Await.until(
          "Kafka acknowledged all " + input.size() + " points",
          WAIT,
          Await.quietly(() -> Prometheus.value(run.metrics(), PRODUCED) == input.size()),
          () -> ChildProcesses.recent(output));
      // read just before the kill (the broker dies with the process)
      long sunkAtKill = KafkaProbe.sum(run.kafka.committed(SINK_GROUP, Topics.DEFAULT_ARCHIVES));
      long aggregatedAtKill =
          KafkaProbe.sum(run.kafka.committed(APPLICATION_ID, Topics.DEFAULT_POINTS));
      run.kill();
      assertThat(aggregatedAtKill)
          .as("killed with accepted points the aggregator had not committed, so not in the files")
          .isLessThan(input.size());

      long restarted = System.nanoTime();
      run.start();
      long caughtUp = run.awaitCaughtUp(input.size());
      Await.until(
          "the start-up summaries logged",
          Duration.ofSeconds(30),
          () -> run.startupSummary().size() == 3,
          () -> ChildProcesses.recent(output));
      assertThat(run.startupSummary())
          .anyMatch(l -> l.startsWith("sink start-up summary: group joined after"))
          .anyMatch(l -> l.startsWith("aggregator start-up summary:") && l.contains("caught up"))
          .anyMatch(
              l ->
                  l.startsWith("standalone start-up summary: broker up after")
                      && l.contains("caught up after"));
      run.stop();
      Pipeline.assertSameFiles(reference, run.dataDir);
      System.out.printf(
          "restart standalone: killed with %d points acknowledged, %d aggregated and %d archive"
              + " points written; caught up %.1f s after the restart (%s)%n",
          input.size(),
          aggregatedAtKill,
          sunkAtKill,
          (caughtUp - restarted) / 1e9,
          String.join("; ", run.startupSummary()));
    }
  }

  @Test
  void aggregatorKilledAloneIsCaughtUpSoonAfterItsRestart(FaultsFixture f) throws Exception {
    aggregatorKilledAndRestarted(f, "restart-aggregator", false);
  }

  /**
   * What a crash on a failing disk leaves: every RocksDB store's CURRENT file overwritten and a
   * half-written checkpoint file in every task directory. Each is named in the log, and the state
   * is rebuilt from the changelog.
   */
  @Test
  void aggregatorRestartedOnADamagedStateDirectoryRebuildsItAndWritesTheSameFiles(FaultsFixture f)
      throws Exception {
    aggregatorKilledAndRestarted(f, "damaged-state", true);
  }

  private void aggregatorKilledAndRestarted(FaultsFixture f, String name, boolean damage)
      throws Exception {
    List<Rec> points = f.referencePoints();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, name, dir, services);
      Service first =
          Services.together(
                  List.of(
                      () ->
                          services.start(
                              "aggregator-1", "aggregator", p.aggregatorSettings("state")),
                      () -> p.sink("sink")))
              .get(0);
      // every point accepted at once, as a gateway in front of many clients would
      f.kafka().copyPaced(points, p.points, 1_000_000).join(TimeUnit.MINUTES.toMillis(2));
      AtomicLong atKill = new AtomicLong();
      Await.until(
          "the aggregator committed its first points",
          Pipeline.WAIT,
          Await.quietly(
              () -> {
                atKill.set(KafkaProbe.sum(f.kafka().committed(p.appId, p.points)));
                return atKill.get() > 0;
              }),
          p::state);
      first.kill();
      long committedAtKill = KafkaProbe.sum(f.kafka().committed(p.appId, p.points));
      assertThat(committedAtKill).as("killed with input left unread").isLessThan(points.size());

      int damagedTasks = damage ? damage(dir.resolve("state").resolve(p.appId)) : 0;

      long restarted = System.nanoTime();
      services.start("aggregator-2", "aggregator", p.aggregatorSettings("state"));
      long caughtUp =
          CaughtUp.await(
              f.kafka(),
              p.points,
              p.appId,
              p.archives,
              p.sinkGroup,
              points.size(),
              WAIT,
              () -> p.state() + "\n" + services.log());
      p.assertSameFilesAsReference();
      List<String> named = services.linesOf("aggregator-2", "state directory check:");
      if (damage) {
        assertThat(named).as("every damaged task named in the log").hasSize(damagedTasks);
        assertThat(named).allMatch(l -> l.contains("is corrupt") && l.contains("rebuilt"));
      } else {
        assertThat(named).as("an intact state directory is left alone").isEmpty();
      }
      System.out.printf(
          "restart %s: killed with %d of %d points committed; caught up %.1f s after the"
              + " restart (%s)%n",
          name,
          committedAtKill,
          points.size(),
          (caughtUp - restarted) / 1e9,
          String.join("; ", services.linesOf("aggregator-2", "start-up summary")));
    }
  }

  @Test
  void sinkKilledAloneIsCaughtUpSoonAfterItsRestart(FaultsFixture f) throws Exception {
    List<Rec> points = f.referencePoints();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "restart-sink", dir, services);
      p.aggregator("aggregator");
      f.kafka().copyPaced(points, p.points, 1_000_000).join(TimeUnit.MINUTES.toMillis(2));
      p.awaitAggregated(points.size());
      long archives = KafkaProbe.sum(f.kafka().endOffsets(p.archives, true));

      // the first sink is slow (a busy disk), so it is killed with most of its input unwritten
      Map<String, String> slow = p.sinkSettings();
      slow.put("max.updates.per.second", "200");
      Service first = services.start(p.name + "-sink-1", "sink", slow);
      AtomicLong sunk = new AtomicLong();
      Await.until(
          "the sink committed its first archive points",
          Pipeline.WAIT,
          Await.quietly(
              () -> {
                sunk.set(KafkaProbe.sum(f.kafka().committed(p.sinkGroup, p.archives)));
                return sunk.get() > 0;
              }),
          p::state);
      first.kill();
      long committedAtKill = KafkaProbe.sum(f.kafka().committed(p.sinkGroup, p.archives));
      assertThat(committedAtKill)
          .as("killed with most of the archive points unwritten")
          .isLessThan(archives / 2);

      long restarted = System.nanoTime();
      p.sink("sink-2");
      long caughtUp =
          CaughtUp.await(
              f.kafka(),
              p.points,
              p.appId,
              p.archives,
              p.sinkGroup,
              points.size(),
              WAIT,
              () -> p.state() + "\n" + services.log());
      p.assertSameFilesAsReference();
      System.out.printf(
          "restart sink: killed with %d of %d archive records committed; caught up %.1f s after the"
              + " restart (%s)%n",
          committedAtKill,
          archives,
          (caughtUp - restarted) / 1e9,
          String.join("; ", services.linesOf(p.name + "-sink-2", "start-up summary")));
    }
  }

  /**
   * Damages every task directory below {@code appDir}: a half-written checkpoint file, and every
   * RocksDB store's CURRENT file pointing nowhere. Returns the number of task directories.
   */
  private static int damage(Path appDir) throws IOException {
    List<Path> tasks;
    try (Stream<Path> s = Files.list(appDir)) {
      tasks = s.filter(t -> t.getFileName().toString().matches("\\d+_\\d+")).toList();
    }
    for (Path task : tasks) {
      Files.writeString(task.resolve(".checkpoint"), "0\n3\n" + "carbon.points 0 12");
      Path rocksdb = task.resolve("rocksdb");
      if (Files.isDirectory(rocksdb)) {
        try (Stream<Path> stores = Files.list(rocksdb)) {
          for (Path store : stores.toList()) {
            Files.writeString(store.resolve("CURRENT"), "MANIFEST-999999\n");
          }
        }
      }
    }
    assertThat(tasks).as("task directories to damage").isNotEmpty();
    return tasks.size();
  }

  /** 2,000 series of 100 ten-second slots each, in the order a Carbon client would send them. */
  private static List<Point> standaloneInput() {
    List<Point> out = new ArrayList<>(SERIES * SLOTS);
    for (int i = 0; i < SLOTS; i++) {
      for (int s = 0; s < SERIES; s++) {
        out.add(
            new Point(
                Workload.metric(s),
                Workload.START + (long) Workload.STEP * i,
                (s * 31L + i * 17L) % 1000));
      }
    }
    return out;
  }

  /**
   * {@code bin/graphite-kafka standalone} on fixed ports, started again on the same directories.
   */
  private static final class StandaloneRun implements AutoCloseable {
    final String name;
    final Path dataDir;
    final Path conf;
    final List<String> output;
    final int carbonPort;
    final int picklePort;
    final int carbonlinkPort;
    final int kafkaPort;
    final int metricsPort;
    final KafkaProbe kafka;
    Process process;
    int starts;

    StandaloneRun(String name, Path dir, Path conf, List<String> output) throws Exception {
      this.name = name;
      this.dataDir = dir.resolve("data");
      this.conf = conf;
      this.output = output;
      this.carbonPort = Services.freePort();
      this.picklePort = Services.freePort();
      this.carbonlinkPort = Services.freePort();
      this.kafkaPort = Services.freePort();
      this.metricsPort = Services.freePort();
      this.kafka = new KafkaProbe("127.0.0.1:" + kafkaPort);
    }

    /** Launches the process; returns at once, without waiting for it to be ready. */
    void start() throws Exception {
      starts++;
      process =
          ChildProcesses.launcher(
                  Services.HOME,
                  "",
                  "standalone",
                  "--data-dir",
                  dataDir.toString(),
                  "--conf-dir",
                  conf.toString(),
                  "--bind",
                  "127.0.0.1",
                  "--carbon-port",
                  Integer.toString(carbonPort),
                  "--udp-port",
                  Integer.toString(carbonPort),
                  "--pickle-port",
                  Integer.toString(picklePort),
                  "--kafka-port",
                  Integer.toString(kafkaPort),
                  "--metrics-port",
                  Integer.toString(metricsPort),
                  "--carbonlink-port",
                  Integer.toString(carbonlinkPort))
              .start();
      ChildProcesses.copyOutput(name, process, output, name + "-" + starts + ": ");
    }

    /** Sends every point over one connection, once the process listens. */
    void send(List<Point> points) throws Exception {
      Await.until(
          name + " ready",
          WAIT,
          () -> {
            assertThat(process.isAlive())
                .as(() -> name + " running; its last lines:\n" + ChildProcesses.recent(output))
                .isTrue();
            return !linesOf(" ready").isEmpty();
          },
          () -> ChildProcesses.recent(output));
      try (Socket socket = new Socket("127.0.0.1", carbonPort)) {
        OutputStream out = socket.getOutputStream();
        out.write(Workload.lines(points));
        out.flush();
      }
    }

    long awaitCaughtUp(long expectedPoints) throws InterruptedException {
      return CaughtUp.await(
          kafka,
          Topics.DEFAULT_POINTS,
          APPLICATION_ID,
          Topics.DEFAULT_ARCHIVES,
          SINK_GROUP,
          expectedPoints,
          WAIT,
          () -> ChildProcesses.recent(output));
    }

    Map<String, Double> metrics() throws Exception {
      return Prometheus.scrape(metricsPort);
    }

    /** The start-up summaries the current process logged. */
    List<String> startupSummary() {
      return linesOf("start-up summary").stream()
          .map(l -> l.substring(l.indexOf("StartupPhases: ") + "StartupPhases: ".length()))
          .toList();
    }

    private List<String> linesOf(String text) {
      String prefix = name + "-" + starts + ": ";
      synchronized (output) {
        return output.stream().filter(l -> l.startsWith(prefix) && l.contains(text)).toList();
      }
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(name + " killed").isTrue();
    }

    /** SIGTERM, as a supervisor stops it, and waits. */
    void stop() throws InterruptedException {
      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(name + " stopped").isTrue();
    }

    @Override
    public void close() {
      kafka.close();
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}

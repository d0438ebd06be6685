package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults at the storage end, on the archive points the reference run's aggregator committed
 * (137,000 records for the workload's 113,684 points): a sink killed with SIGKILL, a data directory
 * on a filesystem that fills up, writes refused by the kernel, and corrupt files in the data
 * directory. The sink is a separate {@code bin/graphite-kafka sink} process; its files are compared
 * byte for byte with the reference run's.
 */
@ExtendWith(FaultsFixture.Extension.class)
class SinkFaultsIT {

  private static final String REFERENCE_ARCHIVES = "archives-reference";
  private static final String ERRORS = "graphite_kafka_agents_errors_total";
  private static final String WRITE_ERRORS = "graphite_kafka_agents_writeErrors_total";
  private static final String STALLED = "graphite_kafka_agents_stalledSeconds";

  @TempDir Path dir;

  @Test
  void sinkKilledMidStreamAndRestartedWritesTheSameFiles(FaultsFixture f) throws Exception {
    List<Rec> archives = f.referenceArchives();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "sinkkill", dir, services);
      // static membership, as OPERATIONS.md advises for group mode: the restarted process takes its
      // partitions back at once instead of waiting for the killed one's session to expire
      Map<String, String> settings = p.sinkSettings();
      settings.put("group.instance.id", "storage1");
      Service first = services.start("sink-1", "sink", settings);
      Thread copy = f.kafka().copyPaced(archives, p.archives, 25_000);
      awaitCommitted(f, p.sinkGroup, p.archives, archives.size() / 4, services);
      first.kill();
      long atKill = KafkaProbe.sum(f.kafka().committed(p.sinkGroup, p.archives));
      long filesAtKill = WhisperTrees.count(p.dataDir);
      assertThat(atKill).as("killed in the middle of the stream").isLessThan(archives.size());

      services.start("sink-2", "sink", settings);
      copy.join(TimeUnit.MINUTES.toMillis(3));
      p.awaitSunk(p.sinkGroup, p.archives);
      p.assertSameFilesAsReference();
      System.out.printf(
          "faults sink kill: killed with %d of %d archive points committed, %d files%n",
          atKill, archives.size(), filesAtKill);
    }
  }

  @Test
  void corruptFilesAreCountedAndRejectedAndEveryOtherSeriesIsWritten(FaultsFixture f)
      throws Exception {
    Map<String, byte[]> reference = f.referenceFiles();
    // three series' files damaged before the sink starts: an aggregation type of 99, a file cut
    // inside its archive table, and an empty file
    Map<String, String> damaged = new TreeMap<>();
    damaged.put(Workload.metric(5), path(Workload.metric(5)));
    damaged.put(Workload.metric(601), path(Workload.metric(601)));
    damaged.put(Workload.metric(1199), path(Workload.metric(1199)));
    List<String> paths = List.copyOf(damaged.values());
    byte[] badType = reference.get(paths.get(0)).clone();
    badType[3] = 99;
    byte[] cut = Arrays.copyOf(reference.get(paths.get(1)), 40);
    byte[] empty = new byte[0];
    Map<String, byte[]> expected = new TreeMap<>(reference);
    expected.put(paths.get(0), badType);
    expected.put(paths.get(1), cut);
    expected.put(paths.get(2), empty);

    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "corrupt", dir, services);
      for (String path : paths) {
        Path file = p.dataDir.resolve("whisper").resolve(path);
        Files.createDirectories(file.getParent());
        Files.write(file, expected.get(path));
      }
      Map<String, String> settings = p.sinkSettings();
      settings.put("topic.archives", REFERENCE_ARCHIVES);
      Service sink = services.start("corrupt-sink", "sink", settings);
      p.awaitSunk(p.sinkGroup, REFERENCE_ARCHIVES);

      Pipeline.assertSameFiles(expected, p.dataDir);
      Set<String> names = damaged.keySet();
      long ofDamaged =
          f.referenceArchives().stream()
              .filter(r -> names.contains(new String(r.key(), StandardCharsets.UTF_8)))
              .count();
      Map<String, Double> m = sink.metrics();
      assertThat(Prometheus.value(m, "graphite_kafka_agents_rejects_corrupt_file_total"))
          .as("records of the damaged series rejected")
          .isEqualTo(ofDamaged);
      assertThat(Prometheus.value(m, ERRORS)).isGreaterThanOrEqualTo(3);
      assertThat(Prometheus.value(m, WRITE_ERRORS))
          .as("a corrupt file is not a failed write")
          .isZero();
      List<Rec> rejects = f.kafka().readAll(p.rejects, false);
      assertThat(rejects)
          .as("one reject record per record of a damaged series")
          .hasSize((int) ofDamaged);
      assertThat(rejects)
          .allSatisfy(
              r ->
                  assertThat(new String(r.key(), StandardCharsets.UTF_8))
                      .isEqualTo("corrupt_file"));
      System.out.printf(
          "faults corrupt files: %d records of 3 damaged series rejected, %d other files"
              + " identical%n",
          ofDamaged, reference.size() - 3);
    }
  }

  @Test
  void fullFilesystemStallsTheSinkWhichResumesWithoutLossOnceSpaceReturns(FaultsFixture f)
      throws Exception {
    Path mount = Files.createDirectories(dir.resolve("small-disk"));
    String refused = run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mount.toString());
    Assumptions.assumeTrue(
        refused == null,
        () ->
            "skipping the full-filesystem scenario: cannot mount a"
                + " 48 MiB tmpfs (needs root or CAP_SYS_ADMIN): "
                + refused
                + ". The file-size-limit scenario"
                + " exercises the same failure path without privileges.");
    try {
      // leave room for about 15 MiB: some 450 of the 1,200 files (32 KiB each on tmpfs)
      Path filler = mount.resolve("filler");
      long fill = Files.getFileStore(mount).getUsableSpace() - 15L * 1024 * 1024;
      writeZeros(filler, fill);
      try (Services services = new Services(dir)) {
        Pipeline p = new Pipeline(f, "diskfull", dir, services);
        Map<String, String> settings = p.sinkSettings();
        settings.put("data.dir", mount.toString());
        settings.put("topic.archives", REFERENCE_ARCHIVES);
        settings.put("write.batch.max.records", "2000");
        Service sink = services.start("diskfull-sink", "sink", settings);
        Stall stall = awaitStall(f, p, sink, REFERENCE_ARCHIVES, mount);
        assertThat(services.linesOf(sink.name(), "No space left on device"))
            .as("the sink's log")
            .isNotEmpty();

        Files.delete(filler); // space returns
        p.awaitSunk(p.sinkGroup, REFERENCE_ARCHIVES);
        Pipeline.assertSameFiles(f.referenceFiles(), mount);
        assertRecovered(sink);
        System.out.printf(
            "faults disk full: stalled with %d of %d archive points committed and %d files,"
                + " %d write errors counted; resumed and wrote all%n",
            stall.committed, f.referenceArchives().size(), stall.files, stall.writeErrors);
      }
    } finally {
      if (run("umount", mount.toString()) != null) {
        run("umount", "-l", mount.toString());
      }
    }
  }

  @Test
  void writesRefusedByTheKernelStallTheSinkWhichResumesWithoutLoss(FaultsFixture f)
      throws Exception {
    Path prlimit = Path.of("/usr/bin/prlimit");
    Assumptions.assumeTrue(Files.isExecutable(prlimit), "prlimit (util-linux) is not installed");
    List<Rec> archives = f.referenceArchives();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "fsize", dir, services);
      Map<String, String> settings = p.sinkSettings();
      settings.put("write.batch.max.records", "2000");
      Service sink = services.start("fsize-sink", "sink", settings);
      Thread copy = f.kafka().copyPaced(archives, p.archives, 25_000);
      awaitCommitted(f, p.sinkGroup, p.archives, archives.size() / 5, services);
      // RLIMIT_FSIZE 0 on the running sink: every write into a regular file now fails with EFBIG
      // (the JVM ignores SIGXFSZ), as every write fails on a full disk; only the soft limit changes
      String lowered = run(prlimit.toString(), "--pid", Long.toString(sink.pid()), "--fsize=0:");
      assertThat(lowered).as("prlimit").isNull();
      Stall stall = awaitStall(f, p, sink, p.archives, p.dataDir);
      assertThat(services.linesOf(sink.name(), "File too large")).as("the sink's log").isNotEmpty();

      String raised =
          run(prlimit.toString(), "--pid", Long.toString(sink.pid()), "--fsize=unlimited:");
      assertThat(raised).as("prlimit").isNull();
      copy.join(TimeUnit.MINUTES.toMillis(3));
      p.awaitSunk(p.sinkGroup, p.archives);
      p.assertSameFilesAsReference();
      assertRecovered(sink);
      System.out.printf(
          "faults write refusal: stalled with %d of %d archive points committed and %d"
              + " files, %d write errors counted; resumed and wrote all%n",
          stall.committed, archives.size(), stall.files, stall.writeErrors);
    }
  }

  private record Stall(long committed, long files, long writeErrors) {}

  /**
   * Waits until the sink reports failed writes and then for a three-second window in which its
   * committed offsets do not move while it keeps retrying (partitions not yet at a failing write
   * may still advance for a moment); then checks that it is stalled rather than skipping or
   * crashing: still running, its {@code stalledSeconds} gauge counting, part of the stream
   * committed, not all.
   */
  private static Stall awaitStall(
      FaultsFixture f, Pipeline p, Service sink, String topic, Path dataDir) throws Exception {
    Await.until(
        "the sink counts write errors",
        Pipeline.WAIT,
        Await.quietly(() -> Prometheus.value(sink.metrics(), WRITE_ERRORS) > 0),
        () -> p.state() + "\n" + p.services.log());
    long deadline = System.nanoTime() + Pipeline.WAIT.toNanos();
    while (true) {
      Map<Integer, Long> before = f.kafka().committed(p.sinkGroup, topic);
      double errorsBefore = Prometheus.value(sink.metrics(), WRITE_ERRORS);
      Thread.sleep(3_000);
      Map<String, Double> m = sink.metrics();
      Map<Integer, Long> after = f.kafka().committed(p.sinkGroup, topic);
      assertThat(sink.process().isAlive()).as("the sink keeps running").isTrue();
      if (after.equals(before) && Prometheus.value(m, WRITE_ERRORS) > errorsBefore) {
        assertThat(Prometheus.value(m, STALLED)).as("stalledSeconds").isGreaterThan(2.5);
        long committed = KafkaProbe.sum(after);
        assertThat(committed)
            .as("stalled in the middle of the stream")
            .isPositive()
            .isLessThan(f.referenceArchives().size());
        long files = WhisperTrees.count(dataDir);
        assertThat(files).isLessThan(Workload.SERIES);
        return new Stall(committed, files, (long) Prometheus.value(m, WRITE_ERRORS));
      }
      assertThat(System.nanoTime())
          .as("a 3 s window without commits while writes fail; last: %s -> %s", before, after)
          .isLessThan(deadline);
    }
  }

  private static void assertRecovered(Service sink) throws Exception {
    assertThat(sink.process().isAlive()).as("the same sink process, never restarted").isTrue();
    assertThat(Prometheus.value(sink.metrics(), STALLED))
        .as("stalledSeconds after recovery")
        .isZero();
  }

  private static void awaitCommitted(
      FaultsFixture f, String group, String topic, long count, Services services)
      throws InterruptedException {
    AtomicLong committed = new AtomicLong();
    Await.until(
        group + " committed " + count + " records of " + topic,
        Pipeline.WAIT,
        Await.quietly(
            () -> {
              committed.set(KafkaProbe.sum(f.kafka().committed(group, topic)));
              return committed.get() >= count;
            }),
        () -> "committed " + committed.get() + "\n" + services.log());
  }

  private static String path(String metric) {
    return metric.replace('.', '/') + ".wsp";
  }

  private static void writeZeros(Path file, long bytes) throws IOException {
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = bytes; left > 0; left -= chunk.length) {
        out.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
    }
  }

  /** Runs a command; null when it succeeded, else its output and status. */
  private static String run(String... command) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return String.join(" ", command) + " did not finish";
      }
      return p.exitValue() == 0 ? null : out + " (exit status " + p.exitValue() + ")";
    } catch (IOException e) {
      return e.toString();
    }
  }
}

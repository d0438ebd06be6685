package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.assertSameFiles;
import static io.graphitekafka.sink.consumer.SinkTestSupport.awaitCommitted;
import static io.graphitekafka.sink.consumer.SinkTestSupport.point;
import static io.graphitekafka.sink.consumer.SinkTestSupport.produce;
import static io.graphitekafka.sink.consumer.SinkTestSupport.props;
import static io.graphitekafka.sink.consumer.SinkTestSupport.tree;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.consumer.SinkTestSupport.Names;
import io.graphitekafka.whisper.WhisperFile;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ownership on storage hosts: explicit partitions, replica groups, and replay into empty
 * directories.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class StorageHostsIT {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120)), AggregationMethod.SUM, 0f);
  private static final long NOW = System.currentTimeMillis() / 1000;
  private static final long START = NOW - Math.floorMod(NOW, 60) - 1800;
  private static final int SERIES = 80;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path tmp;
  private Names names;
  private int records;

  @BeforeEach
  void produceStream(EmbeddedKafkaBroker kafka) {
    names = Names.create(kafka, 4);
    List<ArchivePoint> points = points("hosts", 0, 40);
    produce(kafka, names.archives(), points);
    records = points.size();
  }

  private static List<ArchivePoint> points(String prefix, int from, int to) {
    List<ArchivePoint> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      for (int s = 0; s < SERIES; s++) {
        String metric = prefix + ".dc" + (s % 3) + ".s" + s;
        out.add(point(metric, LAYOUT, 0, START + 10L * ((i * 7 + s) % 40), s + i * 0.5));
        if (i % 6 == 0) {
          out.add(point(metric, LAYOUT, 1, START + 60L * (i / 6), i));
        }
      }
    }
    return out;
  }

  private Sink sink(EmbeddedKafkaBroker kafka, Path dir, String group, Map<String, Object> extra) {
    Map<String, Object> props = props(kafka, names, dir, group);
    props.putAll(extra);
    Sink sink = new Sink(new SinkConfig(props));
    sink.start();
    return sink;
  }

  private void writeAll(EmbeddedKafkaBroker kafka, Path dir, String group) throws Exception {
    try (Sink sink = sink(kafka, dir, group, Map.of())) {
      awaitCommitted(kafka, group, names.archives(), records, WAIT);
    }
  }

  @Test
  void twoHostsWithExplicitPartitionsHoldDisjointSeriesWhoseUnionIsAll(EmbeddedKafkaBroker kafka)
      throws Exception {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    Path all = tmp.resolve("all");
    String group = "explicit-" + names.suffix(); // one group: explicit owners commit side by side
    try (Sink first = sink(kafka, a, group, Map.of(SinkConfig.PARTITIONS, "0,2"));
        Sink second = sink(kafka, b, group, Map.of(SinkConfig.PARTITIONS, "1-1,3"))) {
      awaitCommitted(kafka, group, names.archives(), records, WAIT);
    }
    writeAll(kafka, all, "all-" + names.suffix());

    Set<String> onA = tree(a).keySet();
    Set<String> onB = tree(b).keySet();
    assertThat(onA).isNotEmpty();
    assertThat(onB).isNotEmpty();
    assertThat(onA).doesNotContainAnyElementsOf(onB);
    Set<String> union = new HashSet<>(onA);
    union.addAll(onB);
    assertThat(union).hasSize(SERIES).isEqualTo(tree(all).keySet());
    for (String file : onA) {
      assertThat(tree(a).get(file)).as(file).isEqualTo(tree(all).get(file));
    }
    for (String file : onB) {
      assertThat(tree(b).get(file)).as(file).isEqualTo(tree(all).get(file));
    }
  }

  @Test
  void replicaGroupsWriteIdenticalFilesWhateverTheirMembership(EmbeddedKafkaBroker kafka)
      throws Exception {
    Path replicaA = tmp.resolve("replica-a");
    Path replicaB = tmp.resolve("replica-b");
    String groupA = "replica-a-" + names.suffix();
    String groupB = "replica-b-" + names.suffix();
    // replica A: two static members sharing the partitions through the cooperative sticky assignor
    try (Sink a1 = sink(kafka, replicaA, groupA, Map.of(SinkConfig.GROUP_INSTANCE_ID, "host-a1"));
        Sink a2 = sink(kafka, replicaA, groupA, Map.of(SinkConfig.GROUP_INSTANCE_ID, "host-a2"));
        Sink b = sink(kafka, replicaB, groupB, Map.of(SinkConfig.GROUP_INSTANCE_ID, "host-b1"))) {
      awaitCommitted(kafka, groupA, names.archives(), records, WAIT);
      awaitCommitted(kafka, groupB, names.archives(), records, WAIT);
      List<ArchivePoint> more = points("hosts", 40, 60);
      produce(kafka, names.archives(), more);
      records += more.size();
      awaitCommitted(kafka, groupA, names.archives(), records, WAIT);
      awaitCommitted(kafka, groupB, names.archives(), records, WAIT);
    }
    assertThat(tree(replicaA)).hasSize(SERIES);
    assertSameFiles(replicaA, replicaB);
  }

  @Test
  void replayFromEarliestRebuildsIdenticalFilesInBothOwnershipModes(EmbeddedKafkaBroker kafka)
      throws Exception {
    Path original = tmp.resolve("original");
    String group = "rebuild-" + names.suffix();
    writeAll(kafka, original, group);

    // the same group has committed everything; replay ignores that and starts over
    Path rebuiltByGroup = tmp.resolve("rebuilt-group");
    try (Sink sink =
        sink(kafka, rebuiltByGroup, group, Map.of(SinkConfig.REPLAY_FROM, "earliest"))) {
      SinkTestSupport.await(
          "rebuild in group mode", WAIT, () -> sink.stats().committedPoints.sum() == records);
    }
    assertSameFiles(original, rebuiltByGroup);

    Path rebuiltExplicit = tmp.resolve("rebuilt-explicit");
    try (Sink sink =
        sink(
            kafka,
            rebuiltExplicit,
            group,
            Map.of(SinkConfig.REPLAY_FROM, "earliest", SinkConfig.PARTITIONS, "0-3"))) {
      SinkTestSupport.await(
          "rebuild in explicit mode", WAIT, () -> sink.stats().committedPoints.sum() == records);
    }
    assertSameFiles(original, rebuiltExplicit);
  }

  @Test
  void replayFromAnInstantStartsAtTheFirstRecordStampedAtOrAfterIt(EmbeddedKafkaBroker kafka)
      throws Exception {
    Thread.sleep(20);
    Instant since = Instant.now(); // after every record of the stream produced before the test
    Thread.sleep(20);
    List<ArchivePoint> late = points("late", 0, 2);
    produce(kafka, names.archives(), late);
    records += late.size();
    String group = "instant-" + names.suffix();
    writeAll(kafka, tmp.resolve("everything"), group);

    Path dir = tmp.resolve("since");
    try (Sink sink = sink(kafka, dir, group, Map.of(SinkConfig.REPLAY_FROM, since.toString()))) {
      SinkTestSupport.await(
          "replay of the late records",
          WAIT,
          () -> sink.stats().committedPoints.sum() >= late.size());
      Thread.sleep(500);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(late.size());
    }
    assertThat(tree(dir).keySet()).hasSize(SERIES).allMatch(f -> f.startsWith("whisper/late/"));
  }

  /**
   * Rebuilding a lost host from a backup: restore the files as they were at the backup, then replay
   * from the backup's time. Only the records stamped since then are read; the slots they carry are
   * rewritten (also where the restored or damaged files hold something else), and every slot that
   * only earlier records wrote keeps what the files hold, even a value the topic never carried.
   */
  @Test
  void replayFromTheBackupTimeRewritesOnlyNewerRecordsAndKeepsOlderSlots(EmbeddedKafkaBroker kafka)
      throws Exception {
    String group = "lost-" + names.suffix();
    Path host = tmp.resolve("host");
    writeAll(kafka, host, group);
    Path backup = copy(host, tmp.resolve("backup"));
    Thread.sleep(20);
    Instant backupTime = Instant.now();
    Thread.sleep(20);
    List<ArchivePoint> newer = new ArrayList<>();
    for (int s = 0; s < SERIES; s++) {
      String metric = "hosts.dc" + (s % 3) + ".s" + s;
      for (int i = 0; i < 30; i++) {
        newer.add(point(metric, LAYOUT, 0, START + 600 + 10L * i, 1000 + s + i));
      }
      for (int i = 0; i < 5; i++) {
        newer.add(point(metric, LAYOUT, 1, START + 600 + 60L * i, 2000 + s + i));
      }
    }
    produce(kafka, names.archives(), newer);
    records += newer.size();
    writeAll(kafka, host, group); // the host as it was when it was lost

    // a slot written only before the backup, holding a value no record on the topic carries
    String file = "whisper/hosts/dc0/s0.wsp";
    Path restored = copy(backup, tmp.resolve("restored"));
    overwrite(restored.resolve(file), 0, START, 12345.0);
    // the same, on a copy of the host whose newer slots were damaged
    Path damaged = copy(host, tmp.resolve("damaged"));
    for (String f : tree(damaged).keySet()) {
      for (int i = 0; i < 30; i++) {
        overwrite(damaged.resolve(f), 0, START + 600 + 10L * i, -1);
      }
      overwrite(damaged.resolve(f), 1, START + 600, -1);
    }
    overwrite(damaged.resolve(file), 0, START, 12345.0);
    Path expected = copy(host, tmp.resolve("expected"));
    overwrite(expected.resolve(file), 0, START, 12345.0);
    assertThat(tree(restored).get(file)).isNotEqualTo(tree(expected).get(file));
    assertThat(tree(damaged).get(file)).isNotEqualTo(tree(expected).get(file));

    for (Path dir : List.of(restored, damaged)) {
      try (Sink sink =
          sink(
              kafka,
              dir,
              "rebuild-" + dir.getFileName() + "-" + names.suffix(),
              Map.of(SinkConfig.REPLAY_FROM, backupTime.toString()))) {
        SinkTestSupport.await(
            "replay since the backup into " + dir,
            WAIT,
            () -> sink.stats().committedPoints.sum() >= newer.size());
        Thread.sleep(500);
        assertThat(sink.stats().committedPoints.sum())
            .as("points read since the backup")
            .isEqualTo(newer.size());
      }
      assertSameFiles(expected, dir);
    }
  }

  private static Path copy(Path from, Path to) throws java.io.IOException {
    try (var files = java.nio.file.Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        java.nio.file.Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
    return to;
  }

  private static void overwrite(Path file, int archive, long interval, double value)
      throws java.io.IOException {
    try (WhisperFile wsp = WhisperFile.open(file)) {
      wsp.writeSlots(archive, new long[] {interval}, new double[] {value}, 1);
    }
  }
}

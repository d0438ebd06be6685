package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.assertSameFiles;
import static io.graphitekafka.sink.consumer.SinkTestSupport.awaitCommitted;
import static io.graphitekafka.sink.consumer.SinkTestSupport.point;
import static io.graphitekafka.sink.consumer.SinkTestSupport.produce;
import static io.graphitekafka.sink.consumer.SinkTestSupport.props;
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
import io.graphitekafka.testing.ChildJvm;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a sink process with SIGKILL in the middle of a stream, restarts it, and compares its files
 * byte for byte with those of an uninterrupted run over the same records.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class SinkCrashIT {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 180), new ArchiveSpec(300, 48)),
          AggregationMethod.AVERAGE,
          0.5f);
  private static final long NOW = System.currentTimeMillis() / 1000;
  private static final long START = NOW - Math.floorMod(NOW, 300) - 3000;
  private static final int SERIES = 60;
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path tmp;

  @Test
  void killedAndRestartedSinkWritesEveryPointAndTheSameBytesAsAnUninterruptedRun(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 3);
    // slot (series, archive, interval) -> last value sent, to check every point afterwards
    Map<String, Double> expected = new LinkedHashMap<>();
    List<ArchivePoint> first = stream(0, 120, 0, expected);
    List<ArchivePoint> second = stream(100, 200, 1000, expected); // rewrites 20 slots of the first
    produce(kafka, names.archives(), first);

    String group = "crash-" + names.suffix();
    Path crashDir = tmp.resolve("crashed");
    Map<String, Object> props = props(kafka, names, crashDir, group);
    props.put("kafka.max.poll.records", "40");
    // write batches of three polls: the kill lands between batches of several polls, and the
    // reference run below (default, much larger batches) must still give the same bytes
    props.put(SinkConfig.WRITE_BATCH_MAX_RECORDS, "100");
    Path propsFile = tmp.resolve("sink.properties");
    ChildJvm.writeSettings(propsFile, props);

    Process sink = startSinkProcess(propsFile, tmp.resolve("sink-1.log"));
    long committedAtKill;
    try (KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      long committed = 0;
      while (committed < first.size() / 5 && System.nanoTime() < deadline) {
        Thread.sleep(10);
        committed = KafkaProbe.sum(probe.committed(group, names.archives()));
      }
      sink.destroyForcibly(); // SIGKILL: no shutdown hook, no flush, no commit
      assertThat(sink.waitFor(30, TimeUnit.SECONDS)).isTrue();
      committedAtKill = KafkaProbe.sum(probe.committed(group, names.archives()));
    }
    assertThat(committedAtKill)
        .as("killed in the middle of the stream")
        .isPositive()
        .isLessThan(first.size());

    produce(kafka, names.archives(), second);
    Process restarted = startSinkProcess(propsFile, tmp.resolve("sink-2.log"));
    try {
      awaitCommitted(kafka, group, names.archives(), first.size() + second.size(), WAIT);
    } finally {
      restarted.destroy();
      assertThat(restarted.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    Path referenceDir = tmp.resolve("reference");
    String referenceGroup = "reference-" + names.suffix();
    try (Sink reference =
        new Sink(new SinkConfig(props(kafka, names, referenceDir, referenceGroup)))) {
      reference.start();
      awaitCommitted(kafka, referenceGroup, names.archives(), first.size() + second.size(), WAIT);
    }

    assertSameFiles(referenceDir, crashDir);
    assertThat(SinkTestSupport.tree(crashDir.resolve("whisper"))).hasSize(SERIES);
    assertEveryPointIsReadable(crashDir, expected);
  }

  /** Slots {@code from..to} of archive 0 for every series, with the coarser slots they complete. */
  private static List<ArchivePoint> stream(
      int from, int to, double offset, Map<String, Double> expected) {
    List<ArchivePoint> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      for (int s = 0; s < SERIES; s++) {
        String metric = "crash.host" + (s % 7) + ".s" + s;
        long t = START + i * 10L;
        double v = s * 10_000 + i + offset;
        out.add(point(metric, LAYOUT, 0, t, v));
        expected.put(metric + "|0|" + t, v);
        if (i % 6 == 5) {
          out.add(point(metric, LAYOUT, 1, t - 50, v / 2));
          expected.put(metric + "|1|" + (t - 50), v / 2);
        }
        if (i % 30 == 29) {
          out.add(point(metric, LAYOUT, 2, t - 290, v / 3));
          expected.put(metric + "|2|" + (t - 290), v / 3);
        }
      }
    }
    return out;
  }

  private static void assertEveryPointIsReadable(Path dataDir, Map<String, Double> expected)
      throws IOException {
    int[] precisions = {10, 60, 300};
    for (Map.Entry<String, Double> e : expected.entrySet()) {
      String[] key = e.getKey().split("\\|");
      Path file = dataDir.resolve("whisper/" + key[0].replace('.', '/') + ".wsp");
      long t = Long.parseLong(key[2]);
      try (WhisperFile f = WhisperFile.openReadOnly(file)) {
        Double[] values =
            f.fetch(
                    t - 1,
                    t,
                    System.currentTimeMillis() / 1000,
                    precisions[Integer.parseInt(key[1])])
                .values();
        assertThat(values[0]).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  private static Process startSinkProcess(Path propsFile, Path log) throws IOException {
    return ChildJvm.command(
            SinkProcessMain.class,
            List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"),
            propsFile.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }
}

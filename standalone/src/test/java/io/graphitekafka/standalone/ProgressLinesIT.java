package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.testing.ChildProcesses;
import io.graphitekafka.whisper.FillMode;
import io.graphitekafka.whisper.WhisperFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/graphite-kafka import} and {@code sink --replay-from} with their output to a pipe, as
 * under systemd or in a log file: progress as plain lines every 10 s and a last one, never a bar
 * redrawn with carriage returns.
 */
class ProgressLinesIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();
  private static final String JVM = "-Xmx256m -XX:TieredStopAtLevel=1";
  private static final int FILES = 8;
  private static final int POINTS_PER_FILE = 20;

  @TempDir Path work;

  @Test
  void withoutATerminalImportWritesProgressLinesWithCountRateAndTimeLeft() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      kafka.createTopics(1, "carbon.archives");
      // 160 points at 10 points/s: 16 s, a file every 2 s, so a line falls due with files left
      String output = importTree(kafka, "--rate", "10");

      assertThat(output).doesNotContain("\r");
      assertThat(output)
          .containsPattern(
              "(?m)^import: \\d{2}% [1-7]/8 files, [\\d,]+ points/s, ETA \\d+s, 0 failed$")
          .containsPattern("(?m)^import: 100% 8/8 files, \\d+ points/s, ETA 0s, 0 failed$")
          .contains("imported " + FILES + " files");
    }
  }

  @Test
  void withoutATerminalASinkReplayWritesProgressLinesUntilEverythingIsRead() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      kafka.createTopics(2, "carbon.archives", "carbon.points", "carbon.rejects");
      importTree(kafka);
      String done =
          "replay: 100% " + FILES * POINTS_PER_FILE + "/" + FILES * POINTS_PER_FILE + " records";

      Process sink =
          ChildProcesses.launcher(
                  HOME,
                  JVM,
                  "sink",
                  "--bootstrap-servers",
                  kafka.bootstrapServers(),
                  "--data-dir",
                  work.resolve("data").toString(),
                  "--replay-from",
                  "earliest")
              .start();
      List<String> output = new CopyOnWriteArrayList<>();
      try {
        ChildProcesses.awaitReady(
            "sink", sink, output, "", line -> line.startsWith(done), Duration.ofSeconds(90));
      } finally {
        sink.destroy();
        sink.waitFor(30, TimeUnit.SECONDS);
      }
      assertThat(String.join("\n", output))
          .doesNotContain("\r")
          .containsPattern("(?m)^" + done + ", [\\d,]+ records/s, ETA 0s$");
    }
  }

  /** Imports {@value #FILES} files of {@value #POINTS_PER_FILE} points each; the output. */
  private String importTree(EmbeddedKafkaBroker kafka, String... flags) throws Exception {
    Path whisper = work.resolve("whisper");
    long now = System.currentTimeMillis() / 1000;
    SeriesLayout layout =
        new SeriesLayout(List.of(new ArchiveSpec(10, 60)), AggregationMethod.AVERAGE, 0.5f);
    for (int f = 0; f < FILES; f++) {
      Path file = whisper.resolve("app/series" + f + ".wsp");
      Files.createDirectories(file.getParent());
      long[] ts = new long[POINTS_PER_FILE];
      double[] values = new double[POINTS_PER_FILE];
      for (int i = 0; i < POINTS_PER_FILE; i++) {
        ts[i] = now - (POINTS_PER_FILE - i) * 10L;
        values[i] = i;
      }
      try (WhisperFile w = WhisperFile.create(file, layout, FillMode.SPARSE)) {
        w.updateMany(ts, values, POINTS_PER_FILE, now);
      }
    }
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "import",
                "--whisper-dir",
                whisper.toString(),
                "--bootstrap-servers",
                kafka.bootstrapServers(),
                "--state-file",
                work.resolve("import.state").toString()));
    args.addAll(List.of(flags));
    Process p = ChildProcesses.launcher(HOME, JVM, args.toArray(String[]::new)).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    return output;
  }
}

package io.graphitekafka.tools.importer;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.whisper.FetchResult;
import io.graphitekafka.whisper.FillMode;
import io.graphitekafka.whisper.WhisperFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Import of an existing tree through a real broker into a sink writing a fresh data directory. */
@ExtendWith(EmbeddedKafkaExtension.class)
class WhisperImporterIT {

  private static final long NOW = System.currentTimeMillis() / 1000;

  @TempDir Path work;

  @Test
  void importedTreeIsRebuiltByASinkWithEveryArchiveAndResumesWithoutRedoingFiles(
      EmbeddedKafkaBroker kafka) throws Exception {
    Path source = work.resolve("old/whisper");
    SeriesLayout cpu =
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440)),
            AggregationMethod.AVERAGE,
            0.5f);
    SeriesLayout count =
        new SeriesLayout(
            List.of(new ArchiveSpec(60, 1440), new ArchiveSpec(600, 1000)),
            AggregationMethod.SUM,
            0f);
    writeSeries(source, "servers.web01.cpu", cpu, 10, 300);
    writeSeries(source, "app.requests.count", count, 60, 200);
    writeSeries(source, "disk.used;host=a", cpu, 10, 100); // hashed tagged path
    Path unhashed = source.resolve(SeriesPaths.relativePath("disk.free;host=a", false));
    create(unhashed, cpu, 10, 50);
    writeSeries(source, "unknown.tagged;host=z", cpu, 10, 5); // its name is not in the names file
    Path corrupt = source.resolve("bad/file.wsp");
    Files.createDirectories(corrupt.getParent());
    Files.write(corrupt, new byte[] {0, 0, 0, 42, 0, 0, 0, 1});
    Path tagNames = work.resolve("tag-names.txt");
    Files.writeString(tagNames, "disk.used;host=a\n");

    String topic = "archives-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(3, topic);
    Map<String, Object> props = new HashMap<>();
    props.put(ImportConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(ImportConfig.WHISPER_DIR, source.toString());
    props.put(ImportConfig.ARCHIVES_TOPIC, topic);
    props.put(ImportConfig.STATE_FILE, work.resolve("import.state").toString());
    props.put(ImportConfig.TAG_NAMES_FILE, tagNames.toString());
    ByteArrayOutputStream progress = new ByteArrayOutputStream();

    WhisperImporter.Summary first =
        new WhisperImporter(
                new ImportConfig(props), new PrintStream(progress, true, StandardCharsets.UTF_8))
            .run();

    assertThat(first.files()).isEqualTo(4);
    assertThat(first.failures()).hasSize(2);
    assertThat(String.join("\n", first.failures())).contains("bad/file.wsp", "tag.names.file");
    // not a terminal: a plain line, the same numbers a bar shows
    assertThat(progress.toString(StandardCharsets.UTF_8))
        .contains("6/6 files")
        .doesNotContain("\r")
        .containsPattern("(?m)^import: 100% 6/6 files, [\\d,]+ points/s, ETA 0s, 2 failed$");

    Path rebuilt = work.resolve("new");
    SinkRebuild.rebuild(kafka, topic, rebuilt, first.points());
    for (String series : List.of("servers.web01.cpu", "app.requests.count", "disk.used;host=a")) {
      Path relative = SeriesPaths.relativePath(series);
      assertSameArchives(source.resolve(relative), rebuilt.resolve("whisper").resolve(relative));
    }
    // the sink stores tagged series under hashed names, whatever the source used
    assertSameArchives(
        unhashed, rebuilt.resolve("whisper").resolve(SeriesPaths.relativePath("disk.free;host=a")));

    WhisperImporter.Summary second =
        new WhisperImporter(
                new ImportConfig(props),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
            .run();
    assertThat(second.files()).isZero();
    assertThat(second.resumed()).isEqualTo(4);
    assertThat(second.points()).isZero();
  }

  private static void writeSeries(Path root, String name, SeriesLayout layout, int step, int n)
      throws Exception {
    create(root.resolve(SeriesPaths.relativePath(name)), layout, step, n);
  }

  /** A file with n points, one every step seconds up to now, values 0.5·i with a gap every 7th. */
  private static void create(Path path, SeriesLayout layout, int step, int n) throws Exception {
    long[] ts = new long[n];
    double[] values = new double[n];
    int count = 0;
    for (int i = 0; i < n; i++) {
      if (i % 7 == 3) {
        continue;
      }
      ts[count] = NOW - (long) (n - i) * step;
      values[count] = 0.5 * i;
      count++;
    }
    try (WhisperFile f = WhisperFile.create(path, layout, FillMode.SPARSE)) {
      f.updateMany(ts, values, count, NOW);
    }
  }

  private static void assertSameArchives(Path original, Path copy) throws Exception {
    try (WhisperFile a = WhisperFile.openReadOnly(original);
        WhisperFile b = WhisperFile.openReadOnly(copy)) {
      assertThat(b.layout()).isEqualTo(a.layout());
      for (ArchiveSpec spec : a.layout().archives()) {
        long from = NOW - spec.retention() + spec.secondsPerPoint();
        FetchResult want = a.fetch(from, NOW, NOW, spec.secondsPerPoint());
        FetchResult got = b.fetch(from, NOW, NOW, spec.secondsPerPoint());
        assertThat(got).as(copy + " archive " + spec).isEqualTo(want);
        assertThat(java.util.Arrays.stream(want.values()).filter(v -> v != null).count())
            .as("the original archive %s of %s has data", spec, original)
            .isPositive();
      }
    }
  }
}

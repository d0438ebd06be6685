package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.testing.ChildProcesses;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator against Debian's python3-whisper itself: random point sequences go through the
 * topology and, one {@code update_many} call per point at the same "now", through whisper.py; every
 * archive must hold the same slots with bit-identical values. Skips when {@code /usr/bin/python3}
 * cannot import whisper.
 */
class PythonWhisperDifferentialTest {

  private static final String PYTHON = "/usr/bin/python3";
  private static final long T0 = 1_700_000_400L;

  @TempDir Path dir;

  private static boolean whisperAvailable() {
    return ChildProcesses.succeeds(PYTHON, "-c", "import whisper");
  }

  @Test
  void rollupsMatchPythonWhisperSlotForSlot() throws Exception {
    assumeTrue(whisperAvailable(), PYTHON + " cannot import whisper (install python3-whisper)");
    Path script = dir.resolve("update-many-per-point.py");
    try (var in = getClass().getResourceAsStream("/reference/update-many-per-point.py")) {
      Files.copy(in, script);
    }
    Process python =
        new ProcessBuilder(PYTHON, script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    Random random = new Random(20261125);
    try (BufferedWriter toPython =
            new BufferedWriter(
                new OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8));
        BufferedReader fromPython =
            new BufferedReader(
                new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
        RollupDriver driver =
            new RollupDriver(RollupDifferentialTest.LAYOUTS_BY_NAME::get, 1_000_000, T0)) {
      int cases = 0;
      for (SeriesLayout base : RollupDifferentialTest.LAYOUTS) {
        for (AggregationMethod method : AggregationMethod.values()) {
          for (float xff : RollupDifferentialTest.XFFS) {
            SeriesLayout layout = new SeriesLayout(base.archives(), method, xff);
            String metric = "py." + cases++;
            RollupDifferentialTest.LAYOUTS_BY_NAME.put(metric, layout);
            long now = T0 + random.nextInt((int) layout.maxRetention());
            StringBuilder request = new StringBuilder("{\"archives\": [");
            for (int a = 0; a < layout.archives().size(); a++) {
              ArchiveSpec spec = layout.archives().get(a);
              request
                  .append(a == 0 ? "" : ", ")
                  .append('[')
                  .append(spec.secondsPerPoint())
                  .append(", ")
                  .append(spec.points())
                  .append(']');
            }
            request
                .append("], \"method\": \"")
                .append(method.carbonName())
                .append("\", \"xff\": ")
                .append(xff)
                .append(", \"points\": [");
            int n = 1 + random.nextInt(60);
            for (int i = 0; i < n; i++) {
              now += random.nextInt(4) == 0 ? random.nextInt(40) : 0;
              long ts = T0 + random.nextInt((int) layout.maxRetention() + 20);
              double value =
                  random.nextInt(4) == 0 ? random.nextDouble() * 100 : random.nextInt(11) - 5;
              driver.clock.set(now);
              driver.send(metric, ts, value);
              if (random.nextInt(10) == 0) {
                driver.emit();
              }
              // repr() of a double reads back exactly in Python; Java's toString does too.
              request
                  .append(i == 0 ? "" : ", ")
                  .append('[')
                  .append(ts)
                  .append(", ")
                  .append(Double.toString(value))
                  .append(", ")
                  .append(now)
                  .append(']');
            }
            request.append("]}");
            driver.emit();
            toPython.write(request.toString());
            toPython.newLine();
            toPython.flush();
            String answer = fromPython.readLine();
            assertThat(answer).as("python answered").isNotNull();

            List<Map<Long, Long>> expected = new ArrayList<>();
            for (int a = 0; a < layout.archives().size(); a++) {
              expected.add(new TreeMap<>());
            }
            for (String token : answer.isBlank() ? new String[0] : answer.split(" ")) {
              String[] parts = token.split(":");
              expected
                  .get(Integer.parseInt(parts[0]))
                  .put(Long.parseLong(parts[1]), Long.parseUnsignedLong(parts[2], 16));
            }
            List<ArchivePoint> mine = new ArrayList<>();
            for (ArchivePoint p : driver.archivePoints()) {
              if (p.getMetric().toString().equals(metric)) {
                mine.add(p);
              }
            }
            var actual = ArchiveDump.applied(dir.resolve(metric + ".wsp"), layout, mine);
            assertThat(actual).as("%s %s", layout, request).isEqualTo(expected);
          }
        }
      }
      assertThat(cases)
          .isEqualTo(
              RollupDifferentialTest.LAYOUTS.size() * 8 * RollupDifferentialTest.XFFS.size());
    } finally {
      python.destroy();
    }
  }
}

package io.graphitekafka.service.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong(5 * SECOND);
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private Progress progress(boolean bar, long interval) {
    return new Progress("import", "files", "points", out, bar, interval, clock::get);
  }

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void describesCountRateAndTimeLeftAtTheAveragePace() {
    Progress p = progress(false, 10 * SECOND);

    // 25 of 100 files in 10 s: 75 more take 30 s; 50,000 points in 10 s is 5,000 points/s
    assertThat(p.describe(25, 100, 50_000, "", 10 * SECOND))
        .isEqualTo("25% 25/100 files, 5,000 points/s, ETA 30s");
    assertThat(p.describe(1, 3, 10, "2 failed", 90 * SECOND))
        .isEqualTo("33% 1/3 files, 0 points/s, ETA 3m00s, 2 failed");
  }

  @Test
  void theTimeLeftIsUnknownBeforeAnythingIsDoneAndZeroAtTheEnd() {
    assertThat(Progress.eta(0, 10, 5 * SECOND)).isEqualTo("--");
    assertThat(Progress.eta(10, 10, 5 * SECOND)).isEqualTo("0s");
    assertThat(Progress.eta(1, 7201, SECOND)).isEqualTo("2h00m");
  }

  @Test
  void formatsDurationsInSecondsMinutesAndHours() {
    assertThat(Progress.duration(59)).isEqualTo("59s");
    assertThat(Progress.duration(61)).isEqualTo("1m01s");
    assertThat(Progress.duration(3 * 3600 + 5 * 60 + 9)).isEqualTo("3h05m");
  }

  @Test
  void theBarFillsInProportionAndNeverOverflows() {
    assertThat(Progress.bar(0, 10)).isEqualTo("[" + " ".repeat(30) + "]");
    assertThat(Progress.bar(5, 10)).isEqualTo("[" + "#".repeat(15) + " ".repeat(15) + "]");
    assertThat(Progress.bar(12, 10)).isEqualTo("[" + "#".repeat(30) + "]");
    assertThat(Progress.bar(0, 0)).isEqualTo("[" + "#".repeat(30) + "]");
  }

  @Test
  void withoutATerminalWritesOneLineEveryIntervalAndTheLastState() {
    Progress p = progress(false, 10 * SECOND);

    clock.addAndGet(4 * SECOND);
    p.update(1, 4, 100, "0 failed");
    assertThat(output()).isEmpty();
    clock.addAndGet(6 * SECOND);
    p.update(2, 4, 200, "0 failed");
    clock.addAndGet(SECOND);
    p.update(3, 4, 300, "0 failed");
    clock.addAndGet(9 * SECOND);
    p.finish(4, 4, 400, "0 failed");

    assertThat(output().split("\n"))
        .containsExactly(
            "import: 50% 2/4 files, 20 points/s, ETA 10s, 0 failed",
            "import: 100% 4/4 files, 20 points/s, ETA 0s, 0 failed");
    assertThat(output()).doesNotContain("\r");
  }

  @Test
  void onATerminalRedrawsOneLineInPlaceAndEndsItWhenFinished() {
    Progress p = progress(true, Progress.BAR_NANOS);

    clock.addAndGet(SECOND);
    p.update(1, 2, 10, "");
    clock.addAndGet(SECOND);
    p.finish(2, 2, 20, "");

    assertThat(output())
        .isEqualTo(
            "\rimport ["
                + "#".repeat(15)
                + " ".repeat(15)
                + "] 50% 1/2 files, 10 points/s, ETA 1s"
                + "\rimport ["
                + "#".repeat(30)
                + "] 100% 2/2 files, 10 points/s, ETA 0s"
                + System.lineSeparator());
  }
}

package io.graphitekafka.service.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** carbon's cpuUsage and memUsage gauges. */
class ProcessGaugesTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void cpuUsageIsThePercentageOfOneCpuOverTheLastCompleteWindow() {
    AtomicLong clock = new AtomicLong(1_000 * SECOND);
    AtomicLong cpu = new AtomicLong(5 * SECOND);
    SelfMetrics metrics = new SelfMetrics("agents");
    ProcessGauges.register(metrics, 60, clock::get, cpu::get, () -> 123_456_789L);

    // before the first window completes: the time so far (15 s of CPU in 30 s)
    clock.addAndGet(30 * SECOND);
    cpu.addAndGet(15 * SECOND);
    assertThat(metrics.gauges())
        .containsEntry("cpuUsage", 50.0)
        .containsEntry("memUsage", 123_456_789.0);
    // the window completes at 60 s: 90 s of CPU over it, both cores busy from 30 s on
    clock.addAndGet(30 * SECOND);
    cpu.addAndGet(60 * SECOND);
    assertThat(metrics.gauges().get("cpuUsage")).isEqualTo(125.0);
    // within the next window the completed one's value stands, however often it is read
    clock.addAndGet(10 * SECOND);
    cpu.addAndGet(1 * SECOND);
    assertThat(metrics.gauges().get("cpuUsage")).isEqualTo(125.0);
    // the next window completes: 6 s of CPU over its 60 s
    clock.addAndGet(50 * SECOND);
    cpu.addAndGet(5 * SECOND);
    assertThat(metrics.gauges().get("cpuUsage")).isCloseTo(10.0, within(1e-9));
  }

  @Test
  void processCpuTimeGrowsWithWorkDone() {
    long before = ProcessGauges.processCpuNanos();
    long sum = 0;
    long deadline = System.nanoTime() + 5 * SECOND;
    while (ProcessGauges.processCpuNanos() <= before + 20_000_000L
        && System.nanoTime() < deadline) {
      for (int i = 0; i < 1_000_000; i++) {
        sum += i * (long) i;
      }
    }
    assertThat(sum).isNotZero();
    assertThat(ProcessGauges.processCpuNanos()).isGreaterThan(before + 20_000_000L);
  }

  @Test
  void memUsageIsTheResidentSetSizeAsCarbonReadsItFromStatm() throws Exception {
    Path statm = Path.of("/proc/self/statm");
    assumeTrue(Files.isReadable(statm), "no /proc/self/statm: memUsage is not reported here");
    Process getconf = new ProcessBuilder("getconf", "PAGESIZE").start();
    assertThat(getconf.waitFor(30, TimeUnit.SECONDS)).isTrue();
    long pageSize =
        Long.parseLong(
            new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim());
    long fromStatm = Long.parseLong(Files.readString(statm).trim().split(" ")[1]) * pageSize;
    long reported = ProcessGauges.residentBytes();
    // read a moment apart, so allow the heap to have grown or shrunk a little in between
    assertThat((double) reported).isCloseTo(fromStatm, within(fromStatm * 0.1));

    SelfMetrics metrics = new SelfMetrics("relays");
    ProcessGauges.register(metrics, 60);
    assertThat(metrics.gauges()).containsKeys("cpuUsage", "memUsage");
    assertThat(metrics.gauges().get("memUsage")).isGreaterThan(1024.0 * 1024);
  }
}

package io.graphitekafka.service.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * The two gauges every carbon daemon reports about its own process (carbon's instrumentation.py):
 * {@code cpuUsage}, the CPU time (user + system, all threads) used over the last complete window as
 * a percentage of one CPU, and {@code memUsage}, the resident set size in bytes. A window is the
 * metrics interval, as carbon's is the time between two reports; before the first window completes
 * the value covers the time so far. Where the resident size cannot be read (not Linux), {@code
 * memUsage} is left out of reports, as carbon leaves it out.
 */
public final class ProcessGauges {

  public static final String CPU_USAGE = "cpuUsage";
  public static final String MEM_USAGE = "memUsage";

  private final LongSupplier cpuNanos;
  private final MetricsWindow window;
  private long windowStartCpu;
  private double lastPercent = Double.NaN;

  private ProcessGauges(long windowSeconds, LongSupplier nanoClock, LongSupplier cpuNanos) {
    this.cpuNanos = cpuNanos;
    this.window = new MetricsWindow(windowSeconds, nanoClock);
    this.windowStartCpu = cpuNanos.getAsLong();
  }

  /**
   * Registers {@code cpuUsage} and {@code memUsage} for this process, with windows of the given
   * length.
   */
  public static void register(SelfMetrics metrics, long windowSeconds) {
    try {
      processCpuNanos();
    } catch (UnsupportedOperationException e) {
      metrics.gauge(MEM_USAGE, ProcessGauges::residentBytes);
      return; // no CPU time to report on this JVM
    }
    register(
        metrics,
        windowSeconds,
        System::nanoTime,
        ProcessGauges::processCpuNanos,
        ProcessGauges::residentBytes);
  }

  static void register(
      SelfMetrics metrics,
      long windowSeconds,
      LongSupplier nanoClock,
      LongSupplier cpuNanos,
      LongSupplier residentBytes) {
    ProcessGauges cpu = new ProcessGauges(windowSeconds, nanoClock, cpuNanos);
    metrics.gauge(CPU_USAGE, cpu::cpuPercent);
    metrics.gauge(MEM_USAGE, () -> residentBytes.getAsLong());
  }

  synchronized double cpuPercent() {
    long cpu = cpuNanos.getAsLong();
    long completed = window.roll();
    if (completed >= 0) {
      lastPercent = 100.0 * (cpu - windowStartCpu) / completed;
      windowStartCpu = cpu;
      return lastPercent;
    }
    if (!Double.isNaN(lastPercent)) {
      return lastPercent;
    }
    long elapsed = window.elapsed(); // before the first window completes: the time so far
    return elapsed <= 0 ? 0.0 : 100.0 * (cpu - windowStartCpu) / elapsed;
  }

  /** CPU time of the whole process so far, user and system, in nanoseconds. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      long nanos = os.getProcessCpuTime();
      if (nanos >= 0) {
        return nanos;
      }
    }
    throw new UnsupportedOperationException("this JVM does not report the process's CPU time");
  }

  /** The resident set size from /proc/self/status ({@code VmRSS}), in bytes. */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          String kb = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
          return Long.parseLong(kb) * 1024;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading /proc/self/status", e);
    }
    throw new UnsupportedOperationException("/proc/self/status has no VmRSS");
  }
}

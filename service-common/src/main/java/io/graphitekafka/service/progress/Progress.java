package io.graphitekafka.service.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * How far a long task (an import, a replay) has got: on a terminal a single line redrawn in place,
 * a bar with the count, the rate and the time left; elsewhere (a log file, a pipe, systemd) the
 * same numbers as a plain line every few seconds. The last state is always shown by {@link
 * #finish}.
 */
public final class Progress {

  /** How often a bar is redrawn. */
  static final long BAR_NANOS = 250_000_000L;

  /** How often a line is written when the output is not a terminal. */
  public static final long LINE_NANOS = 10_000_000_000L;

  private static final int BAR_WIDTH = 30;

  private final String task;
  private final String unit;
  private final String rateUnit;
  private final PrintStream out;
  private final boolean bar;
  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private final long start;
  private long lastShown;

  /**
   * @param task what is under way, the first word of each line ({@code import})
   * @param unit what {@code done} and {@code total} count ({@code files})
   * @param rateUnit what the rate counts ({@code points})
   * @param bar a bar redrawn in place (a terminal), or one line every {@code intervalNanos}
   * @param nanoClock {@link System#nanoTime()}, or a test's clock
   */
  public Progress(
      String task,
      String unit,
      String rateUnit,
      PrintStream out,
      boolean bar,
      long intervalNanos,
      LongSupplier nanoClock) {
    this.task = task;
    this.unit = unit;
    this.rateUnit = rateUnit;
    this.out = out;
    this.bar = bar;
    this.intervalNanos = intervalNanos;
    this.nanoClock = nanoClock;
    this.start = nanoClock.getAsLong();
    this.lastShown = start;
  }

  /** A bar when the process is attached to a terminal ({@link System#console()}), else lines. */
  public static Progress of(String task, String unit, String rateUnit, PrintStream out) {
    boolean terminal = System.console() != null;
    return new Progress(
        task, unit, rateUnit, out, terminal, terminal ? BAR_NANOS : LINE_NANOS, System::nanoTime);
  }

  /**
   * Shows the state if it is time to.
   *
   * @param done how many of {@code total} {@code unit} are finished
   * @param rated how many {@code rateUnit} so far, for the rate
   * @param extra appended as is (say {@code 2 failed}); may be empty
   */
  public void update(long done, long total, long rated, String extra) {
    long now = nanoClock.getAsLong();
    if (now - lastShown >= intervalNanos) {
      lastShown = now;
      show(done, total, rated, extra, now);
    }
  }

  /** Shows the final state, and ends the bar's line. */
  public void finish(long done, long total, long rated, String extra) {
    long now = nanoClock.getAsLong();
    lastShown = now;
    show(done, total, rated, extra, now);
    if (bar) {
      out.println();
    }
    out.flush();
  }

  private void show(long done, long total, long rated, String extra, long now) {
    String text = describe(done, total, rated, extra, now - start);
    if (bar) {
      out.print("\r" + task + " " + bar(done, total) + " " + text);
    } else {
      out.println(task + ": " + text);
    }
    out.flush();
  }

  /** The numbers: {@code 45% 9/20 files, 1,234 points/s, ETA 1m05s[, extra]}. */
  String describe(long done, long total, long rated, String extra, long elapsedNanos) {
    double seconds = Math.max(elapsedNanos / 1e9, 1e-3);
    String percent = total <= 0 ? "" : (done * 100 / total) + "% ";
    return String.format(
        Locale.ROOT,
        "%s%,d/%,d %s, %,.0f %s/s, ETA %s%s",
        percent,
        done,
        total,
        unit,
        rated / seconds,
        rateUnit,
        eta(done, total, elapsedNanos),
        extra.isEmpty() ? "" : ", " + extra);
  }

  /** {@code [###### ]}, filled in proportion to {@code done / total}. */
  static String bar(long done, long total) {
    int filled =
        total <= 0 ? BAR_WIDTH : (int) (Math.min(done, total) * BAR_WIDTH / Math.max(total, 1));
    return "[" + "#".repeat(filled) + " ".repeat(BAR_WIDTH - filled) + "]";
  }

  /** The time left at the average pace so far, or {@code --} before anything is done. */
  static String eta(long done, long total, long elapsedNanos) {
    if (done >= total) {
      return "0s";
    }
    if (done <= 0) {
      return "--";
    }
    long leftSeconds = (long) Math.ceil(elapsedNanos / 1e9 * (total - done) / done);
    return duration(leftSeconds);
  }

  /** {@code 45s}, {@code 3m07s}, {@code 2h05m}. */
  static String duration(long seconds) {
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  }
}

package io.graphitekafka.service.restart;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The phases of one service's start, each timed from the start of the process, so that after a
 * crash an operator can read in the log where the time to catch up went: one line as each phase is
 * first reached ({@code sink start-up: group joined after 2.4 s}), and one summary line once the
 * service has caught up. Only the first time a phase is reached counts; later rebalances and
 * commits are not start-up.
 */
public final class StartupPhases {

  private static final Logger log = LoggerFactory.getLogger(StartupPhases.class);

  /** The phases the services report, in the order they are usually reached. */
  public static final String BROKER_UP = "broker up";

  public static final String GROUP_JOINED = "group joined";
  public static final String STATE_RESTORED = "state restored";
  public static final String FIRST_COMMIT = "first commit";
  public static final String CAUGHT_UP = "caught up";

  private final String service;
  private final LongSupplier clockMillis;
  private final long originMillis;
  private final List<String> reached = new ArrayList<>();
  private final List<String> summary = new ArrayList<>();

  /** Phases of {@code service}, timed from the start of this JVM. */
  public StartupPhases(String service) {
    this(service, System::currentTimeMillis, ManagementFactory.getRuntimeMXBean().getStartTime());
  }

  StartupPhases(String service, LongSupplier clockMillis, long originMillis) {
    this.service = service;
    this.clockMillis = clockMillis;
    this.originMillis = originMillis;
  }

  /** Records {@code phase} the first time it is reached; later calls do nothing. */
  public void reached(String phase) {
    reached(phase, "");
  }

  /**
   * Records {@code phase} with a detail for the log (such as the number of records restored) the
   * first time it is reached, and logs it; once {@link #CAUGHT_UP} is reached, logs the summary.
   */
  public synchronized void reached(String phase, String detail) {
    if (reached.contains(phase)) {
      return;
    }
    reached.add(phase);
    String at =
        String.format(
            Locale.ROOT, "%s after %.1f s", phase, (clockMillis.getAsLong() - originMillis) / 1e3);
    String text = detail.isEmpty() ? at : at + " (" + detail + ")";
    summary.add(text);
    log.info("{} start-up: {}", service, text);
    if (phase.equals(CAUGHT_UP)) {
      log.info("{} start-up summary: {}", service, String.join(", ", summary));
    }
  }

  /** Whether {@code phase} has been reached. */
  public synchronized boolean has(String phase) {
    return reached.contains(phase);
  }

  /** The phases reached so far, as logged, in order. */
  public synchronized List<String> summary() {
    return List.copyOf(summary);
  }

  /** Milliseconds since the origin, for details such as "restored in". */
  long elapsedMillis() {
    return clockMillis.getAsLong() - originMillis;
  }

  /** {@code nanos} as seconds with one decimal, for details. */
  public static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.1f s", nanos / (double) TimeUnit.SECONDS.toNanos(1));
  }
}

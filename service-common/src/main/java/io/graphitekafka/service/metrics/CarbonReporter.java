package io.graphitekafka.service.metrics;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a service's own metrics into the pipeline as Graphite series, the way carbon reports
 * itself: every interval, {@code carbon.<role>.<host>-<instance>.<stat>} with each counter's
 * increase over the interval and each gauge's value (carbon instrumentation.py,
 * CARBON_METRIC_INTERVAL).
 */
public final class CarbonReporter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CarbonReporter.class);

  /** Where the points go: typically the service's producer to the points topic. */
  @FunctionalInterface
  public interface PointSink {
    void send(String metric, long timestamp, double value);
  }

  private final SelfMetrics metrics;
  private final String prefix;
  private final PointSink sink;
  private final Clock clock;
  private final Map<String, Long> lastCounters = new HashMap<>();
  private final ScheduledExecutorService timer;

  public CarbonReporter(SelfMetrics metrics, String instance, PointSink sink, Clock clock) {
    this.metrics = metrics;
    this.prefix = prefix(metrics.role(), instance);
    this.sink = sink;
    this.clock = clock;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "carbon-reporter");
              t.setDaemon(true);
              return t;
            });
  }

  /** {@code carbon.<role>.<host>-<instance>}, host being the hostname with dots as underscores. */
  public static String prefix(String role, String instance) {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "localhost";
    }
    host = host.replace('.', '_');
    return "carbon."
        + role
        + "."
        + (instance == null || instance.isEmpty() ? host : host + "-" + instance);
  }

  public String prefix() {
    return prefix;
  }

  /** Reports every {@code interval}; a zero interval disables reporting, as in carbon. */
  public void start(Duration interval) {
    if (interval.isZero() || interval.isNegative()) {
      return;
    }
    long millis = interval.toMillis();
    timer.scheduleAtFixedRate(this::reportSafely, millis, millis, TimeUnit.MILLISECONDS);
  }

  private void reportSafely() {
    try {
      report();
    } catch (RuntimeException e) {
      log.warn("could not report self-metrics: {}", e.toString());
    }
  }

  /** Sends one report now. */
  public synchronized void report() {
    long now = clock.instant().getEpochSecond();
    metrics
        .counters()
        .forEach(
            (name, total) -> {
              long previous = lastCounters.getOrDefault(name, 0L);
              lastCounters.put(name, total);
              sink.send(prefix + "." + name, now, total - previous);
            });
    metrics.gauges().forEach((name, value) -> sink.send(prefix + "." + name, now, value));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

package io.graphitekafka.service.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * A service's own counters and gauges under carbon-style stat names ({@code metricsReceived},
 * {@code rejects.field_count}, {@code cache.size}). Counters only grow; reporters turn them into
 * per-interval values for Graphite and into cumulative counters for Prometheus.
 */
public final class SelfMetrics {

  private final String role;
  private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, DoubleSupplier> gauges = new ConcurrentHashMap<>();

  /**
   * @param role carbon's role name for the series prefix: {@code relays} for the gateway, {@code
   *     aggregator} for the aggregator, {@code agents} for the sink (carbon-cache's role)
   */
  public SelfMetrics(String role) {
    this.role = role;
  }

  public String role() {
    return role;
  }

  /** The counter of this name, created at zero on first use. */
  public LongAdder counter(String name) {
    return counters.computeIfAbsent(name, n -> new LongAdder());
  }

  /** Registers (or replaces) a gauge read at report time. */
  public void gauge(String name, DoubleSupplier value) {
    gauges.put(name, value);
  }

  public void removeGauge(String name) {
    gauges.remove(name);
  }

  /** Every counter's total so far, sorted by name. */
  public Map<String, Long> counters() {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Every gauge's current value, sorted by name; a gauge that throws is left out. */
  public Map<String, Double> gauges() {
    Map<String, Double> out = new TreeMap<>();
    gauges.forEach(
        (k, v) -> {
          try {
            out.put(k, v.getAsDouble());
          } catch (RuntimeException e) {
            // a gauge over a closed resource; skip it this time
          }
        });
    return out;
  }
}

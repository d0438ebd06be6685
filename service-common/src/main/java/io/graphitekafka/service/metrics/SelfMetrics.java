package io.graphitekafka.service.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;

/**
 * A service's own counters and gauges under carbon-style stat names ({@code metricsReceived},
 * {@code rejects.field_count}, {@code cache.size}), and the Micrometer meters over them. Counters
 * only grow; the {@link CarbonReporter} turns them into per-interval values for Graphite, and each
 * {@link MeterRegistry} they are bound to (the process's Prometheus registry) reads the same
 * adders, so the two views never disagree. The meters are named {@code
 * graphite.kafka.<role>.<stat>} ({@code graphite_kafka_<role>_<stat>_total} for a counter in
 * Prometheus). Binders of the service's Kafka clients are kept here too, so that they are bound
 * wherever the service's meters are.
 */
public final class SelfMetrics {

  private final String role;
  private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, DoubleSupplier> gauges = new ConcurrentHashMap<>();
  private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
  private final List<MeterBinder> binders = new CopyOnWriteArrayList<>();

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
    LongAdder existing = counters.get(name);
    if (existing != null) {
      return existing;
    }
    return counters.computeIfAbsent(
        name,
        n -> {
          LongAdder adder = new LongAdder();
          registries.forEach(r -> registerCounter(r, n, adder));
          return adder;
        });
  }

  /** Registers (or replaces) a gauge read at report time. */
  public void gauge(String name, DoubleSupplier value) {
    gauges.put(name, value);
    for (MeterRegistry r : registries) {
      removeMeter(r, name);
      registerGauge(r, name, value);
    }
  }

  public void removeGauge(String name) {
    gauges.remove(name);
    registries.forEach(r -> removeMeter(r, name));
  }

  /**
   * Adds a binder of the service's own meters, such as Micrometer's Kafka client binders, bound to
   * every registry these metrics are bound to, now and later.
   */
  public void bind(MeterBinder binder) {
    binders.add(binder);
    registries.forEach(binder::bindTo);
  }

  /** Registers every counter, gauge and binder, now and later, in {@code registry}. */
  public void bindTo(MeterRegistry registry) {
    registries.add(registry);
    counters.forEach((name, adder) -> registerCounter(registry, name, adder));
    gauges.forEach((name, value) -> registerGauge(registry, name, value));
    binders.forEach(b -> b.bindTo(registry));
  }

  /** Closes the binders that hold resources of their own (the Kafka binders' refresh threads). */
  public void closeBinders() {
    for (MeterBinder b : binders) {
      if (b instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          // closing a metrics binder at shutdown; nothing to do about a failure
        }
      }
    }
    binders.clear();
  }

  /** The meter name of a stat. */
  String meterName(String stat) {
    return "graphite.kafka." + role + "." + stat;
  }

  private void registerCounter(MeterRegistry registry, String stat, LongAdder adder) {
    FunctionCounter.builder(meterName(stat), adder, LongAdder::sum)
        .description("carbon stat " + stat + " of the " + role)
        .register(registry);
  }

  private void registerGauge(MeterRegistry registry, String stat, DoubleSupplier value) {
    Gauge.builder(meterName(stat), value, SelfMetrics::read)
        .description("carbon stat " + stat + " of the " + role)
        .strongReference(true)
        .register(registry);
  }

  private void removeMeter(MeterRegistry registry, String stat) {
    Meter meter = registry.find(meterName(stat)).meter();
    if (meter != null) {
      registry.remove(meter);
    }
  }

  /** A gauge's value, or NaN where it cannot be read (a gauge over a closed resource). */
  private static double read(DoubleSupplier value) {
    try {
      return value.getAsDouble();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
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

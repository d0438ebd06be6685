package io.graphitekafka.graphite.rules;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The methods of carbon-aggregator's {@code aggregation-rules.conf}, computed as carbon 1.1.7 does
 * under CPython 3.11: {@code sum} adds in arrival order from 0, {@code avg} divides that sum by the
 * count, {@code min}/{@code max} keep the earliest of equal values, and a percentile sorts the
 * values (stably, {@code -0.0} equal to {@code 0.0}) and interpolates linearly between the ranks
 * around {@code q·(n−1)}.
 */
public enum RuleMethod {
  SUM("sum", Double.NaN),
  AVG("avg", Double.NaN),
  MIN("min", Double.NaN),
  MAX("max", Double.NaN),
  COUNT("count", Double.NaN),
  P50("p50", 0.50),
  P75("p75", 0.75),
  P80("p80", 0.80),
  P90("p90", 0.90),
  P95("p95", 0.95),
  P99("p99", 0.99),
  P999("p999", 0.999);

  private final String carbonName;
  private final double quantile;

  RuleMethod(String carbonName, double quantile) {
    this.carbonName = carbonName;
    this.quantile = quantile;
  }

  /** The name in a rule line. */
  public String carbonName() {
    return carbonName;
  }

  /** Whether the result depends on every value kept, not only on running totals. */
  public boolean needsAllValues() {
    return !Double.isNaN(quantile);
  }

  /**
   * The method named in a rule line; carbon compares names as written.
   *
   * @throws IllegalArgumentException listing the known names
   */
  public static RuleMethod fromName(String name) {
    for (RuleMethod m : values()) {
      if (m.carbonName.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown aggregation method '" + name + "' (known: " + knownNames() + ")");
  }

  /** The names carbon knows, comma-separated. */
  public static String knownNames() {
    return Arrays.stream(values()).map(RuleMethod::carbonName).collect(Collectors.joining(", "));
  }

  /**
   * The method over {@code values[0..n)} in arrival order.
   *
   * @throws IllegalArgumentException if {@code n} is 0: carbon emits nothing for an empty interval
   */
  public double apply(double[] values, int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("no values to aggregate");
    }
    return switch (this) {
      case SUM -> sum(values, n);
      case AVG -> sum(values, n) / n;
      case MIN -> min(values, n);
      case MAX -> max(values, n);
      case COUNT -> n;
      default -> percentile(values, n, quantile);
    };
  }

  private static double sum(double[] values, int n) {
    double total = 0;
    for (int i = 0; i < n; i++) {
      total += values[i];
    }
    return total;
  }

  private static double min(double[] values, int n) {
    double best = values[0];
    for (int i = 1; i < n; i++) {
      if (values[i] < best) {
        best = values[i];
      }
    }
    return best;
  }

  private static double max(double[] values, int n) {
    double best = values[0];
    for (int i = 1; i < n; i++) {
      if (values[i] > best) {
        best = values[i];
      }
    }
    return best;
  }

  private static double percentile(double[] values, int n, double q) {
    List<Double> sorted = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      sorted.add(values[i]);
    }
    // List.sort is stable, like Python's sorted(); comparing with < and > keeps -0.0 and 0.0 in
    // arrival order as Python does, where Double.compare would not.
    sorted.sort((a, b) -> a < b ? -1 : (a > b ? 1 : 0));
    double rank = q * (n - 1);
    int left = (int) Math.floor(rank);
    int right = (int) Math.ceil(rank);
    if (left == right) {
      return sorted.get(left);
    }
    return sorted.get(left) * (right - rank) + sorted.get(right) * (rank - left);
  }
}

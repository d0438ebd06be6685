package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.rules.AggregateRules;
import io.graphitekafka.graphite.rules.RewriteRules;

/** The carbon-aggregator rules in force: aggregation rules and rewrite rules. */
public record CarbonRules(AggregateRules aggregate, RewriteRules rewrite) {

  /** No rules: every point passes through unchanged. */
  public static final CarbonRules NONE =
      new CarbonRules(AggregateRules.none(), RewriteRules.none());

  public boolean isEmpty() {
    return aggregate.isEmpty() && rewrite.isEmpty();
  }
}

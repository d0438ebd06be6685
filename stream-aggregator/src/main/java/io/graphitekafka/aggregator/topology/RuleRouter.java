package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesNames;
import io.graphitekafka.graphite.rules.AggregateRule;
import io.graphitekafka.schemas.serde.MetricPointReader.Result;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * carbon-aggregator's pipeline in front of the rollup, {@code rewrite:pre → aggregate →
 * rewrite:post}: the {@code [pre]} rewrite rules rename a point; every aggregation rule that
 * matches the new name sends the point to the rules topic, keyed by the aggregate's name, so that
 * one task holds each aggregate; and unless the point fed an aggregate of its own name, it passes
 * on ({@code FORWARD_ALL}) under the name the {@code [post]} rules give it: straight to the rollup
 * when the name is unchanged, through the rules topic to the task that owns the new name otherwise.
 *
 * <p>A name a rule or a rewrite makes that is not a valid series name is rejected with the point,
 * and the point's other outputs go on.
 */
final class RuleRouter implements Processor<String, Result, String, Result> {

  static final String INVALID_AGGREGATE_NAME = "invalid_aggregate_name";
  static final String INVALID_REWRITTEN_NAME = "invalid_rewritten_name";

  private final Supplier<CarbonRules> rules;
  private final boolean forwardAll;
  private final AggregateMetrics metrics;
  private ProcessorContext<String, Result> context;

  RuleRouter(Supplier<CarbonRules> rules, boolean forwardAll, AggregateMetrics metrics) {
    this.rules = rules;
    this.forwardAll = forwardAll;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Result> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, Result> record) {
    Result point = record.value();
    CarbonRules r = rules.get();
    if (r.isEmpty() || PointRejects.rejection(point) != null) {
      // the rollup skips what the rejects processor rejects, and fails on a registry outage
      context.forward(record, RollupTopology.ROLLUP_PROCESSOR);
      return;
    }
    String name = r.rewrite().pre(point.metric());
    boolean fedItsOwnName = false;
    for (AggregateRule rule : r.aggregate().rules()) {
      String output = rule.outputFor(name);
      if (output != null) {
        fedItsOwnName |= output.equals(name);
        feed(record, point, rule, output);
      }
    }
    if (!forwardAll || fedItsOwnName) {
      metrics.notForwarded.increment();
      return;
    }
    passOn(record, point, r.rewrite().post(name));
  }

  private void feed(
      Record<String, Result> record, Result point, AggregateRule rule, String output) {
    String aggregate;
    try {
      aggregate = SeriesNames.normalize(output);
    } catch (InvalidSeriesNameException e) {
      reject(
          record,
          INVALID_AGGREGATE_NAME,
          "rule '"
              + rule
              + "' makes '"
              + output
              + "' of "
              + point.metric()
              + ": "
              + e.getMessage());
      return;
    }
    Record<String, Result> input = renamed(record, point, aggregate);
    AggregateHeaders.aggregateInput(input.headers(), rule, point.metric());
    context.forward(input, RollupTopology.RULES_SINK);
    metrics.inputs.increment();
  }

  private void passOn(Record<String, Result> record, Result point, String rewritten) {
    String name;
    try {
      name = rewritten.equals(point.metric()) ? rewritten : SeriesNames.normalize(rewritten);
    } catch (InvalidSeriesNameException e) {
      reject(
          record,
          INVALID_REWRITTEN_NAME,
          "the rewrite rules make '"
              + rewritten
              + "' of "
              + point.metric()
              + ": "
              + e.getMessage());
      return;
    }
    if (name.equals(point.metric())) {
      context.forward(record, RollupTopology.ROLLUP_PROCESSOR);
    } else {
      context.forward(renamed(record, point, name), RollupTopology.RULES_SINK);
      metrics.renamed.increment();
    }
  }

  private static Record<String, Result> renamed(
      Record<String, Result> record, Result point, String name) {
    return new Record<>(
        name, new Result(name, point.timestamp(), point.value(), null, null), record.timestamp());
  }

  private void reject(Record<String, Result> record, String reason, String detail) {
    context.forward(
        AggregateHeaders.rejected(record, reason, detail), RollupTopology.REJECTS_PROCESSOR);
  }
}

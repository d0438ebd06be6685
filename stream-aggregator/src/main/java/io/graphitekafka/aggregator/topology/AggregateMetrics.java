package io.graphitekafka.aggregator.topology;

import io.graphitekafka.service.metrics.SelfMetrics;
import java.util.concurrent.atomic.LongAdder;

/**
 * The stats of the carbon-aggregator rules, under carbon-aggregator's own names where it has one
 * ({@code aggregateDatapointsSent}, {@code allocatedBuffers}, {@code bufferedDatapoints}). Shared
 * by every task of one instance.
 */
final class AggregateMetrics {

  static final String SENT = "aggregateDatapointsSent";
  static final String BUFFERS = "allocatedBuffers";
  static final String BUFFERED = "bufferedDatapoints";
  static final String STATE_BYTES = "aggregateStateBytes";
  static final String INPUTS = "aggregateInputs";
  static final String RENAMED = "rewrittenPoints";
  static final String NOT_FORWARDED = "notForwarded";
  static final String RESET = "aggregateBuffersReset";

  /** Aggregates sent into the rollup, each a (output series, interval, value). */
  final LongAdder sent;

  /** Points fed to an aggregate, once per rule that matched. */
  final LongAdder inputs;

  /** Points passed on under the name the rewrite rules gave them. */
  final LongAdder renamed;

  /**
   * Points not passed on: those that fed an aggregate of their own name, and with FORWARD_ALL off
   * every point.
   */
  final LongAdder notForwarded;

  /**
   * Buffers started afresh because the rule that feeds them now has another method or frequency.
   */
  final LongAdder reset;

  final LongAdder buffers = new LongAdder();
  final LongAdder buffered = new LongAdder();
  final LongAdder stateBytes = new LongAdder();

  AggregateMetrics(SelfMetrics self) {
    this.sent = self.counter(SENT);
    this.inputs = self.counter(INPUTS);
    this.renamed = self.counter(RENAMED);
    this.notForwarded = self.counter(NOT_FORWARDED);
    this.reset = self.counter(RESET);
    self.gauge(BUFFERS, buffers::sum);
    self.gauge(BUFFERED, buffered::sum);
    self.gauge(STATE_BYTES, stateBytes::sum);
  }
}

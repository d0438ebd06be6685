package io.graphitekafka.aggregator.topology;

import io.graphitekafka.service.metrics.SelfMetrics;
import java.util.concurrent.atomic.LongAdder;

/**
 * The aggregator's stats under carbon-style names, resolved once so that a point costs no map
 * lookup. Shared by every task of one instance.
 */
final class RollupMetrics {

  static final String RECEIVED = "metricsReceived";
  static final String SENT = "archivePointsSent";
  static final String LATE = "latePoints";
  static final String TOO_OLD = "droppedTooOld";

  /**
   * Points sent to the sinks as raw points, for whisper's own propagation against the file: late
   * points whose coarser slots the aggregator cannot compute from what it holds, and a new series'
   * first ones.
   */
  static final String RAW_SENT = "rawPointsSent";

  static final String REJECTED = "rejected";
  static final String REJECTS_PREFIX = "rejects.";
  static final String SERIES_CREATED = "seriesCreated";
  static final String STATE_SERIES = "stateSeries";
  static final String STATE_BYTES = "stateBytes";

  final SelfMetrics self;
  final LongAdder received;
  final LongAdder sent;
  final LongAdder late;
  final LongAdder tooOld;
  final LongAdder rawSent;
  final LongAdder rejected;
  final LongAdder seriesCreated;
  final LongAdder stateSeries = new LongAdder();
  final LongAdder stateBytes = new LongAdder();

  RollupMetrics(SelfMetrics self) {
    this.self = self;
    this.received = self.counter(RECEIVED);
    this.sent = self.counter(SENT);
    this.late = self.counter(LATE);
    this.tooOld = self.counter(TOO_OLD);
    this.rawSent = self.counter(RAW_SENT);
    this.rejected = self.counter(REJECTED);
    this.seriesCreated = self.counter(SERIES_CREATED);
    self.gauge(STATE_SERIES, stateSeries::sum);
    self.gauge(STATE_BYTES, stateBytes::sum);
  }

  void reject(String reason) {
    rejected.increment();
    self.counter(REJECTS_PREFIX + reason).increment();
  }
}

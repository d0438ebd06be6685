package io.graphitekafka.aggregator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The aggregator's own counters, shared by all stream threads of one instance. */
public final class AggregatorMetrics {

  public final LongAdder pointsReceived = new LongAdder();
  public final LongAdder archivePointsSent = new LongAdder();
  public final LongAdder latePoints = new LongAdder();
  public final LongAdder droppedTooOld = new LongAdder();
  public final LongAdder droppedBeyondGrace = new LongAdder();
  public final LongAdder rejected = new LongAdder();
  public final LongAdder seriesCreated = new LongAdder();

  /** A snapshot keyed by carbon-style stat names. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("metricsReceived", pointsReceived.sum());
    out.put("archivePointsSent", archivePointsSent.sum());
    out.put("latePoints", latePoints.sum());
    out.put("droppedTooOld", droppedTooOld.sum());
    out.put("droppedBeyondGrace", droppedBeyondGrace.sum());
    out.put("rejected", rejected.sum());
    out.put("seriesCreated", seriesCreated.sum());
    return out;
  }
}

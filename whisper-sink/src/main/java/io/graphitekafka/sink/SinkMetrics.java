package io.graphitekafka.sink;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The sink's counters, named as carbon-cache names its own. */
public final class SinkMetrics {

  public final LongAdder committedPoints = new LongAdder();
  public final LongAdder updateOperations = new LongAdder();
  public final LongAdder creates = new LongAdder();
  public final LongAdder errors = new LongAdder();
  public final LongAdder layoutMismatches = new LongAdder();
  public final LongAdder rejected = new LongAdder();
  public final LongAdder droppedTooOld = new LongAdder();
  public final LongAdder droppedNoArchive = new LongAdder();

  public Map<String, Long> snapshot() {
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("committedPoints", committedPoints.sum());
    out.put("updateOperations", updateOperations.sum());
    out.put("creates", creates.sum());
    out.put("errors", errors.sum());
    out.put("layoutMismatches", layoutMismatches.sum());
    out.put("rejected", rejected.sum());
    out.put("droppedTooOld", droppedTooOld.sum());
    out.put("droppedNoArchive", droppedNoArchive.sum());
    return out;
  }
}

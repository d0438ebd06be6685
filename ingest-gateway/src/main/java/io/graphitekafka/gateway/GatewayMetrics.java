package io.graphitekafka.gateway;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The gateway's own counters: points received and produced, and rejects by reason code. */
public final class GatewayMetrics {

  public final LongAdder metricsReceived = new LongAdder();
  public final LongAdder pointsProduced = new LongAdder();
  public final LongAdder produceErrors = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> rejects = new ConcurrentHashMap<>();

  public void rejected(String reason) {
    rejects.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  public long rejectCount(String reason) {
    LongAdder a = rejects.get(reason);
    return a == null ? 0 : a.sum();
  }

  /** Rejects so far by reason code. */
  public Map<String, Long> rejectsByReason() {
    Map<String, Long> out = new TreeMap<>();
    rejects.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}

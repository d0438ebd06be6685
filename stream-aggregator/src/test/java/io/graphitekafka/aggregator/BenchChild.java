package io.graphitekafka.aggregator;

import io.graphitekafka.testing.ChildJvm;
import java.io.IOException;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@link RollupThroughputBench}'s aggregator in a JVM of its own: like {@link AggregatorChild}, and
 * it prints {@code RUNNING} once Kafka Streams runs, then its counters and gauges every 200 ms.
 */
public final class BenchChild {

  private BenchChild() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Aggregator aggregator = AggregatorChild.start(args);
    while (aggregator.state() != KafkaStreams.State.RUNNING) {
      Thread.sleep(20);
    }
    ChildJvm.announce("RUNNING");
    while (true) {
      StringBuilder line = new StringBuilder("METRICS");
      for (Map.Entry<String, Long> e : aggregator.metrics().counters().entrySet()) {
        line.append(' ').append(e.getKey()).append('=').append(e.getValue());
      }
      for (Map.Entry<String, Double> e : aggregator.metrics().gauges().entrySet()) {
        line.append(' ').append(e.getKey()).append('=').append(e.getValue().longValue());
      }
      line.append(" gcMillis=").append(RollupThroughputBench.gcMillis());
      line.append(" jitMillis=").append(RollupThroughputBench.jitMillis());
      ChildJvm.announce(line.toString());
      Thread.sleep(200);
    }
  }
}

package io.graphitekafka.aggregator;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@link RollupThroughputBench}'s aggregator in a JVM of its own: like {@link AggregatorChild}, and it
 * prints {@code RUNNING} once Kafka Streams runs, then its counters and gauges every 200 ms.
 */
public final class BenchChild {

  private BenchChild() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Properties props = new Properties();
    try (InputStream in = new FileInputStream(args[0])) {
      props.load(in);
    }
    Clock clock = Clock.fixed(Instant.ofEpochSecond(Long.parseLong(args[1])), ZoneOffset.UTC);
    Aggregator aggregator = new Aggregator(new AggregatorConfig(props), clock);
    Runtime.getRuntime().addShutdownHook(new Thread(aggregator::close));
    aggregator.start();
    while (aggregator.state() != KafkaStreams.State.RUNNING) {
      Thread.sleep(20);
    }
    System.out.println("RUNNING");
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
      System.out.println(line);
      System.out.flush();
      Thread.sleep(200);
    }
  }
}

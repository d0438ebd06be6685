package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.testing.ChildJvm;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Test support: runs an {@link Aggregator} with a fixed "now" in its own JVM, so a test can kill it
 * abruptly. Arguments: a properties file of {@link AggregatorConfig} settings, and now in epoch
 * seconds.
 */
public final class AggregatorChild {

  private AggregatorChild() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    start(args);
    ChildJvm.announce("aggregator child started");
    Thread.sleep(Long.MAX_VALUE);
  }

  /** Starts the aggregator the arguments describe, closed when the process is stopped. */
  static Aggregator start(String[] args) throws IOException {
    Clock clock = Clock.fixed(Instant.ofEpochSecond(Long.parseLong(args[1])), ZoneOffset.UTC);
    Aggregator aggregator = new Aggregator(new AggregatorConfig(ChildJvm.settings(args[0])), clock);
    ChildJvm.closeOnShutdown(aggregator);
    aggregator.start();
    return aggregator;
  }
}

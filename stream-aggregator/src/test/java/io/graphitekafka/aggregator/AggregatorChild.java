package io.graphitekafka.aggregator;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Properties;

/**
 * Test support: runs an {@link Aggregator} with a fixed "now" in its own JVM, so a test can kill it
 * abruptly. Arguments: a properties file of {@link AggregatorConfig} settings, and now in epoch seconds.
 */
public final class AggregatorChild {

  private AggregatorChild() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Properties props = new Properties();
    try (InputStream in = new FileInputStream(args[0])) {
      props.load(in);
    }
    Clock clock = Clock.fixed(Instant.ofEpochSecond(Long.parseLong(args[1])), ZoneOffset.UTC);
    Aggregator aggregator = new Aggregator(new AggregatorConfig(props), clock);
    Runtime.getRuntime().addShutdownHook(new Thread(aggregator::close));
    aggregator.start();
    System.out.println("aggregator child started");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}

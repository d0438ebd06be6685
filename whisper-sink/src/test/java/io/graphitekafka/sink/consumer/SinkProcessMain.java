package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.SinkConfig;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** Runs a sink from a properties file until the process is stopped; the crash tests kill it. */
public final class SinkProcessMain {

  private SinkProcessMain() {}

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of(args[0]))) {
      props.load(in);
    }
    Sink sink = new Sink(new SinkConfig(props));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        sink.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    sink.start();
    System.out.println("sink started");
    System.out.flush();
    sink.awaitStopped(Long.MAX_VALUE, java.util.concurrent.TimeUnit.DAYS);
  }
}

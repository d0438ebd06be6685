package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.testing.ChildJvm;
import java.util.concurrent.TimeUnit;

/** Runs a sink from a properties file until the process is stopped; the crash tests kill it. */
public final class SinkProcessMain {

  private SinkProcessMain() {}

  public static void main(String[] args) throws Exception {
    Sink sink = new Sink(new SinkConfig(ChildJvm.settings(args[0])));
    ChildJvm.closeOnShutdown(sink);
    sink.start();
    ChildJvm.announce("sink started");
    sink.awaitStopped(Long.MAX_VALUE, TimeUnit.DAYS);
  }
}

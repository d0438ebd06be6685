package io.graphitekafka.sink;

import io.graphitekafka.sink.consumer.SinkLoop;

/** The whisper-sink service: one consumer loop writing the series of the partitions it owns. */
public final class Sink implements AutoCloseable {

  private final SinkMetrics metrics = new SinkMetrics();
  private final SinkLoop loop;

  public Sink(SinkConfig config) {
    this.loop = new SinkLoop(config, metrics);
  }

  public void start() {
    loop.start();
  }

  public SinkMetrics metrics() {
    return metrics;
  }

  /** Stops consuming after the current batch is written, flushed and committed. */
  @Override
  public void close() throws InterruptedException {
    loop.close();
  }
}

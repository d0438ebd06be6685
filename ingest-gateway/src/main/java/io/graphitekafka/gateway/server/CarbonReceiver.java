package io.graphitekafka.gateway.server;

/**
 * One of the gateway's inputs (a TCP or UDP listener, the lines topic), all feeding the one {@link
 * PointHandler}: started once, closed once, and after {@code close()} it hands nothing more on.
 */
public interface CarbonReceiver extends AutoCloseable {

  void start() throws InterruptedException;

  /** Stops taking input; what was already read is handed on before this returns. */
  @Override
  void close();
}

package io.graphitekafka.gateway.kafka;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Counts the records of one unit of work (a poll of the lines topic) until Kafka has acknowledged
 * or failed each of them, so the offsets of that work are committed only once its output is
 * durable.
 */
public final class Delivery {

  private int pending;
  private Exception failure;

  synchronized void begin() {
    pending++;
  }

  synchronized void complete(Exception e) {
    pending--;
    if (e != null && failure == null) {
      failure = e;
    }
    if (pending == 0) {
      notifyAll();
    }
  }

  /**
   * Waits until every record begun so far is acknowledged or failed.
   *
   * @return true if all are done within the timeout
   */
  public synchronized boolean await(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pending > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** The first failure among the records, or null if all were acknowledged. */
  public synchronized Exception failure() {
    return failure;
  }

  public synchronized int pending() {
    return pending;
  }
}

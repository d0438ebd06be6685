package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.metrics.SinkStats;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The sink's flow control: a budget of file creates and one of file updates. A partition whose next
 * record needs a file the create budget cannot pay for is paused until a token is back; once a
 * committed batch leaves the update budget in debt, every partition is paused until it is paid.
 * Points are never dropped for either, consumption just slows down.
 */
final class Throttles {

  private static final long POLL_MS = 200;
  private static final long MAX_PAUSED_POLL_MS = 50;

  private final RateLimiter createBudget;
  private final RateLimiter updateBudget;
  private final SinkStats stats;
  // Partitions whose position was rewound to a record whose file may not be created yet.
  private final Set<TopicPartition> waitingForCreates = new HashSet<>();
  private boolean throttled;

  Throttles(RateLimiter createBudget, RateLimiter updateBudget, SinkStats stats) {
    this.createBudget = createBudget;
    this.updateBudget = updateBudget;
    this.stats = stats;
  }

  static Throttles of(SinkConfig config, SinkStats stats) {
    return new Throttles(
        RateLimiter.perSecond(config.maxCreatesPerMinute() / 60, System::nanoTime),
        RateLimiter.perSecond(config.maxUpdatesPerSecond(), System::nanoTime),
        stats);
  }

  /**
   * Pauses the partitions that wait for create budget, or all of them while updates are over
   * budget.
   */
  void apply(Consumer<?, ?> consumer) {
    if (throttled && !updateBudget.inDebt()) {
      throttled = false;
    }
    if (!waitingForCreates.isEmpty() && createBudget.hasToken()) {
      waitingForCreates.clear();
    }
    Set<TopicPartition> assignment = consumer.assignment();
    Set<TopicPartition> wanted = new HashSet<>();
    for (TopicPartition tp : assignment) {
      if (throttled || waitingForCreates.contains(tp)) {
        wanted.add(tp);
      }
    }
    Set<TopicPartition> paused = consumer.paused();
    List<TopicPartition> toPause = new ArrayList<>();
    for (TopicPartition tp : wanted) {
      if (!paused.contains(tp)) {
        toPause.add(tp);
      }
    }
    List<TopicPartition> toResume = new ArrayList<>();
    for (TopicPartition tp : paused) {
      if (!wanted.contains(tp) && assignment.contains(tp)) {
        toResume.add(tp);
      }
    }
    if (!toPause.isEmpty()) {
      consumer.pause(toPause);
    }
    if (!toResume.isEmpty()) {
      consumer.resume(toResume);
    }
  }

  /**
   * How long a poll may wait: shorter while paused, so a partition resumes soon after budget is
   * back.
   */
  long pollMillis() {
    if (!throttled && waitingForCreates.isEmpty()) {
      return POLL_MS;
    }
    long wait = 0;
    if (throttled) {
      wait = updateBudget.nanosUntil(0);
    }
    if (!waitingForCreates.isEmpty()) {
      wait = Math.max(wait, createBudget.nanosUntil(1));
    }
    return Math.max(1, Math.min(MAX_PAUSED_POLL_MS, wait / 1_000_000));
  }

  /** Whether creates are unlimited, so nobody needs to know whether a file exists yet. */
  boolean createsUnlimited() {
    return createBudget.unlimited();
  }

  /** Takes a create token, if there is one. */
  boolean tryCreate() {
    return createBudget.tryAcquire();
  }

  /**
   * Notes a partition stopped (sought back and paused) at a record whose file cannot be created
   * yet.
   */
  void waitForCreate(TopicPartition tp) {
    waitingForCreates.add(tp);
    stats.createPauses.increment();
  }

  /** How many more files a batch may update now. */
  double updatesAvailable() {
    return updateBudget.available();
  }

  /** Charges the updates of a committed batch; pauses consumption if the budget is now in debt. */
  void updated(long operations) {
    updateBudget.consume(operations);
    if (updateBudget.inDebt()) {
      throttled = true;
      stats.throttlePauses.increment();
    }
  }

  void forget(TopicPartition tp) {
    waitingForCreates.remove(tp);
  }
}

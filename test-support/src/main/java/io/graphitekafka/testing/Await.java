package io.graphitekafka.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds or a timeout passes, for tests that wait on brokers or
 * processes.
 */
public final class Await {

  private static final Duration POLL = Duration.ofMillis(50);

  private Await() {}

  /** Waits until {@code condition} holds; fails with {@code what} after {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    until(what, timeout, condition, () -> "");
  }

  /**
   * Waits until {@code condition} holds; after {@code timeout} fails with {@code what} and what
   * {@code diagnostics} describes then, say the offsets or a child's log.
   */
  public static void until(
      String what, Duration timeout, BooleanSupplier condition, Supplier<String> diagnostics)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        String detail = diagnostics.get();
        throw new AssertionError(
            "timed out after "
                + timeout
                + " waiting until "
                + what
                + (detail.isEmpty() ? "" : "\n" + detail));
      }
      Thread.sleep(POLL.toMillis());
    }
  }

  /** A condition that may throw, as a supplier for {@link #until}; an exception counts as false. */
  public static BooleanSupplier quietly(CheckedCondition condition) {
    return () -> {
      try {
        return condition.test();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (Exception e) {
        return false; // e.g. the broker restarting, or a service not answering yet: look again
      }
    };
  }

  /** A condition whose check may throw. */
  @FunctionalInterface
  public interface CheckedCondition {
    boolean test() throws Exception;
  }
}

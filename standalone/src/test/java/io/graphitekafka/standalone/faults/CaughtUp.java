package io.graphitekafka.standalone.faults;

import io.graphitekafka.testing.KafkaProbe;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * When a pipeline has caught up after a restart, seen from outside through Kafka's offsets: every
 * expected point is in the points topic and committed by the aggregator, no transaction on the
 * archives topic is open, and the sink group has committed the archives topic to its end. The
 * aggregator emits what it has read on a timer, so these can all hold for a moment before the last
 * output is emitted; the pipeline has caught up at the last change before they have held,
 * unchanged, for {@link #QUIET}.
 */
final class CaughtUp {

  /** How long nothing may change for the pipeline to count as caught up. */
  static final Duration QUIET = Duration.ofSeconds(4);

  private static final long LOOK_EVERY_MS = 100;

  private CaughtUp() {}

  /**
   * Waits until the pipeline has caught up and returns when it did, in {@link System#nanoTime()}.
   *
   * @param log what to show if it never does
   */
  static long await(
      KafkaProbe kafka,
      String points,
      String appId,
      String archives,
      String sinkGroup,
      long expectedPoints,
      Duration timeout,
      Supplier<String> log)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Object> last = null;
    long lastChange = System.nanoTime();
    String seen = "nothing read yet";
    while (System.nanoTime() < deadline) {
      long now = System.nanoTime();
      try {
        Map<Integer, Long> pointsEnd = kafka.endOffsets(points, false);
        Map<Integer, Long> aggregated = kafka.committed(appId, points);
        Map<Integer, Long> archivesEnd = kafka.endOffsets(archives, false);
        Map<Integer, Long> archivesStable = kafka.endOffsets(archives, true);
        Map<Integer, Long> sunk = kafka.committed(sinkGroup, archives);
        boolean done =
            KafkaProbe.sum(pointsEnd) == expectedPoints
                && aggregated.equals(pointsEnd)
                && archivesEnd.equals(archivesStable)
                && sunk.equals(archivesStable);
        List<Object> state = List.of(done, aggregated, archivesEnd, sunk);
        seen =
            "points end "
                + pointsEnd
                + ", aggregator committed "
                + aggregated
                + ", archives end "
                + archivesEnd
                + " (stable "
                + archivesStable
                + "), sink committed "
                + sunk;
        if (!state.equals(last)) {
          last = state;
          lastChange = now;
        } else if (done && now - lastChange >= QUIET.toNanos()) {
          return lastChange;
        }
      } catch (Exception e) {
        // the broker is not up yet, or a group has no offsets yet
        last = null;
        lastChange = now;
        seen = e.toString();
      }
      Thread.sleep(LOOK_EVERY_MS);
    }
    throw new AssertionError(
        "the pipeline did not catch up in " + timeout + ": " + seen + "\n" + log.get());
  }
}

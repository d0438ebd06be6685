package io.graphitekafka.aggregator.carbonlink;

import io.graphitekafka.schemas.serde.MetricPointReader;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the points of the input partitions this instance owns into the carbonlink window as soon as
 * they are in Kafka, ahead of the rollup, as carbon-cache's receiver puts a point in its cache
 * before its writer gets to it. The stream threads do the rollup, which under load runs seconds
 * behind its input; a graph asks for the newest points, which this reads at the head of the topic
 * at the cost of a decode and a hash lookup each, on its own thread.
 *
 * <p>Every second it compares its assignment with the input partitions of this instance's active
 * tasks, and reads a partition it newly owns from the offset its task has committed (what the task
 * has not committed is not in the files yet), or, when there is none, from the beginning, where the
 * task starts too. While carbon's aggregation or rewrite rules are in force, the rollup feeds the
 * window itself (the rules decide which names a point is written under); {@code active} tells this
 * feed to stand aside then.
 */
public final class PointsFeed implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PointsFeed.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final long CHECK_NANOS = 1_000_000_000L;

  private final Consumer<byte[], MetricPointReader.Result> consumer;
  private final Supplier<Set<TopicPartition>> owned;
  private final Function<Set<TopicPartition>, Map<TopicPartition, Long>> committed;
  private final BooleanSupplier active;
  private final Predicate<MetricPointReader.Result> accepted;
  private final RecentPoints recent;
  private final LongAdder added = new LongAdder();
  private final LongAdder read = new LongAdder();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean started;
  private Set<TopicPartition> assigned = Set.of();

  /** The partitions read, once positioned: the rollup adds the points of the others itself. */
  private volatile Set<Integer> reading = Set.of();

  /**
   * @param consumer a consumer without a group (it is assigned partitions, never subscribed)
   * @param owned the points topic's partitions of this instance's active tasks
   * @param committed the offsets the tasks have committed on these partitions (absent: none), or
   *     null if they cannot be read now
   * @param active whether the feed adds points now (false while carbon rules are in force)
   * @param accepted whether the aggregator takes the point (the rejects are not added)
   */
  public PointsFeed(
      Consumer<byte[], MetricPointReader.Result> consumer,
      Supplier<Set<TopicPartition>> owned,
      Function<Set<TopicPartition>, Map<TopicPartition, Long>> committed,
      BooleanSupplier active,
      Predicate<MetricPointReader.Result> accepted,
      RecentPoints recent) {
    this.consumer = consumer;
    this.owned = owned;
    this.committed = committed;
    this.active = active;
    this.accepted = accepted;
    this.recent = recent;
    this.thread = new Thread(this::run, "carbonlink-feed");
    thread.setDaemon(true);
  }

  public void start() {
    started = true;
    thread.start();
  }

  /** Records read so far, added or not. */
  public long read() {
    return read.sum();
  }

  /** Points added to the window so far. */
  public long added() {
    return added.sum();
  }

  private void run() {
    long nextCheck = System.nanoTime();
    try {
      while (running) {
        long now = System.nanoTime();
        if (now - nextCheck >= 0) {
          follow(ownedNow());
          nextCheck = now + CHECK_NANOS;
        }
        if (assigned.isEmpty()) {
          Thread.sleep(POLL.toMillis());
          continue;
        }
        for (ConsumerRecord<byte[], MetricPointReader.Result> r : consumer.poll(POLL)) {
          MetricPointReader.Result point = r.value();
          read.increment();
          if (accepted.test(point) && active.getAsBoolean()) {
            recent.add(point.metric(), point.timestamp(), point.value());
            added.increment();
          }
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } catch (RuntimeException e) {
      if (running) {
        log.error("carbonlink: the feed of new points stopped; the rollup feeds the window", e);
      }
    } finally {
      running = false;
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** The partitions to read; the current ones while Kafka Streams cannot say (it is stopping). */
  private Set<TopicPartition> ownedNow() {
    try {
      return owned.get();
    } catch (RuntimeException e) {
      log.debug("carbonlink: the active tasks are unknown for now: {}", e.toString());
      return assigned;
    }
  }

  /**
   * Whether the feed adds the points of this partition of the points topic now: it is running, it
   * has been positioned on the partition, and no carbon rule is in force. Otherwise the rollup adds
   * them.
   */
  public boolean adds(int partition) {
    return running && reading.contains(partition) && active.getAsBoolean();
  }

  /** Whether the feed is reading: after a failure the rollup takes over. */
  public boolean running() {
    return running;
  }

  /** Assigns {@code want}, reading each newly owned partition from its committed offset. */
  private void follow(Set<TopicPartition> want) {
    if (want.equals(assigned)) {
      return;
    }
    // a partition given up is no longer read; one taken is read once positioned, below
    Set<Integer> kept = new HashSet<>(reading);
    kept.retainAll(want.stream().map(TopicPartition::partition).toList());
    reading = Set.copyOf(kept);
    Set<TopicPartition> added = new HashSet<>(want);
    added.removeAll(assigned);
    Map<TopicPartition, Long> from = added.isEmpty() ? Map.of() : committed.apply(added);
    if (from == null) {
      return; // unknown for now: again at the next check, the rollup adding those points meanwhile
    }
    consumer.assign(want);
    assigned = Set.copyOf(want);
    if (added.isEmpty()) {
      return;
    }
    Set<TopicPartition> fromStart = new HashSet<>();
    for (TopicPartition tp : added) {
      Long offset = from.get(tp);
      if (offset == null) {
        fromStart.add(tp);
      } else {
        consumer.seek(tp, offset);
      }
    }
    if (!fromStart.isEmpty()) {
      // where the task starts too (Kafka Streams' auto.offset.reset, earliest)
      consumer.seekToBeginning(fromStart);
    }
    reading = want.stream().map(TopicPartition::partition).collect(Collectors.toUnmodifiableSet());
    log.info("carbonlink: feeding the window from {} (from committed offsets: {})", want, from);
  }

  @Override
  public void close() {
    running = false;
    if (!started) {
      consumer.close(Duration.ofSeconds(5));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

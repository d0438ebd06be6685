package io.graphitekafka.aggregator.carbonlink;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far behind a topic's end some consumer groups are, in time: the rollup on its input, the
 * sinks on the archives topic. The carbonlink window follows both, so that it keeps every point
 * until its file holds it, as carbon-cache keeps a point in its cache until its writer has written
 * it.
 *
 * <p>Every {@link #update} notes the topic's end offsets with the time, and reads the offsets each
 * group has committed. The newest note whose every partition the slowest group has committed up to
 * is the moment before which everything in the topic has been consumed: the lag is the time since
 * then. The sinks and Kafka Streams commit their consumer position, which passes the transactions'
 * commit markers, so a caught-up group's offsets equal the end offsets.
 */
public final class GroupProgress {

  private static final Logger log = LoggerFactory.getLogger(GroupProgress.class);

  /** The offsets this reads; a Kafka {@link Admin} in service, a fake in tests. */
  public interface Offsets {
    /** The end offset of every partition of the topic. */
    Map<TopicPartition, Long> ends() throws Exception;

    /**
     * The offsets the group has committed on the topic; a partition it never committed is absent.
     */
    Map<TopicPartition, Long> committed(String group) throws Exception;
  }

  /** The topic's end offsets at a moment ({@link System#nanoTime()}). */
  private record Note(long nanos, Map<TopicPartition, Long> ends) {}

  private final Offsets offsets;
  private final String topic;
  private final List<String> groups;
  private final long maxLagNanos;
  private final ArrayDeque<Note> notes = new ArrayDeque<>();
  private final Set<String> warned = new HashSet<>();

  private static final long NOT_BEHIND = Long.MAX_VALUE;

  /** The time of the oldest note dropped while no note was covered, else {@link #NOT_BEHIND}. */
  private long behindSince = NOT_BEHIND;

  /** Whether the last update could not read the offsets (logged once until one can). */
  private boolean failing;

  /**
   * @param offsets where the offsets come from
   * @param topic the topic they are of, for the log
   * @param groups the consumer groups; the slowest decides
   * @param maxLagNanos the longest lag reported: the window grows no further
   */
  public GroupProgress(Offsets offsets, String topic, List<String> groups, long maxLagNanos) {
    this.offsets = offsets;
    this.topic = topic;
    this.groups = List.copyOf(groups);
    this.maxLagNanos = maxLagNanos;
  }

  /**
   * Notes the end offsets at {@code now} and returns the groups' lag in nanoseconds, at most the
   * maximum; the maximum if no group's offsets can be read.
   */
  public long update(long now) {
    Map<TopicPartition, Long> slowest;
    try {
      notes.addLast(new Note(now, offsets.ends()));
      slowest = slowest(now);
    } catch (Exception e) {
      if (!failing) {
        failing = true;
        log.warn(
            "carbonlink: cannot read the progress on {} ({}); keeping points longer until it can",
            topic,
            e.toString());
      }
      return lagSinceOldest(now);
    }
    if (failing) {
      failing = false;
      log.info("carbonlink: reading the progress on {} again", topic);
    }
    Note covered = null;
    for (Iterator<Note> it = notes.descendingIterator(); it.hasNext(); ) {
      Note n = it.next();
      if (covers(slowest, n.ends)) {
        covered = n;
        break;
      }
    }
    if (covered != null) {
      behindSince = NOT_BEHIND;
      while (notes.peekFirst() != covered) {
        notes.removeFirst();
      }
      return Math.min(maxLagNanos, now - covered.nanos);
    }
    return lagSinceOldest(now);
  }

  /**
   * With no note covered, the lag is at least the age of the oldest note. Notes older than the
   * maximum lag no longer change the answer and are dropped, the oldest one's time kept in {@link
   * #behindSince} until a newer note is covered.
   */
  private long lagSinceOldest(long now) {
    while (notes.size() > 1 && now - notes.peekFirst().nanos > maxLagNanos) {
      Note dropped = notes.removeFirst();
      if (behindSince == NOT_BEHIND) {
        behindSince = dropped.nanos;
      }
    }
    Note oldest = notes.peekFirst();
    if (oldest == null) {
      return maxLagNanos;
    }
    long since = behindSince == NOT_BEHIND ? oldest.nanos : behindSince;
    return Math.min(maxLagNanos, now - since);
  }

  /**
   * Per partition, the lowest offset committed by the groups that have committed on it: a group
   * that never reads a partition (a storage host given other partitions) does not hold it back. A
   * partition no group has committed on counts as offset 0.
   */
  private Map<TopicPartition, Long> slowest(long now) throws Exception {
    Map<TopicPartition, Long> slowest = new HashMap<>();
    for (String group : groups) {
      Map<TopicPartition, Long> committed = offsets.committed(group);
      if (committed.isEmpty() && now - notes.peekFirst().nanos > maxLagNanos && warned.add(group)) {
        log.warn(
            "carbonlink: group {} has committed nothing on {} for {} s; points stay in the"
                + " carbonlink window that long (check carbonlink.sink.groups)",
            group,
            topic,
            TimeUnit.NANOSECONDS.toSeconds(maxLagNanos));
      }
      committed.forEach((tp, offset) -> slowest.merge(tp, offset, Math::min));
    }
    return slowest;
  }

  private static boolean covers(
      Map<TopicPartition, Long> committed, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (e.getValue() > 0 && committed.getOrDefault(e.getKey(), 0L) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** {@link Offsets} from a Kafka {@link Admin}, for one topic. */
  public static Offsets of(Admin admin, String topic, long timeoutMillis) {
    return new Offsets() {
      private List<TopicPartition> partitions = List.of();

      @Override
      public Map<TopicPartition, Long> ends() throws Exception {
        TopicDescription d =
            admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get(timeoutMillis, TimeUnit.MILLISECONDS)
                .get(topic);
        if (d.partitions().size() != partitions.size()) {
          partitions =
              d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicPartition tp : partitions) {
          latest.put(tp, OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin
            .listOffsets(latest)
            .all()
            .get(timeoutMillis, TimeUnit.MILLISECONDS)
            .forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
      }

      @Override
      public Map<TopicPartition, Long> committed(String group)
          throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> all =
            admin
                .listConsumerGroupOffsets(
                    Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(partitions)))
                .partitionsToOffsetAndMetadata(group)
                .get(timeoutMillis, TimeUnit.MILLISECONDS);
        Map<TopicPartition, Long> committed = new HashMap<>();
        all.forEach(
            (tp, o) -> {
              if (o != null) {
                committed.put(tp, o.offset());
              }
            });
        return committed;
      }
    };
  }
}

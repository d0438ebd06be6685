package io.graphitekafka.sink.consumer;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;

/**
 * What the sink has committed per owned partition, and what it has written and flushed but failed
 * to commit (committed when the partition is revoked, so its new owner does not write it again).
 * Offsets only enter here after their records are durable.
 */
final class OffsetLedger {

  // Offsets written and flushed whose commit has not succeeded yet.
  private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
  // The offset last committed per owned partition, to see a position that moved past markers since.
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  /**
   * Commits the offsets of a written and flushed batch, with positions that moved past markers
   * since.
   */
  Map<TopicPartition, OffsetAndMetadata> commitWritten(
      Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> written) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(written);
    addAdvancedPositions(consumer, offsets);
    if (!offsets.isEmpty()) {
      uncommitted.putAll(offsets);
      consumer.commitSync(offsets);
      offsets.keySet().forEach(uncommitted::remove);
      offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
    }
    return offsets;
  }

  /** With nothing to write, commits positions that only moved past transaction markers. */
  void commitAdvancedPositions(Consumer<?, ?> consumer) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    addAdvancedPositions(consumer, offsets);
    if (!offsets.isEmpty()) {
      consumer.commitSync(offsets);
      offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
    }
  }

  /** Commits what was written and flushed for these partitions but not committed yet. */
  void commitUncommitted(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = uncommitted.remove(tp);
      if (o != null) {
        offsets.put(tp, o);
      }
    }
    if (!offsets.isEmpty()) {
      consumer.commitSync(offsets);
    }
  }

  void forget(TopicPartition tp) {
    uncommitted.remove(tp);
    committed.remove(tp);
  }

  /**
   * On a topic written with transactions (the aggregator's), each transaction ends with a commit
   * marker that takes an offset but is never returned as a record, and aborted records are skipped.
   * Committing the last written record + 1 would leave every partition's committed offset one or
   * more below its end offset for good, and lag tools would never show 0. So where the consumer's
   * position has moved past what is committed or in the batch, and every record before it is in the
   * batch or committed (all records a poll returns are gathered, and a partition stopped for
   * creates is sought back to its first unwritten record), the position is committed instead. Only
   * partitions with a known position.
   */
  private void addAdvancedPositions(
      Consumer<?, ?> consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
    for (TopicPartition tp : consumer.assignment()) {
      OffsetAndMetadata inBatch = offsets.get(tp);
      Long last = committed.get(tp);
      if (inBatch == null && last == null) {
        continue;
      }
      long position;
      try {
        position = consumer.position(tp, Duration.ZERO);
      } catch (TimeoutException e) {
        continue; // no position known without asking the broker: nothing read from it yet
      }
      long floor = inBatch != null ? inBatch.offset() : last;
      if (position > floor) {
        offsets.put(tp, new OffsetAndMetadata(position));
      }
    }
  }
}

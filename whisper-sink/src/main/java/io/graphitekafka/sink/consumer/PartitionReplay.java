package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.config.ReplayFrom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --replay-from}: seeks each partition, the first time it is owned since start, to the
 * earliest offset or to the first record at or after an instant, so its series are written again
 * from there. A partition owned again after a rebalance continues from its committed offset.
 */
final class PartitionReplay {

  private static final Logger log = LoggerFactory.getLogger(PartitionReplay.class);

  private final ReplayFrom replayFrom;
  private final Set<TopicPartition> replayed = new HashSet<>();

  /**
   * @param replayFrom where to replay from, or null for no replay
   */
  PartitionReplay(ReplayFrom replayFrom) {
    this.replayFrom = replayFrom;
  }

  void onOwned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
    if (replayFrom == null) {
      return;
    }
    List<TopicPartition> fresh = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      if (replayed.add(tp)) {
        fresh.add(tp);
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    if (replayFrom.earliest()) {
      consumer.seekToBeginning(fresh);
      log.info("replaying {} from the earliest offsets", fresh);
      return;
    }
    Map<TopicPartition, Long> query = new HashMap<>();
    for (TopicPartition tp : fresh) {
      query.put(tp, replayFrom.instant().toEpochMilli());
    }
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
    Map<TopicPartition, Long> ends = consumer.endOffsets(fresh);
    for (TopicPartition tp : fresh) {
      OffsetAndTimestamp o = found.get(tp);
      // no record at or after the instant: nothing to replay, continue from the end
      long offset = o == null ? ends.get(tp) : o.offset();
      consumer.seek(tp, offset);
      log.info(
          "replaying {} from offset {} (first record at or after {})",
          tp,
          offset,
          replayFrom.instant());
    }
  }
}

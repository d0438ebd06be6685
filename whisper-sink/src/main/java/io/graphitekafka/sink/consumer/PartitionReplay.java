package io.graphitekafka.sink.consumer;

import io.graphitekafka.service.progress.Progress;
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

  /** Each replayed partition's first offset and its end offset when the replay started. */
  private final Map<TopicPartition, long[]> ranges = new HashMap<>();

  private final Progress progress;
  private boolean finished;

  /**
   * @param replayFrom where to replay from, or null for no replay
   */
  PartitionReplay(ReplayFrom replayFrom) {
    this(replayFrom, Progress.of("replay", "records", "records", System.err));
  }

  PartitionReplay(ReplayFrom replayFrom, Progress progress) {
    this.replayFrom = replayFrom;
    this.progress = progress;
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
      Map<TopicPartition, Long> ends = consumer.endOffsets(fresh);
      consumer.beginningOffsets(fresh).forEach((tp, first) -> track(tp, first, ends.get(tp)));
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
      track(tp, offset, ends.get(tp));
      log.info(
          "replaying {} from offset {} (first record at or after {})",
          tp,
          offset,
          replayFrom.instant());
    }
  }

  private void track(TopicPartition tp, long first, Long end) {
    ranges.put(tp, new long[] {first, end == null ? first : end});
    finished = false;
  }

  /**
   * Shows how many of the records to replay have been read: the records between each replayed
   * partition's first offset and its end when the replay started. A partition this sink no longer
   * owns counts as read (its new owner goes on from the committed offset). Once all is read the
   * final state is shown, and nothing more until another partition is replayed.
   */
  void showProgress(Consumer<?, ?> consumer) {
    if (finished || ranges.isEmpty()) {
      return;
    }
    Set<TopicPartition> owned = consumer.assignment();
    long done = 0;
    long total = 0;
    for (Map.Entry<TopicPartition, long[]> range : ranges.entrySet()) {
      long first = range.getValue()[0];
      long end = range.getValue()[1];
      long position = owned.contains(range.getKey()) ? consumer.position(range.getKey()) : end;
      total += end - first;
      done += Math.max(0, Math.min(position, end) - first);
    }
    if (done >= total) {
      finished = true;
      progress.finish(done, total, done, "");
    } else {
      progress.update(done, total, done, "");
    }
  }
}

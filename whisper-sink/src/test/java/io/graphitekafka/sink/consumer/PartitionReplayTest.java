package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.service.progress.Progress;
import io.graphitekafka.sink.config.ReplayFrom;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** How far a {@code --replay-from} has got, as the operator sees it outside a terminal. */
class PartitionReplayTest {

  private static final long SECOND = 1_000_000_000L;
  private static final TopicPartition P0 = new TopicPartition("carbon.archives", 0);
  private static final TopicPartition P1 = new TopicPartition("carbon.archives", 1);

  private final AtomicLong clock = new AtomicLong();
  private final ByteArrayOutputStream lines = new ByteArrayOutputStream();
  private final MockConsumer<Void, ByteBuffer> consumer = new MockConsumer<>("earliest");

  /** A replay from the earliest offsets of both partitions, owned. */
  private PartitionReplay replaying(
      Map<TopicPartition, Long> first, Map<TopicPartition, Long> end) {
    consumer.assign(List.of(P0, P1));
    consumer.updateBeginningOffsets(first);
    consumer.updateEndOffsets(end);
    PartitionReplay replay = replay();
    replay.onOwned(consumer, List.of(P0, P1));
    return replay;
  }

  private PartitionReplay replay() {
    Progress progress =
        new Progress(
            "replay",
            "records",
            "records",
            new PrintStream(lines, true, StandardCharsets.UTF_8),
            false,
            10 * SECOND,
            clock::get);
    return new PartitionReplay(ReplayFrom.EARLIEST, progress);
  }

  @Test
  void countsTheRecordsReadOfThoseBetweenTheFirstOffsetsAndTheEndsAtTheStart() {
    PartitionReplay replay = replaying(Map.of(P0, 10L, P1, 0L), Map.of(P0, 30L, P1, 20L));

    clock.set(10 * SECOND);
    consumer.seek(P0, 20);
    consumer.seek(P1, 0);
    replay.showProgress(consumer);
    clock.set(15 * SECOND);
    replay.showProgress(consumer); // not yet time for another line
    clock.set(20 * SECOND);
    consumer.seek(P0, 30);
    consumer.seek(P1, 20);
    replay.showProgress(consumer);
    clock.set(40 * SECOND);
    replay.showProgress(consumer); // finished: nothing more

    assertThat(lines.toString(StandardCharsets.UTF_8).split("\n"))
        .containsExactly(
            "replay: 25% 10/40 records, 1 records/s, ETA 30s",
            "replay: 100% 40/40 records, 2 records/s, ETA 0s");
  }

  @Test
  void aPartitionNoLongerOwnedCountsAsRead() {
    PartitionReplay replay = replaying(Map.of(P0, 0L, P1, 0L), Map.of(P0, 10L, P1, 10L));
    consumer.assign(List.of(P0));
    consumer.seek(P0, 10);

    clock.set(10 * SECOND);
    replay.showProgress(consumer);

    assertThat(lines.toString(StandardCharsets.UTF_8)).startsWith("replay: 100% 20/20 records");
  }
}

package io.graphitekafka.aggregator.carbonlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class GroupProgressTest {

  private static final long S = 1_000_000_000L;
  private static final TopicPartition P0 = new TopicPartition("carbon.archives", 0);
  private static final TopicPartition P1 = new TopicPartition("carbon.archives", 1);

  /** End offsets and committed offsets set by the test. */
  private static final class FakeOffsets implements GroupProgress.Offsets {
    final Map<TopicPartition, Long> ends = new HashMap<>();
    final Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
    boolean failing;

    @Override
    public Map<TopicPartition, Long> ends() {
      if (failing) {
        throw new IllegalStateException("broker unreachable");
      }
      return Map.copyOf(ends);
    }

    @Override
    public Map<TopicPartition, Long> committed(String group) {
      return Map.copyOf(committed.getOrDefault(group, Map.of()));
    }

    void commit(String group, TopicPartition tp, long offset) {
      committed.computeIfAbsent(group, g -> new HashMap<>()).put(tp, offset);
    }
  }

  private final FakeOffsets offsets = new FakeOffsets();

  @Test
  void lagIsTheTimeSinceTheNewestEndOffsetsTheSinkHasCommitted() {
    GroupProgress progress =
        new GroupProgress(offsets, "carbon.archives", List.of("sink"), 100 * S);
    offsets.ends.put(P0, 10L);
    offsets.ends.put(P1, 0L); // nothing ever sent there: never holds the sink back
    assertThat(progress.update(0)).as("nothing committed yet").isZero();

    offsets.ends.put(P0, 20L);
    assertThat(progress.update(1 * S)).as("behind since the note at 0 s").isEqualTo(1 * S);
    offsets.ends.put(P0, 30L);
    offsets.ends.put(P1, 5L);
    assertThat(progress.update(2 * S)).isEqualTo(2 * S);

    offsets.commit("sink", P0, 20L); // the note at 1 s is written; the one at 2 s not (P1)
    assertThat(progress.update(5 * S)).isEqualTo(4 * S);

    offsets.commit("sink", P0, 30L);
    offsets.commit("sink", P1, 5L); // caught up with everything noted so far
    assertThat(progress.update(6 * S)).as("caught up").isZero();
    assertThat(progress.update(7 * S)).as("nothing new sent: still caught up").isZero();
    offsets.ends.put(P0, 40L);
    assertThat(progress.update(8 * S)).as("behind since the note at 7 s").isEqualTo(1 * S);
  }

  @Test
  void theSlowestGroupDecides() {
    GroupProgress progress =
        new GroupProgress(offsets, "carbon.archives", List.of("host-a", "host-b"), 100 * S);
    offsets.ends.put(P0, 10L);
    offsets.commit("host-a", P0, 10L);
    offsets.commit("host-b", P0, 4L);
    progress.update(0);
    offsets.ends.put(P0, 20L);
    offsets.commit("host-a", P0, 20L);
    assertThat(progress.update(3 * S))
        .as("host-b is still before the note at 0 s")
        .isEqualTo(3 * S);
    offsets.commit("host-b", P0, 20L);
    assertThat(progress.update(4 * S)).isZero();
  }

  @Test
  void groupsThatSplitThePartitionsEachHoldBackOnlyTheirOwn() {
    GroupProgress progress =
        new GroupProgress(offsets, "carbon.archives", List.of("storage1", "storage2"), 100 * S);
    offsets.ends.put(P0, 10L);
    offsets.ends.put(P1, 10L);
    offsets.commit("storage1", P0, 10L);
    offsets.commit("storage2", P1, 5L);
    progress.update(0);
    assertThat(progress.update(2 * S)).as("storage2 is behind on P1").isEqualTo(2 * S);
    offsets.commit("storage2", P1, 10L);
    assertThat(progress.update(3 * S)).isZero();
  }

  @Test
  void aGroupThatNeverCommittedOrAnUnreadableBrokerHoldsUpToTheMaximum() {
    GroupProgress progress =
        new GroupProgress(offsets, "carbon.archives", List.of("absent"), 10 * S);
    offsets.ends.put(P0, 10L);
    progress.update(0);
    assertThat(progress.update(4 * S)).isEqualTo(4 * S);
    assertThat(progress.update(30 * S)).as("capped").isEqualTo(10 * S);
    assertThat(progress.update(31 * S)).as("still capped, old notes dropped").isEqualTo(10 * S);

    offsets.failing = true;
    assertThat(progress.update(32 * S)).as("unknown: at most the maximum").isEqualTo(10 * S);
    offsets.failing = false;
    offsets.commit("absent", P0, 10L);
    assertThat(progress.update(33 * S)).as("readable again and caught up").isZero();
  }
}

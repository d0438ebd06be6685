package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Positions moved past transaction markers are committed, and only behind written records. */
class OffsetLedgerTest {

  private static final TopicPartition P0 = new TopicPartition("archives", 0);
  private static final TopicPartition P1 = new TopicPartition("archives", 1);

  private final Map<TopicPartition, Long> commits = new HashMap<>();
  private final MockConsumer<Void, ByteBuffer> consumer =
      new MockConsumer<>("earliest") {
        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
          super.commitSync(offsets);
          offsets.forEach((tp, o) -> commits.put(tp, o.offset()));
        }
      };
  private final OffsetLedger ledger = new OffsetLedger();

  OffsetLedgerTest() {
    consumer.assign(List.of(P0, P1));
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
  }

  @Test
  void commitsThePositionWhenItMovedPastAMarkerAfterTheBatch() {
    consumer.seek(P0, 3); // records 0 and 1 in the batch, a commit marker at 2
    consumer.seek(P1, 7); // nothing of partition 1 written or committed yet

    ledger.commitWritten(consumer, Map.of(P0, new OffsetAndMetadata(2)));

    assertThat(commits).isEqualTo(Map.of(P0, 3L));
  }

  @Test
  void withNothingToWriteCommitsOnlyPositionsPastWhatWasCommitted() {
    consumer.seek(P0, 2);
    consumer.seek(P1, 4);
    ledger.commitWritten(consumer, Map.of(P0, new OffsetAndMetadata(2)));
    ledger.commitAdvancedPositions(consumer);
    assertThat(commits).isEqualTo(Map.of(P0, 2L));

    consumer.seek(P0, 5);
    ledger.commitAdvancedPositions(consumer);
    assertThat(commits).isEqualTo(Map.of(P0, 5L));
  }

  @Test
  void aForgottenPartitionIsNotCommittedAgain() {
    consumer.seek(P0, 2);
    ledger.commitWritten(consumer, Map.of(P0, new OffsetAndMetadata(2)));
    ledger.forget(P0);
    consumer.seek(P0, 9);

    ledger.commitAdvancedPositions(consumer);
    ledger.commitUncommitted(consumer, List.of(P0));

    assertThat(commits).isEqualTo(Map.of(P0, 2L));
  }
}

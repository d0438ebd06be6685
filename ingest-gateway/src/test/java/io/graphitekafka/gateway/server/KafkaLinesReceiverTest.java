package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The lines receiver's commit protocol, driven through Kafka's {@link MockConsumer}: no broker. */
class KafkaLinesReceiverTest {

  private static final String TOPIC = "carbon.lines";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  private final Harness h = new Harness();
  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final KafkaLinesReceiver receiver =
      new KafkaLinesReceiver(consumer, TOPIC, h.points, h.metrics);

  /** Assigns both partitions from offset 0, as a rebalance after subscribe would. */
  private void assigned() {
    consumer.subscribe(List.of(TOPIC));
    consumer.rebalance(List.of(P0, P1));
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
  }

  private void record(TopicPartition tp, long offset, String value) {
    consumer.addRecord(
        new ConsumerRecord<>(
            tp.topic(),
            tp.partition(),
            offset,
            null,
            value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
  }

  private Map<TopicPartition, OffsetAndMetadata> committed() {
    return consumer.committed(Set.of(P0, P1));
  }

  @Test
  void commitsTheOffsetAfterEachPartitionsLastRecordOnceKafkaAcknowledgedItsPoints()
      throws Exception {
    assigned();
    record(P0, 0, "a.b 1 1700000000\nc.d 2 1700000000\n");
    record(P0, 1, "e.f 3 1700000000");
    record(P1, 0, "g.h 4 1700000000\r\n");

    receiver.pollOnce();

    assertThat(h.pointNames()).containsExactlyInAnyOrder("a.b", "c.d", "e.f", "g.h");
    assertThat(committed())
        .containsEntry(P0, new OffsetAndMetadata(2))
        .containsEntry(P1, new OffsetAndMetadata(1));
    assertThat(h.counter(GatewayStats.LINES_RECORDS)).isEqualTo(3);
  }

  @Test
  void rejectsABadLineWithTopicPartitionAndOffsetAsItsSourceAndStillCommits() throws Exception {
    assigned();
    record(P1, 0, null); // a tombstone produces nothing, and is consumed
    record(P1, 1, "ok 1 1700000000\nbad line\n");

    receiver.pollOnce();

    assertThat(h.pointNames()).containsExactly("ok");
    List<Reject> rejects = h.rejects();
    assertThat(rejects)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getReason()).isEqualTo("field_count");
              assertThat(r.getProtocol()).isEqualTo(LinesBatch.PROTOCOL);
              assertThat(r.getSourceAddress()).isEqualTo(TOPIC + "-1@1");
              assertThat(StandardCharsets.UTF_8.decode(r.getRaw()).toString())
                  .isEqualTo("bad line");
            });
    assertThat(committed()).containsEntry(P1, new OffsetAndMetadata(2));
  }

  @Test
  void seeksBackToTheBatchsFirstOffsetsAndCommitsNothingWhenKafkaFailsARecord() throws Exception {
    assigned();
    record(P0, 0, "a.b 1 1700000000");
    record(P0, 1, "a.b 2 1700000010");
    record(P1, 0, "c.d 3 1700000000");
    receiver.pollOnce();
    assertThat(committed()).containsEntry(P0, new OffsetAndMetadata(2));

    record(P0, 2, "a.b 3 1700000020");
    record(P0, 3, "a.b 4 1700000030");
    record(P1, 1, "c.d 4 1700000010");
    h.mock.sendException = new KafkaException("not produced");
    receiver.pollOnce();

    assertThat(consumer.position(P0)).isEqualTo(2);
    assertThat(consumer.position(P1)).isEqualTo(1);
    assertThat(committed())
        .containsEntry(P0, new OffsetAndMetadata(2))
        .containsEntry(P1, new OffsetAndMetadata(1));
    assertThat(h.counter(GatewayStats.PRODUCE_ERRORS)).isEqualTo(3);
  }

  /** Polls {@code condition} every 20 ms until it holds or {@code timeout} ran out. */
  private static boolean eventually(Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  @Test
  void waitsForTheTopicThenConsumesAndCommitsOnItsOwnThreadUntilClosed() throws Exception {
    consumer.schedulePollTask(
        () -> {
          consumer.rebalance(List.of(P0));
          consumer.updateBeginningOffsets(Map.of(P0, 0L));
          record(P0, 0, "a.b 1 1700000000\n");
        });
    receiver.start();
    Thread.sleep(300);
    assertThat(consumer.subscription()).as("not subscribed before the topic exists").isEmpty();

    consumer.updatePartitions(
        TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
    assertThat(
            eventually(
                Duration.ofSeconds(15),
                () -> new OffsetAndMetadata(1).equals(consumer.committed(Set.of(P0)).get(P0))))
        .as("offset 1 committed")
        .isTrue();
    receiver.close();

    assertThat(consumer.closed()).isTrue();
    assertThat(h.points()).extracting(MetricPoint::getMetric).containsExactly("a.b");
  }
}

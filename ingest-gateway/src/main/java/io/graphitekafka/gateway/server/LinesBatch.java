package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import io.graphitekafka.gateway.kafka.Delivery;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * One poll of the lines topic, the broker-free part of {@link KafkaLinesReceiver}: hands every line
 * of every record value to the {@link PointHandler} under one {@link Delivery}, remembers per
 * partition the first offset (to read the batch again) and the offset after the last (to commit),
 * and waits until Kafka acknowledged or failed everything produced from it.
 */
final class LinesBatch {

  /** What became of a batch's output, which decides what happens to its offsets. */
  enum Outcome {
    /** Every point and reject is acknowledged: commit {@link #nextOffsets()}. */
    ACKNOWLEDGED,
    /** Kafka failed a record: seek back to {@link #firstOffsets()} and read the batch again. */
    FAILED,
    /**
     * Stopping and Kafka did not acknowledge in time: commit nothing, the batch is read again
     * later.
     */
    ABANDONED
  }

  static final String PROTOCOL = "kafka-lines";

  private final Delivery delivery = new Delivery();
  private final Map<TopicPartition, Long> first = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();

  private LinesBatch() {}

  /** Produces the lines of {@code records}; a record without a value produces nothing. */
  static LinesBatch produce(ConsumerRecords<byte[], byte[]> records, PointHandler points) {
    LinesBatch batch = new LinesBatch();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      batch.add(record, points);
    }
    return batch;
  }

  private void add(ConsumerRecord<byte[], byte[]> record, PointHandler points) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    first.putIfAbsent(tp, record.offset());
    next.put(tp, new OffsetAndMetadata(record.offset() + 1));
    byte[] value = record.value();
    if (value != null) {
      Source source =
          new Source(
              PROTOCOL, record.topic() + "-" + record.partition() + "@" + record.offset(), null);
      CarbonLineSplitter.forEachNewlineLine(
          value,
          0,
          value.length,
          (buf, offset, length) -> points.line(buf, offset, length, source, delivery));
    }
  }

  /**
   * Waits, {@code ackWait} at a time, until Kafka acknowledged or failed everything produced from
   * this batch; while Kafka is unreachable this waits, which is the lines receiver's backpressure.
   * Once {@code running} turns false it waits at most {@code shutdownWait} more.
   */
  Outcome settle(Duration ackWait, Duration shutdownWait, BooleanSupplier running)
      throws InterruptedException {
    long giveUpAt = 0;
    while (!delivery.await(ackWait)) {
      if (!running.getAsBoolean()) {
        if (giveUpAt == 0) {
          giveUpAt = System.nanoTime() + shutdownWait.toNanos();
        } else if (System.nanoTime() - giveUpAt > 0) {
          return Outcome.ABANDONED;
        }
      }
    }
    return delivery.failure() == null ? Outcome.ACKNOWLEDGED : Outcome.FAILED;
  }

  /** The records still unacknowledged. */
  int pending() {
    return delivery.pending();
  }

  /** Kafka's first failure, or null. */
  Exception failure() {
    return delivery.failure();
  }

  /** Per partition, the batch's first offset: where to seek to read it again. */
  Map<TopicPartition, Long> firstOffsets() {
    return Map.copyOf(first);
  }

  /** Per partition, the offset after the batch's last record: what to commit. */
  Map<TopicPartition, OffsetAndMetadata> nextOffsets() {
    return Map.copyOf(next);
  }
}

package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.sink.metrics.SinkStats;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what the sink cannot write to the rejects topic, keyed by reason, counts it and samples it
 * into the log. Sends are asynchronous; {@link #flush()} is called before a batch's offsets are
 * committed and fails if any send failed, so a rejected record is never committed past without
 * being on the topic.
 */
final class RejectsPublisher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RejectsPublisher.class);
  private static final int LOGGED_REJECTS_PER_REASON = 10;
  private static final String SERVICE = "whisper-sink";

  private final Producer<byte[], byte[]> producer;
  private final Topic<String, Reject> topic;
  private final SinkStats stats;
  private final AtomicReference<Exception> sendFailure = new AtomicReference<>();
  private final Map<String, Long> logged = new HashMap<>();

  RejectsPublisher(
      Producer<byte[], byte[]> producer, Topic<String, Reject> topic, SinkStats stats) {
    this.producer = producer;
    this.topic = topic;
    this.stats = stats;
  }

  /** Rejects a consumed record whose value cannot be written. */
  void reject(ConsumerRecord<?, ByteBuffer> record, String reason, String detail) {
    long seen = logged.merge(reason, 1L, Long::sum);
    if (seen <= LOGGED_REJECTS_PER_REASON || seen % 1000 == 0) {
      log.warn(
          "rejected record {}-{}@{} ({} so far with this reason): {}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          seen,
          reason,
          detail);
    } else {
      log.trace(
          "rejected record {}-{}@{}: {}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          reason,
          detail);
    }
    reject(record.value(), reason, detail, record.topic() + "-" + record.partition());
  }

  /** Rejects a value; {@code source} names where it was read from. */
  void reject(ByteBuffer value, String reason, String detail, String source) {
    stats.reject(reason);
    send(bytes(value), reason, detail, source);
  }

  /** Rejects a record the consumer could not even hand over; its bytes are not known. */
  void corruptRecord(TopicPartition tp, String detail) {
    stats.reject("corrupt_record");
    send(new byte[0], "corrupt_record", detail, tp.topic() + "-" + tp.partition());
  }

  /**
   * Waits until every reject sent so far is acknowledged.
   *
   * @throws KafkaException if any of them could not be sent
   */
  void flush() {
    producer.flush();
    Exception failure = sendFailure.getAndSet(null);
    if (failure != null) {
      throw new KafkaException("sending rejects to " + topic.name() + " failed", failure);
    }
  }

  private void send(byte[] value, String reason, String detail, String source) {
    Reject reject =
        new Reject(
            ByteBuffer.wrap(value),
            reason,
            detail,
            SERVICE,
            source,
            null,
            System.currentTimeMillis());
    producer.send(
        new ProducerRecord<>(
            topic.name(),
            topic.keySerde().serializer().serialize(topic.name(), reason),
            topic.valueSerde().serializer().serialize(topic.name(), reject)),
        (meta, error) -> {
          if (error != null) {
            sendFailure.compareAndSet(null, error);
          }
        });
  }

  private static byte[] bytes(ByteBuffer value) {
    if (value == null) {
      return new byte[0];
    }
    byte[] copy = new byte[value.remaining()];
    value.duplicate().get(copy);
    return copy;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}

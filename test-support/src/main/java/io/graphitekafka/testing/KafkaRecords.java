package io.graphitekafka.testing;

import io.graphitekafka.schemas.topic.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes records to a topic and reads them back, in integration tests. */
public final class KafkaRecords {

  /** How long the readers here wait for the records a test expects, unless told otherwise. */
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

  private KafkaRecords() {}

  /**
   * Sends the records with a {@link KafkaClients#producer test producer} using the topic's
   * serializers, in order, and waits until every one is acknowledged.
   */
  public static <K, V> void produce(
      String bootstrap, Topic<K, V> topic, List<ProducerRecord<K, V>> records) {
    try (KafkaProducer<K, V> producer = KafkaClients.producer(bootstrap, topic, Map.of())) {
      sendAll(producer, records);
    }
  }

  /**
   * Sends the records in order and waits until every one is acknowledged: a record the broker
   * refused fails the test here, not as a missing record later.
   */
  public static <K, V> void sendAll(Producer<K, V> producer, List<ProducerRecord<K, V>> records) {
    List<Future<?>> sent = new ArrayList<>();
    for (ProducerRecord<K, V> record : records) {
      sent.add(producer.send(record));
    }
    producer.flush();
    try {
      for (Future<?> f : sent) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while producing", e);
    } catch (ExecutionException e) {
      throw new AssertionError("producing failed", e.getCause());
    }
  }

  /**
   * Sends the strings to partition 0 of the topic, each keyed by itself, and waits for every ack.
   */
  public static void sendStrings(String bootstrap, String topic, String... values) {
    try (KafkaProducer<String, String> producer =
        KafkaClients.producer(
            bootstrap, new StringSerializer(), new StringSerializer(), Map.of())) {
      sendAll(producer, Stream.of(values).map(v -> new ProducerRecord<>(topic, 0, v, v)).toList());
    }
  }

  /**
   * The string values of partition 0 of the topic, read from its start without a consumer group
   * with some consumer settings changed (say, the isolation level), until {@code expected} arrived
   * or {@link #READ_TIMEOUT} passed.
   */
  public static List<String> readStringsFromStart(
      String bootstrap, String topic, int expected, Map<String, Object> changed) {
    try (KafkaConsumer<String, String> consumer =
        KafkaClients.consumer(
            bootstrap, new StringDeserializer(), new StringDeserializer(), changed)) {
      return values(readFromStart(consumer, new TopicPartition(topic, 0), expected, READ_TIMEOUT));
    }
  }

  /**
   * Reads until {@code expected} records arrived or {@code timeout} passed, then one more short
   * poll so that duplicates or strays beyond the expected count are seen too.
   */
  public static <K, V> List<ConsumerRecord<K, V>> consume(
      String bootstrap, Topic<K, V> topic, int expected, Duration timeout) {
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.GROUP_ID_CONFIG,
            "test-" + UUID.randomUUID(),
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            10000);
    try (KafkaConsumer<K, V> consumer = KafkaClients.consumer(bootstrap, topic, props)) {
      consumer.subscribe(List.of(topic.name()));
      List<ConsumerRecord<K, V>> out = poll(consumer, expected, timeout);
      consumer.poll(Duration.ofMillis(500)).forEach(out::add);
      return out;
    }
  }

  /**
   * Reads one partition from its start without a consumer group, until {@code expected} records
   * arrived or {@code timeout} passed.
   */
  public static <K, V> List<ConsumerRecord<K, V>> readFromStart(
      Consumer<K, V> consumer, TopicPartition partition, int expected, Duration timeout) {
    consumer.assign(List.of(partition));
    consumer.seekToBeginning(List.of(partition));
    return poll(consumer, expected, timeout);
  }

  /**
   * Polls until {@code expected} records arrived or {@code timeout} passed; returns what arrived.
   */
  public static <K, V> List<ConsumerRecord<K, V>> poll(
      Consumer<K, V> consumer, int expected, Duration timeout) {
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < expected && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }

  /** The values of the records, in order. */
  public static <V> List<V> values(List<? extends ConsumerRecord<?, V>> records) {
    return records.stream().map(ConsumerRecord::value).toList();
  }
}

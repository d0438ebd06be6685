package io.graphitekafka.embedded;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Small producer and consumer helpers for the broker's integration tests. */
final class KafkaTestClients {

  static final Duration READ_TIMEOUT = Duration.ofSeconds(20);

  private KafkaTestClients() {}

  static KafkaProducer<String, String> producer(EmbeddedKafkaBroker kafka, Map<String, Object> extra) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    props.putAll(extra);
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  static KafkaConsumer<String, String> consumer(EmbeddedKafkaBroker kafka, Map<String, Object> extra) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putAll(extra);
    return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
  }

  /** Sends the values to partition 0 of the topic, keyed by themselves, and waits for every ack. */
  static void send(EmbeddedKafkaBroker kafka, String topic, String... values) throws Exception {
    try (KafkaProducer<String, String> producer = producer(kafka, Map.of())) {
      for (String value : values) {
        producer.send(new ProducerRecord<>(topic, 0, value, value)).get(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Reads partition 0 of the topic from the start, without a group, until it holds {@code count} values. */
  static List<String> readFromStart(
      EmbeddedKafkaBroker kafka, String topic, int count, Map<String, Object> extra) {
    try (KafkaConsumer<String, String> consumer = consumer(kafka, extra)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      return poll(consumer, count);
    }
  }

  /** Polls until {@code count} values arrived or {@link #READ_TIMEOUT} passed; returns what arrived. */
  static List<String> poll(KafkaConsumer<String, String> consumer, int count) {
    List<String> values = new ArrayList<>();
    long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
    while (values.size() < count && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
        values.add(record.value());
      }
    }
    return values;
  }
}

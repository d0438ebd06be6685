package io.graphitekafka.testing;

import io.graphitekafka.schemas.topic.Topic;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka producers, consumers and admin clients for tests, each with the settings a test wants
 * unless it changes some: producers acknowledged by every replica and in order, consumers from the
 * earliest offset without auto-commit.
 */
public final class KafkaClients {

  private KafkaClients() {}

  /**
   * A producer that keeps order with one request in flight instead of idempotence: on a heavily
   * loaded machine an idempotent producer's retry of a first batch to a just-created partition was
   * seen to fail forever with OUT_OF_ORDER_SEQUENCE_NUMBER, or to be appended after later records.
   * A duplicate from a retry is the price, which the tests that count records allow for.
   */
  public static <K, V> KafkaProducer<K, V> producer(
      String bootstrapServers,
      Serializer<K> keys,
      Serializer<V> values,
      Map<String, Object> changed) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.putAll(changed);
    return new KafkaProducer<>(props, keys, values);
  }

  /** {@link #producer(String, Serializer, Serializer, Map)} with the serializers of a topic. */
  public static <K, V> KafkaProducer<K, V> producer(
      String bootstrapServers, Topic<K, V> topic, Map<String, Object> changed) {
    return producer(
        bootstrapServers, topic.keySerde().serializer(), topic.valueSerde().serializer(), changed);
  }

  /** A consumer starting at the earliest offset that commits nothing unless asked to. */
  public static <K, V> KafkaConsumer<K, V> consumer(
      String bootstrapServers,
      Deserializer<K> keys,
      Deserializer<V> values,
      Map<String, Object> changed) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.putAll(changed);
    return new KafkaConsumer<>(props, keys, values);
  }

  /**
   * {@link #consumer(String, Deserializer, Deserializer, Map)} with the deserializers of a topic.
   */
  public static <K, V> KafkaConsumer<K, V> consumer(
      String bootstrapServers, Topic<K, V> topic, Map<String, Object> changed) {
    return consumer(
        bootstrapServers,
        topic.keySerde().deserializer(),
        topic.valueSerde().deserializer(),
        changed);
  }

  /** An admin client with timeouts short enough for a test to see a stopped broker. */
  public static Admin admin(String bootstrapServers) {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            15_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            20_000));
  }
}

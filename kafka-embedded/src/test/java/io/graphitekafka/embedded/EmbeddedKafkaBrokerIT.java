package io.graphitekafka.embedded;

import static io.graphitekafka.testing.KafkaRecords.READ_TIMEOUT;
import static io.graphitekafka.testing.KafkaRecords.poll;
import static io.graphitekafka.testing.KafkaRecords.readStringsFromStart;
import static io.graphitekafka.testing.KafkaRecords.sendStrings;
import static io.graphitekafka.testing.KafkaRecords.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.testing.KafkaClients;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class EmbeddedKafkaBrokerIT {

  private static EmbeddedKafkaBroker fromBeforeAll;

  private final EmbeddedKafkaBroker kafka;

  EmbeddedKafkaBrokerIT(EmbeddedKafkaBroker kafka) {
    this.kafka = kafka;
  }

  @BeforeAll
  static void rememberBroker(EmbeddedKafkaBroker kafka) {
    fromBeforeAll = kafka;
  }

  @Test
  void producesRecordsThatAConsumerGroupReadsAndCommits() throws Exception {
    String topic = uniqueTopic("plain");
    kafka.createTopics(3, topic);
    try (KafkaProducer<String, String> producer = producer(Map.of())) {
      for (int i = 0; i < 30; i++) {
        producer.send(new ProducerRecord<>(topic, "series-" + i, "value-" + i)).get();
      }
    }

    String group = uniqueTopic("group");
    try (KafkaConsumer<String, String> consumer =
        KafkaClients.consumer(
            kafka.bootstrapServers(),
            new StringDeserializer(),
            new StringDeserializer(),
            Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
      consumer.subscribe(List.of(topic));
      List<String> values = values(poll(consumer, 30, READ_TIMEOUT));
      consumer.commitSync();

      assertThat(values).hasSize(30).contains("value-0", "value-29").doesNotHaveDuplicates();
      long committed =
          consumer.committed(consumer.assignment()).values().stream()
              .mapToLong(OffsetAndMetadata::offset)
              .sum();
      assertThat(committed).isEqualTo(30);
    }
  }

  @Test
  void readCommittedConsumerSeesCommittedButNotAbortedRecords() throws Exception {
    String topic = uniqueTopic("tx");
    kafka.createTopics(1, topic);
    Map<String, Object> transactional =
        Map.of(
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            uniqueTopic("tx-id"),
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true);
    try (KafkaProducer<String, String> producer = producer(transactional)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "committed-1"));
      producer.send(new ProducerRecord<>(topic, 0, "k", "committed-2"));
      producer.commitTransaction();

      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "aborted-1"));
      producer.send(new ProducerRecord<>(topic, 0, "k", "aborted-2"));
      producer.flush();
      producer.abortTransaction();

      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, 0, "k", "committed-3"));
      producer.commitTransaction();
    }

    List<String> committed =
        readStringsFromStart(
            kafka.bootstrapServers(),
            topic,
            3,
            Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    List<String> uncommitted =
        readStringsFromStart(
            kafka.bootstrapServers(),
            topic,
            5,
            Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"));

    assertThat(committed).containsExactly("committed-1", "committed-2", "committed-3");
    // The aborted records did reach the log; only the isolation level hides them.
    assertThat(uncommitted)
        .containsExactly("committed-1", "committed-2", "aborted-1", "aborted-2", "committed-3");
  }

  @Test
  void keptLogDirKeepsRecordsAcrossRestartAndNewBroker(@TempDir Path logDir) throws Exception {
    String topic = "restart";
    String firstAddress;
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().logDir(logDir).build()) {
      broker.start();
      firstAddress = broker.bootstrapServers();
      broker.createTopics(1, topic);
      sendStrings(broker.bootstrapServers(), topic, "before-restart-1", "before-restart-2");

      long stopStart = System.nanoTime();
      broker.restart();
      assertThat(Duration.ofNanos(System.nanoTime() - stopStart))
          .isLessThan(Duration.ofSeconds(30));

      assertThat(broker.bootstrapServers()).isEqualTo(firstAddress);
      assertThat(readStringsFromStart(broker.bootstrapServers(), topic, 2, Map.of()))
          .containsExactly("before-restart-1", "before-restart-2");
      sendStrings(broker.bootstrapServers(), topic, "after-restart");

      long closeStart = System.nanoTime();
      broker.close();
      assertThat(Duration.ofNanos(System.nanoTime() - closeStart))
          .isLessThan(Duration.ofSeconds(15));
      broker.close();
      assertThat(broker.isRunning()).isFalse();
    }

    int port = Integer.parseInt(firstAddress.substring(firstAddress.lastIndexOf(':') + 1));
    try (ServerSocket rebind = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(rebind.getLocalPort()).as("client port released on close").isEqualTo(port);
    }
    assertThat(logDir).isDirectory();
    assertThat(Files.list(logDir)).isNotEmpty();

    // A second broker on the same directory, as after a standalone process restart.
    try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.builder().logDir(logDir).build()) {
      again.start();
      again.createTopics(1, topic);
      assertThat(readStringsFromStart(again.bootstrapServers(), topic, 3, Map.of()))
          .containsExactly("before-restart-1", "before-restart-2", "after-restart");
    }
  }

  @Test
  void injectsTheBrokerSharedWithOtherTestClasses(EmbeddedKafkaBroker parameter) {
    assertThat(parameter).isSameAs(kafka).isSameAs(fromBeforeAll);
    SharedBrokerWitness.assertSameAsFirstSeen(parameter);
  }

  private KafkaProducer<String, String> producer(Map<String, Object> changed) {
    return KafkaClients.producer(
        kafka.bootstrapServers(), new StringSerializer(), new StringSerializer(), changed);
  }

  private static String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }
}

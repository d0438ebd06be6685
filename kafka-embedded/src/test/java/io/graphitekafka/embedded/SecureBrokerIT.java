package io.graphitekafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A broker that serves clients only over SASL/SCRAM-SHA-512 on TLS. */
class SecureBrokerIT {

  private static EmbeddedKafkaBroker kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafkaBroker.builder().saslScram("graphite", "s3cret").build();
    kafka.start();
    kafka.createTopics(1, "secure");
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  private static Map<String, Object> client(Map<String, Object> security) {
    Map<String, Object> props = new HashMap<>(security);
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8_000);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4_000);
    return props;
  }

  @Test
  void clientsWithTheScramLoginAndTruststoreProduceAndConsume() {
    assertThat(kafka.clientProperties())
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    Map<String, Object> producerProps = client(kafka.clientProperties());
    producerProps.remove(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG);
    producerProps.remove(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG);
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>("secure", "k", "over tls"));
      producer.flush();
    }
    Map<String, Object> consumerProps = new HashMap<>(producerProps);
    consumerProps.remove(ProducerConfig.ACKS_CONFIG);
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "secure-reader");
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of("secure"));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (seen.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
      }
    }
    assertThat(seen).containsExactly("over tls");
  }

  @Test
  void aWrongPasswordIsRefused() {
    Map<String, Object> wrong = new HashMap<>(kafka.clientProperties());
    wrong.put("sasl.jaas.config", EmbeddedKafkaBroker.scramJaas("graphite", "guess"));
    try (Admin admin = Admin.create(client(wrong))) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasRootCauseInstanceOf(org.apache.kafka.common.errors.SaslAuthenticationException.class);
    }
  }

  @Test
  void aPlaintextClientGetsNoAnswer() {
    try (Admin admin = Admin.create(client(Map.of()))) {
      assertThatThrownBy(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS))
          .isInstanceOfAny(ExecutionException.class, java.util.concurrent.TimeoutException.class);
    }
  }
}

package io.graphitekafka.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class KafkaPassThroughTest {

  @Test
  void knownKeysOfAnyOfTheClientsPassUnchanged() {
    Map<String, Object> settings = Map.of("linger.ms", "20", "fetch.min.bytes", "1");
    assertThat(
            KafkaPassThrough.check(
                "sink",
                "kafka.",
                settings,
                List.of(),
                ProducerConfig.configNames(),
                ConsumerConfig.configNames()))
        .isSameAs(settings);
  }

  @Test
  void aMistypedKeyIsRefusedWithTheNearestKnownOne() {
    assertThatThrownBy(
            () ->
                KafkaPassThrough.check(
                    "sink",
                    "kafka.",
                    Map.of("max.poll.record", "10"),
                    List.of(),
                    ConsumerConfig.configNames()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.max.poll.record")
        .hasMessageContaining("did you mean kafka.max.poll.records?");
  }

  @Test
  void aKeyOfAnotherClientIsRefused() {
    assertThatThrownBy(
            () ->
                KafkaPassThrough.check(
                    "gateway",
                    "kafka.",
                    Map.of("group.id", "x"),
                    List.of(),
                    ProducerConfig.configNames()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.group.id");
  }

  @Test
  void keysUnderAKnownPrefixAreCheckedWithoutIt() {
    Set<String> consumer = ConsumerConfig.configNames();
    assertThat(
            KafkaPassThrough.check(
                "aggregator",
                "kafka.",
                Map.of("consumer.fetch.min.bytes", "1"),
                List.of("consumer."),
                consumer))
        .containsKey("consumer.fetch.min.bytes");
    assertThatThrownBy(
            () ->
                KafkaPassThrough.check(
                    "aggregator",
                    "kafka.",
                    Map.of("consumer.fetch.min.byte", "1"),
                    List.of("consumer."),
                    consumer))
        .isInstanceOf(ConfigException.class);
  }

  @Test
  void editDistanceCountsInsertionsDeletionsAndSubstitutions() {
    assertThat(KafkaPassThrough.editDistance("acks", "acks")).isZero();
    assertThat(KafkaPassThrough.editDistance("ack", "acks")).isEqualTo(1);
    assertThat(KafkaPassThrough.editDistance("axks", "acks")).isEqualTo(1);
    assertThat(KafkaPassThrough.editDistance("", "abc")).isEqualTo(3);
  }
}

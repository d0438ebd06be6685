package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.service.restart.StaticMember;
import io.graphitekafka.sink.config.SinkConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SinkClientConfigTest {

  private static SinkConfig config(Map<String, Object> changed) {
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, "k1:9092,k2:9092");
    props.put(SinkConfig.GROUP_ID, "replica-a");
    props.putAll(changed);
    return new SinkConfig(props);
  }

  @Test
  void theConsumerCommitsByHandReadsCommittedAndStartsFromTheEarliestOffset() {
    Map<String, Object> props = SinkClientConfig.consumer(config(Map.of()));
    assertThat(props)
        .containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "k1:9092,k2:9092")
        .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "replica-a")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
        .doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    assertThat(SinkClientConfig.offsetReset(config(Map.of()))).isEqualTo("earliest");
  }

  @Test
  void staticMembershipOnlyInGroupMode() {
    assertThat(SinkClientConfig.consumer(config(Map.of(SinkConfig.GROUP_INSTANCE_ID, " host-1 "))))
        .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "host-1");
    assertThat(
            SinkClientConfig.consumer(
                config(
                    Map.of(SinkConfig.GROUP_INSTANCE_ID, "host-1", SinkConfig.PARTITIONS, "0-3"))))
        .doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
  }

  @Test
  void byDefaultTheSinkIsTheStaticMemberItsDataDirectoryMakesIt(@TempDir Path dir)
      throws Exception {
    SinkConfig config = config(Map.of());
    assertThat(config.groupInstanceId()).isEqualTo(StaticMember.AUTO);
    assertThat(config.metricsInstance()).isEqualTo("a");
    try (StaticMember member = StaticMember.claim("sink", dir, "replica-a")) {
      assertThat(SinkClientConfig.consumer(config, member))
          .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, member.id());
    }
    assertThat(SinkClientConfig.consumer(config(Map.of(SinkConfig.GROUP_INSTANCE_ID, ""))))
        .doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    // given as a Kafka setting, that one is used as it is
    try (StaticMember member = StaticMember.claim("x", dir, "replica-a")) {
      assertThat(
              SinkClientConfig.consumer(
                  config(Map.of("kafka.group.instance.id", "rack-2")), member))
          .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "rack-2");
    }
  }

  @Test
  void passThroughKeysGoToTheClientsThatKnowThem() {
    SinkConfig config =
        config(
            Map.of(
                "kafka.auto.offset.reset",
                "LATEST",
                "kafka.security.protocol",
                "SSL",
                "kafka.linger.ms",
                "5",
                "kafka.fetch.min.bytes",
                "1024"));
    Map<String, Object> consumer = SinkClientConfig.consumer(config);
    Map<String, Object> producer = SinkClientConfig.rejectsProducer(config);

    assertThat(consumer)
        .containsEntry("security.protocol", "SSL")
        .containsEntry("fetch.min.bytes", "1024")
        .doesNotContainKey("linger.ms");
    assertThat(producer)
        .containsEntry("security.protocol", "SSL")
        .containsEntry("linger.ms", "5")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .doesNotContainKey("fetch.min.bytes");
    assertThat(SinkClientConfig.offsetReset(config)).isEqualTo("latest");
  }
}

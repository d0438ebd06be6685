package io.graphitekafka.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.service.restart.StaticMember;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/** The Kafka Streams settings the aggregator derives from its configuration. */
class StreamsPropertiesTest {

  @Test
  void throughputDefaultsApplyUnlessOverridden() {
    Properties props = Aggregator.streamsProperties(new AggregatorConfig(Map.of()));
    assertThat(props)
        .containsEntry("producer.linger.ms", 20)
        .containsEntry("producer.batch.size", 262_144)
        .containsEntry("producer.compression.type", "lz4")
        .containsEntry("consumer.max.poll.records", 5000)
        .containsEntry(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L)
        .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
  }

  @Test
  void prefixedAndUnprefixedOverridesWin() {
    Properties props =
        Aggregator.streamsProperties(
            new AggregatorConfig(
                Map.of(
                    "kafka.producer.compression.type", "zstd",
                    "kafka.linger.ms", "5",
                    "kafka.max.task.idle.ms", "0",
                    "kafka.processing.guarantee", "at_least_once")));
    assertThat(props)
        .containsEntry("producer.compression.type", "zstd")
        .containsEntry("linger.ms", "5")
        .doesNotContainKey("producer.linger.ms")
        .containsEntry(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "0")
        .containsEntry("producer.batch.size", 262_144)
        // Exactly-once is not overridable.
        .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
  }

  @Test
  void aRegistryOutageReplacesTheThreadAndAnythingElseStopsTheAggregator() {
    Throwable outage =
        new StreamsException(
            "failed to process",
            new RegistryUnavailableException("Schema Registry http://r:8081/ unreachable", null));

    assertThat(Aggregator.onStreamThreadFailure(outage))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    assertThat(Aggregator.onStreamThreadFailure(new StreamsException("disk full")))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void streamThreadsAreStaticMembersByDefaultUnderTheIdTheyAreGivenOrNone() throws Exception {
    String key = "main.consumer.group.instance.id";
    AggregatorConfig byDefault = new AggregatorConfig(Map.of());
    assertThat(byDefault.groupInstanceId()).isEqualTo("auto");
    try (StaticMember member = StaticMember.claim("aggregator", dir, "graphite-kafka-aggregator")) {
      assertThat(Aggregator.withGroupInstanceId(new Properties(), byDefault, member))
          .containsEntry(key, member.id());
    }

    AggregatorConfig named = new AggregatorConfig(Map.of("group.instance.id", "agg-7"));
    assertThat(Aggregator.withGroupInstanceId(new Properties(), named, null))
        .containsEntry(key, "agg-7");

    AggregatorConfig dynamic = new AggregatorConfig(Map.of("group.instance.id", ""));
    assertThat(Aggregator.withGroupInstanceId(new Properties(), dynamic, null))
        .doesNotContainKey(key);

    // an id given as a Kafka setting, or the streams protocol (no static members), sets none
    assertThat(
            new AggregatorConfig(Map.of("kafka.consumer.group.instance.id", "x")).groupInstanceId())
        .isEmpty();
    assertThat(new AggregatorConfig(Map.of("kafka.group.protocol", "streams")).groupInstanceId())
        .isEmpty();
  }

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;
}

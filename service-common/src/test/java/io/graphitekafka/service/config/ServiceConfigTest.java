package io.graphitekafka.service.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

public class ServiceConfigTest {

  /** A configuration of the shared keys and the self-metric ones, for other tests. */
  public static ServiceConfig example(Map<?, ?> props) {
    return new ExampleConfig(props);
  }

  /** A command that reads the archives topic and writes rejects, as the sink does. */
  static final class ExampleConfig extends ServiceConfig {
    static final ConfigDef DEF = withBootstrapServers();

    static {
      defineTopic(DEF, ARCHIVES_TOPIC, Importance.MEDIUM, "Input topic.");
      defineTopic(DEF, REJECTS_TOPIC, Importance.LOW, "Rejects.");
      SelfMetricsSettings.defineReporting(
          DEF, "carbon.example.<host>-<instance>.*", "a", "Instance.");
      SelfMetricsSettings.defineEndpoint(DEF, true);
    }

    ExampleConfig(Map<?, ?> props) {
      super(DEF, props);
    }
  }

  @Test
  void sharedKeysHaveOneNameAndOneDefault() {
    ExampleConfig config = new ExampleConfig(Map.of());
    assertThat(config.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(config.archivesTopic()).isEqualTo("carbon.archives");
    assertThat(config.rejectsTopic()).isEqualTo("carbon.rejects");
    assertThat(config.getInt(SelfMetricsSettings.INTERVAL_SECONDS)).isEqualTo(60);
    assertThat(config.getInt(SelfMetricsSettings.HTTP_PORT)).isEqualTo(-1);
  }

  @Test
  void bootstrapServersJoinAListAndKafkaSettingsLoseTheirPrefix() {
    ExampleConfig config =
        new ExampleConfig(
            Map.of(
                "bootstrap.servers",
                "k1:9092, k2:9092",
                "topic.archives",
                "my.archives",
                "kafka.linger.ms",
                "5"));
    assertThat(config.bootstrapServers()).isEqualTo("k1:9092,k2:9092");
    assertThat(config.archivesTopic()).isEqualTo("my.archives");
    assertThat(config.kafkaOverrides()).containsExactly(Map.entry("linger.ms", "5"));
  }

  @Test
  void anEmptyTopicNameIsRefused() {
    assertThatThrownBy(() -> new ExampleConfig(Map.of("topic.archives", "")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("topic.archives");
  }

  @Test
  void onlyThePipelinesTopicsCanBeDefinedAsTopics() {
    assertThatThrownBy(
            () -> ServiceConfig.defineTopic(new ConfigDef(), "topic.other", Importance.LOW, "?"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("topic.other");
  }
}

package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.sink.config.SinkConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/**
 * The reference deployment's service configs use only keys the services define (or Kafka client
 * settings under {@code kafka.}), and each one loads into its service's typed config.
 */
class DeployConfigTest {

  private static final Path CONFIG_DIR =
      Path.of(System.getProperty("graphite.kafka.home", ".."))
          .toAbsolutePath()
          .normalize()
          .resolve("deploy/config");

  @Test
  void gatewayConfigIsValid() throws Exception {
    check("gateway.properties", GatewayConfig.CONFIG_DEF, GatewayConfig::new);
  }

  @Test
  void aggregatorConfigIsValid() throws Exception {
    check("aggregator.properties", AggregatorConfig.CONFIG_DEF, AggregatorConfig::new);
  }

  @Test
  void sinkConfigIsValid() throws Exception {
    check("sink.properties", SinkConfig.CONFIG_DEF, SinkConfig::new);
  }

  private static void check(String file, ConfigDef def, Function<Map<String, String>, ?> load)
      throws Exception {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(CONFIG_DIR.resolve(file))) {
      props.load(in);
    }
    Set<String> known = def.names();
    Map<String, String> values = new HashMap<>();
    for (String key : props.stringPropertyNames()) {
      assertThat(known.contains(key) || key.startsWith("kafka."))
          .as("%s: %s is not a key of the service", file, key)
          .isTrue();
      values.put(key, props.getProperty(key));
    }
    assertThat(values).isNotEmpty();
    assertThat(load.apply(values)).isNotNull();
  }
}

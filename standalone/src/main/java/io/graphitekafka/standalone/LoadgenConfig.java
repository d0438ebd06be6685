package io.graphitekafka.standalone;

import io.graphitekafka.gateway.load.LoadGenerator;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Options of {@code graphite-kafka loadgen}: where to send, over how many connections, how much. */
final class LoadgenConfig extends AbstractConfig {

  static final String HOST = "host";
  static final String PORT = "port";
  static final String CONNECTIONS = "connections";
  static final String POINTS_PER_CONNECTION = "points.per.connection";
  static final String SERIES = "series";

  static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(HOST, Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyString(), Importance.HIGH,
              "The Carbon plaintext receiver to load.")
          .define(PORT, Type.INT, 2003, Range.between(1, 65535), Importance.HIGH, "Its TCP port.")
          .define(CONNECTIONS, Type.INT, 1, Range.between(1, 1024), Importance.MEDIUM,
              "Parallel TCP connections.")
          .define(POINTS_PER_CONNECTION, Type.LONG, 1_000_000L, Range.atLeast(1), Importance.MEDIUM,
              "Points each connection sends.")
          .define(SERIES, Type.INT, 10_000, Range.atLeast(1), Importance.MEDIUM,
              "Distinct series the points are spread over.");

  LoadgenConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
  }

  LoadGenerator.Spec spec() {
    return new LoadGenerator.Spec(getString(HOST), getInt(PORT), getInt(CONNECTIONS),
        getLong(POINTS_PER_CONNECTION), getInt(SERIES));
  }
}

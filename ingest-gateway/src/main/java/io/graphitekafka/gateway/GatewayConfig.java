package io.graphitekafka.gateway;

import io.graphitekafka.schemas.topic.Topics;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Typed configuration of the ingest-gateway; Kafka producer settings pass through under {@code kafka.}. */
public final class GatewayConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String BIND_ADDRESS = "bind.address";
  public static final String CARBON_PORT = "carbon.port";
  public static final String UDP_PORT = "udp.port";
  public static final String PICKLE_PORT = "pickle.port";
  public static final String MAX_PICKLE_FRAME = "max.pickle.frame.length";
  public static final String POINTS_TOPIC = "topic.points";
  public static final String REJECTS_TOPIC = "topic.rejects";
  public static final String MAX_LINE_LENGTH = "max.line.length";
  public static final String TIMESTAMP_RESOLUTION = "timestamp.resolution";
  public static final String KAFKA_PREFIX = "kafka.";

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(BOOTSTRAP_SERVERS, Type.LIST, "localhost:9092", Importance.HIGH,
              "Kafka bootstrap servers, host:port[,host:port...].")
          .define(BIND_ADDRESS, Type.STRING, "0.0.0.0", new ConfigDef.NonEmptyString(), Importance.HIGH,
              "Address the Carbon listeners bind to (carbon's LINE_RECEIVER_INTERFACE).")
          .define(CARBON_PORT, Type.INT, 2003, Range.between(0, 65535), Importance.HIGH,
              "Plaintext TCP port (carbon's LINE_RECEIVER_PORT); 0 picks a free port.")
          .define(UDP_PORT, Type.INT, -1, Range.between(-1, 65535), Importance.MEDIUM,
              "Plaintext UDP port; -1 (the default, as carbon's ENABLE_UDP_LISTENER=False) disables it.")
          .define(PICKLE_PORT, Type.INT, 2004, Range.between(-1, 65535), Importance.HIGH,
              "Pickle TCP port (carbon's PICKLE_RECEIVER_PORT); -1 disables it.")
          .define(MAX_PICKLE_FRAME, Type.INT, 1 << 20, Range.between(1024, 1 << 26), Importance.LOW,
              "Largest accepted pickle frame in bytes (carbon's PICKLE_RECEIVER_MAX_LENGTH).")
          .define(POINTS_TOPIC, Type.STRING, Topics.DEFAULT_POINTS, new ConfigDef.NonEmptyString(),
              Importance.MEDIUM, "Topic the MetricPoint records go to.")
          .define(REJECTS_TOPIC, Type.STRING, Topics.DEFAULT_REJECTS, new ConfigDef.NonEmptyString(),
              Importance.MEDIUM, "Topic rejected input goes to.")
          .define(MAX_LINE_LENGTH, Type.INT, 16384, Range.between(64, 1 << 24), Importance.LOW,
              "Longest accepted plaintext line in bytes (Twisted LineOnlyReceiver.MAX_LENGTH).")
          .define(TIMESTAMP_RESOLUTION, Type.INT, 1, Range.atLeast(0), Importance.LOW,
              "Timestamps are floored to a multiple of this many seconds; 0 leaves them as sent, "
                  + "truncated to whole seconds (carbon's MIN_TIMESTAMP_RESOLUTION).");

  public GatewayConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
  }

  public String bootstrapServers() {
    return String.join(",", getList(BOOTSTRAP_SERVERS));
  }

  public String bindAddress() {
    return getString(BIND_ADDRESS);
  }

  public int carbonPort() {
    return getInt(CARBON_PORT);
  }

  public int udpPort() {
    return getInt(UDP_PORT);
  }

  public int picklePort() {
    return getInt(PICKLE_PORT);
  }

  public String pointsTopic() {
    return getString(POINTS_TOPIC);
  }

  public String rejectsTopic() {
    return getString(REJECTS_TOPIC);
  }

  public int maxLineLength() {
    return getInt(MAX_LINE_LENGTH);
  }

  public int timestampResolution() {
    return getInt(TIMESTAMP_RESOLUTION);
  }

  /** Kafka producer settings given under the {@code kafka.} prefix, prefix removed. */
  public Map<String, Object> kafkaOverrides() {
    return originalsWithPrefix(KAFKA_PREFIX);
  }
}

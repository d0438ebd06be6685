package io.graphitekafka.gateway;

import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.service.config.KafkaPassThrough;
import io.graphitekafka.service.config.SelfMetricsSettings;
import io.graphitekafka.service.config.ServiceConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Typed configuration of the ingest-gateway; Kafka client settings pass through under prefixes. */
public final class GatewayConfig extends ServiceConfig {

  public static final String BIND_ADDRESS = "bind.address";
  public static final String CARBON_BIND_ADDRESS = "carbon.bind.address";
  public static final String UDP_BIND_ADDRESS = "udp.bind.address";
  public static final String PICKLE_BIND_ADDRESS = "pickle.bind.address";
  public static final String CARBON_PORT = "carbon.port";
  public static final String UDP_PORT = "udp.port";
  public static final String PICKLE_PORT = "pickle.port";
  public static final String MAX_PICKLE_FRAME = "max.pickle.frame.length";
  public static final String LINES_ENABLED = "lines.enabled";
  public static final String LINES_GROUP_ID = "lines.group.id";
  public static final String MAX_LINE_LENGTH = "max.line.length";
  public static final String TIMESTAMP_RESOLUTION = "timestamp.resolution";
  public static final String WHITELIST_FILE = "whitelist.file";
  public static final String BLACKLIST_FILE = "blacklist.file";
  public static final String MAX_CONNECTIONS = "max.connections";
  public static final String IDLE_TIMEOUT_SECONDS = "idle.timeout.seconds";
  public static final String PAUSE_BYTES = "backpressure.pause.bytes";
  public static final String RESUME_BYTES = "backpressure.resume.bytes";
  public static final String UDP_DROP_BYTES = "udp.drop.bytes";
  public static final String SHUTDOWN_TIMEOUT_SECONDS = "shutdown.timeout.seconds";
  public static final String METRIC_INTERVAL_SECONDS = SelfMetricsSettings.INTERVAL_SECONDS;
  public static final String METRIC_INSTANCE = SelfMetricsSettings.INSTANCE;
  public static final String METRICS_HTTP_PORT = SelfMetricsSettings.HTTP_PORT;
  public static final String SCHEMA_REGISTRY_URL = RegistrySettings.URL;
  public static final String SCHEMA_REGISTRY_USER_INFO = RegistrySettings.USER_INFO;

  /**
   * Producer settings (and the lines consumer's, under {@code kafka.consumer.}) pass through here.
   */
  public static final String KAFKA_CONSUMER_PREFIX = "kafka.consumer.";

  private static final String MIB_16 = Integer.toString(16 << 20);

  public static final ConfigDef CONFIG_DEF =
      withBootstrapServers()
          .define(
              BIND_ADDRESS,
              Type.STRING,
              "0.0.0.0",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Address every listener binds to unless its own bind address is set "
                  + "(carbon's LINE_RECEIVER_INTERFACE).")
          .define(
              CARBON_BIND_ADDRESS,
              Type.STRING,
              null,
              Importance.MEDIUM,
              "Bind address of the plaintext TCP listener; defaults to bind.address.")
          .define(
              UDP_BIND_ADDRESS,
              Type.STRING,
              null,
              Importance.MEDIUM,
              "Bind address of the plaintext UDP listener (carbon's UDP_RECEIVER_INTERFACE); "
                  + "defaults to bind.address.")
          .define(
              PICKLE_BIND_ADDRESS,
              Type.STRING,
              null,
              Importance.MEDIUM,
              "Bind address of the pickle listener (carbon's PICKLE_RECEIVER_INTERFACE); "
                  + "defaults to bind.address.")
          .define(
              CARBON_PORT,
              Type.INT,
              2003,
              Range.between(0, 65535),
              Importance.HIGH,
              "Plaintext TCP port (carbon's LINE_RECEIVER_PORT); 0 picks a free port.")
          .define(
              UDP_PORT,
              Type.INT,
              -1,
              Range.between(-1, 65535),
              Importance.MEDIUM,
              "Plaintext UDP port; -1 (the default, as carbon's ENABLE_UDP_LISTENER=False) disables it.")
          .define(
              PICKLE_PORT,
              Type.INT,
              2004,
              Range.between(-1, 65535),
              Importance.HIGH,
              "Pickle TCP port (carbon's PICKLE_RECEIVER_PORT); -1 disables it.")
          .define(
              MAX_PICKLE_FRAME,
              Type.INT,
              1 << 20,
              Range.between(1024, 1 << 26),
              Importance.LOW,
              "Largest accepted pickle frame in bytes (carbon's PICKLE_RECEIVER_MAX_LENGTH).")
          .define(
              LINES_ENABLED,
              Type.BOOLEAN,
              true,
              Importance.MEDIUM,
              "Consume the lines topic. The receiver waits quietly until the topic exists.")
          .define(
              LINES_GROUP_ID,
              Type.STRING,
              "graphite-kafka-gateway-lines",
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "Consumer group of the lines receiver; every gateway instance shares it.")
          .define(
              MAX_LINE_LENGTH,
              Type.INT,
              16384,
              Range.between(64, 1 << 24),
              Importance.LOW,
              "Longest accepted plaintext line in bytes (Twisted LineOnlyReceiver.MAX_LENGTH).")
          .define(
              TIMESTAMP_RESOLUTION,
              Type.INT,
              1,
              Range.atLeast(0),
              Importance.LOW,
              "Timestamps are floored to a multiple of this many seconds; 0 leaves them as sent, "
                  + "truncated to whole seconds (carbon's MIN_TIMESTAMP_RESOLUTION).")
          .define(
              WHITELIST_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "carbon whitelist.conf: one Python regex per line; when it holds at least one pattern, "
                  + "only names that re.search-match one are accepted. Empty: no whitelist.")
          .define(
              BLACKLIST_FILE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "carbon blacklist.conf: names that re.search-match any pattern are dropped and counted. "
                  + "Empty: no blacklist.")
          .define(
              MAX_CONNECTIONS,
              Type.INT,
              4096,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Most TCP connections open at once over both TCP listeners; more are closed on accept "
                  + "and counted. 0: no limit.")
          .define(
              IDLE_TIMEOUT_SECONDS,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Close a TCP connection that sent nothing for this long; 0 (as carbon) never does.")
          .define(
              PAUSE_BYTES,
              Type.LONG,
              MIB_16,
              Range.atLeast(1024),
              Importance.LOW,
              "Stop reading TCP sockets when this many bytes of records are unacknowledged by Kafka.")
          .define(
              RESUME_BYTES,
              Type.LONG,
              Integer.toString(4 << 20),
              Range.atLeast(0),
              Importance.LOW,
              "Resume reading once unacknowledged bytes fall to this level.")
          .define(
              UDP_DROP_BYTES,
              Type.LONG,
              Integer.toString(32 << 20),
              Range.atLeast(1024),
              Importance.LOW,
              "Drop (and count) UDP datagrams while this many bytes are unacknowledged; "
                  + "keep it below the producer's buffer.memory (64 MiB here) so sends never block.")
          .define(
              SHUTDOWN_TIMEOUT_SECONDS,
              Type.INT,
              30,
              Range.atLeast(1),
              Importance.LOW,
              "How long close() waits for Kafka to acknowledge what was read before giving up.");

  static {
    defineTopic(
        CONFIG_DEF, POINTS_TOPIC, Importance.MEDIUM, "Topic the MetricPoint records go to.");
    defineTopic(CONFIG_DEF, REJECTS_TOPIC, Importance.MEDIUM, "Topic rejected input goes to.");
    defineTopic(
        CONFIG_DEF,
        LINES_TOPIC,
        Importance.MEDIUM,
        "Topic of raw Carbon plaintext lines (Telegraf, kcat) to consume.");
    SelfMetricsSettings.defineReporting(
        CONFIG_DEF,
        "carbon.relays.<host>-<instance>.*",
        "a",
        "Instance name in carbon.relays.<host>-<instance>; empty leaves out '-<instance>'.");
    SelfMetricsSettings.defineEndpoint(CONFIG_DEF, false);
    RegistrySettings.define(CONFIG_DEF);
  }

  public GatewayConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
    if (getLong(RESUME_BYTES) >= getLong(PAUSE_BYTES)) {
      throw new ConfigException(
          RESUME_BYTES,
          getLong(RESUME_BYTES),
          "must be below " + PAUSE_BYTES + " (" + getLong(PAUSE_BYTES) + ")");
    }
    // the producer's settings, and the lines receiver's consumer's under kafka.consumer.
    KafkaPassThrough.check(
        "the gateway",
        "kafka.",
        kafkaOverrides(),
        List.of(),
        ProducerConfig.configNames(),
        AdminClientConfig.configNames());
    KafkaPassThrough.check(
        "the gateway's lines receiver",
        KAFKA_CONSUMER_PREFIX,
        consumerOverrides(),
        List.of(),
        ConsumerConfig.configNames());
  }

  public String bindAddress() {
    return getString(BIND_ADDRESS);
  }

  /** The bind address of one listener: its own key if set, else {@link #BIND_ADDRESS}. */
  public String bindAddress(String listenerKey) {
    String own = getString(listenerKey);
    return own == null || own.isBlank() ? bindAddress() : own;
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

  public String linesTopic() {
    return getString(LINES_TOPIC);
  }

  public int maxLineLength() {
    return getInt(MAX_LINE_LENGTH);
  }

  public int timestampResolution() {
    return getInt(TIMESTAMP_RESOLUTION);
  }

  public Duration shutdownTimeout() {
    return Duration.ofSeconds(getInt(SHUTDOWN_TIMEOUT_SECONDS));
  }

  /** Kafka producer settings given under the {@code kafka.} prefix, prefix removed. */
  @Override
  public Map<String, Object> kafkaOverrides() {
    Map<String, Object> out = originalsWithPrefix(KAFKA_PREFIX);
    out.keySet().removeIf(k -> k.startsWith("consumer."));
    return out;
  }

  /** Settings for the lines receiver's consumer, given under {@code kafka.consumer.}. */
  public Map<String, Object> consumerOverrides() {
    return originalsWithPrefix(KAFKA_CONSUMER_PREFIX);
  }
}

package io.graphitekafka.tools.produce;

import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.service.config.KafkaPassThrough;
import io.graphitekafka.service.config.ServiceConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Configuration of {@code graphite-kafka produce}: where the Carbon input comes from, in which
 * format, and where its points and rejects go. Kafka producer settings pass through under {@code
 * kafka.}.
 */
public final class ProduceConfig extends ServiceConfig {

  public static final String INPUT = "input";
  public static final String FORMAT = "format";
  public static final String MAX_LINE_LENGTH = "max.line.length";
  public static final String MAX_PICKLE_FRAME = "max.pickle.frame.length";
  public static final String TIMESTAMP_RESOLUTION = "timestamp.resolution";
  public static final String MAX_REJECTS = "max.rejects";
  public static final String TIMEOUT_SECONDS = "timeout.seconds";
  public static final String SCHEMA_REGISTRY_URL = RegistrySettings.URL;
  public static final String SCHEMA_REGISTRY_USER_INFO = RegistrySettings.USER_INFO;

  /** Standard input, as the input name. */
  public static final String STDIN = "-";

  /** The input formats. */
  public enum Format {
    /** Carbon plaintext: one {@code path value timestamp} per line. */
    LINE,
    /**
     * Carbon pickle: frames of a 4-byte big-endian length and a pickled list of (path, (ts,
     * value)).
     */
    PICKLE
  }

  public static final ConfigDef CONFIG_DEF =
      withBootstrapServers()
          .define(
              INPUT,
              Type.STRING,
              STDIN,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "The file to read; '-' reads standard input.")
          .define(
              FORMAT,
              Type.STRING,
              "line",
              ConfigDef.CaseInsensitiveValidString.in("line", "pickle"),
              Importance.HIGH,
              "line: Carbon plaintext lines; pickle: Carbon pickle frames, each a "
                  + "4-byte big-endian length and the pickle, as carbon-relay sends them to port 2004.")
          .define(
              MAX_LINE_LENGTH,
              Type.INT,
              16384,
              Range.between(64, 1 << 24),
              Importance.LOW,
              "Longest accepted line in bytes; a longer one is rejected as line_too_long.")
          .define(
              MAX_PICKLE_FRAME,
              Type.INT,
              1 << 20,
              Range.between(1024, 1 << 26),
              Importance.LOW,
              "Largest accepted pickle frame in bytes; a larger one is skipped as pickle_too_large.")
          .define(
              TIMESTAMP_RESOLUTION,
              Type.INT,
              1,
              Range.atLeast(0),
              Importance.LOW,
              "Timestamps are floored to a multiple of this many seconds, as by the gateway.")
          .define(
              MAX_REJECTS,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Rejected lines or frames tolerated before the exit status says so (3); rejects are "
                  + "always sent to the rejects topic and counted in the summary.")
          .define(
              TIMEOUT_SECONDS,
              Type.INT,
              120,
              Range.atLeast(1),
              Importance.MEDIUM,
              "How long to wait for Kafka: for the topics' metadata at start, for acknowledgements "
                  + "while the producer's buffer is full, and for the last acknowledgements at the end.");

  static {
    defineTopic(
        CONFIG_DEF, POINTS_TOPIC, Importance.MEDIUM, "Topic the MetricPoint records go to.");
    defineTopic(CONFIG_DEF, REJECTS_TOPIC, Importance.MEDIUM, "Topic rejected input goes to.");
    RegistrySettings.define(CONFIG_DEF);
  }

  public ProduceConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
    KafkaPassThrough.check(
        "produce",
        "kafka.",
        originalsWithPrefix(KAFKA_PREFIX),
        List.of(),
        ProducerConfig.configNames(),
        AdminClientConfig.configNames());
  }

  public String input() {
    return getString(INPUT);
  }

  public Format format() {
    return Format.valueOf(getString(FORMAT).toUpperCase(java.util.Locale.ROOT));
  }

  public Duration timeout() {
    return Duration.ofSeconds(getInt(TIMEOUT_SECONDS));
  }
}

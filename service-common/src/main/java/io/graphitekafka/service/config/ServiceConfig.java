package io.graphitekafka.service.config;

import io.graphitekafka.schemas.topic.Topics;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The settings every command shares, declared once with one name, one default and one description:
 * the Kafka bootstrap servers, the topics, and the Kafka client settings given under {@code kafka.}
 * (checked by {@link KafkaPassThrough}). Each command's configuration extends this and defines the
 * topics it uses with {@link #defineTopic}.
 */
public abstract class ServiceConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String POINTS_TOPIC = "topic.points";
  public static final String ARCHIVES_TOPIC = "topic.archives";
  public static final String REJECTS_TOPIC = "topic.rejects";
  public static final String LINES_TOPIC = "topic.lines";
  public static final String RULES_TOPIC = "topic.rules";
  public static final String KAFKA_PREFIX = KafkaPassThrough.PREFIX;

  private static final Map<String, String> TOPIC_DEFAULTS =
      Map.of(
          POINTS_TOPIC, Topics.DEFAULT_POINTS,
          ARCHIVES_TOPIC, Topics.DEFAULT_ARCHIVES,
          REJECTS_TOPIC, Topics.DEFAULT_REJECTS,
          LINES_TOPIC, Topics.DEFAULT_LINES,
          RULES_TOPIC, Topics.DEFAULT_RULES);

  protected ServiceConfig(ConfigDef definition, Map<?, ?> props) {
    super(definition, props);
  }

  /** A definition that starts with {@value #BOOTSTRAP_SERVERS}. */
  protected static ConfigDef withBootstrapServers() {
    return new ConfigDef()
        .define(
            BOOTSTRAP_SERVERS,
            Type.LIST,
            "localhost:9092",
            Importance.HIGH,
            "Kafka bootstrap servers, host:port[,host:port...].");
  }

  /**
   * Defines one of the pipeline's topics under its shared key and default name.
   *
   * @param use what this command does with the topic, e.g. "Input topic of ArchivePoint records."
   */
  protected static ConfigDef defineTopic(
      ConfigDef def, String key, Importance importance, String use) {
    String defaultName = TOPIC_DEFAULTS.get(key);
    if (defaultName == null) {
      throw new IllegalArgumentException("not a topic key: " + key);
    }
    return def.define(
        key, Type.STRING, defaultName, new ConfigDef.NonEmptyString(), importance, use);
  }

  public final String bootstrapServers() {
    return String.join(",", getList(BOOTSTRAP_SERVERS));
  }

  /** The name of a topic this command defined with {@link #defineTopic}. */
  public final String topic(String key) {
    return getString(key);
  }

  public final String pointsTopic() {
    return topic(POINTS_TOPIC);
  }

  public final String archivesTopic() {
    return topic(ARCHIVES_TOPIC);
  }

  public final String rejectsTopic() {
    return topic(REJECTS_TOPIC);
  }

  /** Kafka client settings given under the {@code kafka.} prefix, prefix removed. */
  public Map<String, Object> kafkaOverrides() {
    return originalsWithPrefix(KAFKA_PREFIX);
  }
}

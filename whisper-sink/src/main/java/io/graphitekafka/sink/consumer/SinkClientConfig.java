package io.graphitekafka.sink.consumer;

import io.graphitekafka.service.restart.StaticMember;
import io.graphitekafka.sink.config.SinkConfig;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The settings of the sink's Kafka clients, derived from its config: what the sink's delivery
 * guarantee needs (no auto-commit, read_committed, the earliest offset when none is committed) and
 * what a large fetch wants, then the {@code kafka.} pass-through keys that belong to each client.
 * Kept apart from the clients so the settings can be checked without a broker.
 */
final class SinkClientConfig {

  private SinkClientConfig() {}

  static Map<String, Object> consumer(SinkConfig config) {
    return consumer(config, null);
  }

  /**
   * @param member the derived {@code group.instance.id} when the setting is {@code auto}, or null
   *     for none
   */
  static Map<String, Object> consumer(SinkConfig config, StaticMember member) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(SinkConfig.GROUP_ID));
    String instance = config.groupInstanceId();
    if (instance.equals(StaticMember.AUTO)) {
      instance = member == null ? "" : member.id();
    }
    if (!instance.isEmpty()) {
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
    }
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50_000);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    props.put(
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink");
    config
        .kafkaOverrides()
        .forEach(
            (k, v) -> {
              if (ConsumerConfig.configNames().contains(k)) {
                props.put(k, v);
              }
            });
    return props;
  }

  static Map<String, Object> rejectsProducer(SinkConfig config) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink-rejects");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    config
        .kafkaOverrides()
        .forEach(
            (k, v) -> {
              if (ProducerConfig.configNames().contains(k)) {
                props.put(k, v); // shared client settings such as security.protocol and sasl.*
              }
            });
    return props;
  }

  /**
   * The consumer's {@code auto.offset.reset}, lower case: how the loop repositions a lost offset.
   */
  static String offsetReset(SinkConfig config) {
    return String.valueOf(consumer(config).get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG))
        .toLowerCase(Locale.ROOT);
  }
}

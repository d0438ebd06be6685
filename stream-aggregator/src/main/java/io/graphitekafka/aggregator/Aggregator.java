package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.topology.RollupTopology;
import io.graphitekafka.schemas.storage.StorageRules;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The stream-aggregator service: runs {@link RollupTopology} with exactly-once processing. */
public final class Aggregator implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

  private final AggregatorConfig config;
  private final AggregatorMetrics metrics = new AggregatorMetrics();
  private final KafkaStreams streams;

  public Aggregator(AggregatorConfig config) {
    this.config = config;
    StorageRules rules = StorageRules.load(config.confDir());
    this.streams = new KafkaStreams(
        RollupTopology.build(config, rules::resolve, Clock.systemUTC(), metrics), streamsProperties(config));
    streams.setUncaughtExceptionHandler(e -> {
      log.error("stream thread failed; shutting the aggregator down", e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
  }

  static Properties streamsProperties(AggregatorConfig config) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(AggregatorConfig.APPLICATION_ID));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(AggregatorConfig.STATE_DIR));
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.getLong(AggregatorConfig.COMMIT_INTERVAL_MS));
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    props.putAll(config.kafkaOverrides());
    return props;
  }

  public void start() {
    log.info("starting aggregator {} on {}: {} -> {}", config.getString(AggregatorConfig.APPLICATION_ID),
        config.bootstrapServers(), config.pointsTopic(), config.archivesTopic());
    streams.start();
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  public AggregatorMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}

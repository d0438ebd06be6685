package io.graphitekafka.gateway;

import io.graphitekafka.gateway.carbon.CarbonLineDecoder;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.gateway.server.CarbonServer;
import io.graphitekafka.gateway.server.PointHandler;
import io.graphitekafka.schemas.topic.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ingest-gateway service: Carbon listeners feeding one Kafka producer. */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final GatewayMetrics metrics = new GatewayMetrics();
  private final PointProducer producer;
  private final CarbonServer plaintext;

  public Gateway(GatewayConfig config) {
    this.config = config;
    this.producer = new PointProducer(config.bootstrapServers(), config.kafkaOverrides(),
        Topics.points(config.pointsTopic()), Topics.rejects(config.rejectsTopic()), metrics);
    PointHandler handler =
        new PointHandler(new CarbonLineDecoder(config.timestampResolution()), producer, metrics);
    this.plaintext =
        new CarbonServer(config.bindAddress(), config.carbonPort(), config.maxLineLength(), handler);
  }

  public void start() throws InterruptedException {
    plaintext.start();
    log.info("gateway producing to {} on {}", config.pointsTopic(), config.bootstrapServers());
  }

  public int carbonPort() {
    return plaintext.port();
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** Stops accepting input, then flushes every point already accepted to Kafka. */
  @Override
  public void close() {
    plaintext.close();
    producer.flush();
    producer.close();
  }
}

package io.graphitekafka.gateway;

import io.graphitekafka.gateway.carbon.CarbonLineDecoder;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.gateway.server.CarbonServer;
import io.graphitekafka.gateway.server.CarbonUdpServer;
import io.graphitekafka.gateway.server.PointHandler;
import io.graphitekafka.schemas.topic.Topics;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The ingest-gateway service: Carbon listeners (plaintext TCP and UDP, pickle) feeding one producer. */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final GatewayMetrics metrics = new GatewayMetrics();
  private final PointProducer producer;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private final CarbonServer plaintext;
  private final CarbonServer pickle;
  private final CarbonUdpServer udp;

  public Gateway(GatewayConfig config) {
    this.config = config;
    this.producer = new PointProducer(config.bootstrapServers(), config.kafkaOverrides(),
        Topics.points(config.pointsTopic()), Topics.rejects(config.rejectsTopic()), metrics);
    PointHandler handler = new PointHandler(
        new CarbonLineDecoder(config.timestampResolution(), config.maxLineLength()), producer, metrics);
    String bind = config.bindAddress();
    this.plaintext = CarbonServer.plaintext(bind, config.carbonPort(), config.maxLineLength(), handler,
        boss, workers);
    this.pickle = config.picklePort() < 0 ? null : CarbonServer.pickle(bind, config.picklePort(),
        config.getInt(GatewayConfig.MAX_PICKLE_FRAME), handler, metrics, config.timestampResolution(),
        boss, workers);
    this.udp = config.udpPort() < 0 ? null : new CarbonUdpServer(bind, config.udpPort(), handler);
  }

  public void start() throws InterruptedException {
    plaintext.start();
    if (pickle != null) {
      pickle.start();
    }
    if (udp != null) {
      udp.start();
    }
    log.info("gateway producing to {} on {}", config.pointsTopic(), config.bootstrapServers());
  }

  public int carbonPort() {
    return plaintext.port();
  }

  /** The pickle port, or -1 when the pickle listener is off. */
  public int picklePort() {
    return pickle == null ? -1 : pickle.port();
  }

  /** The UDP port, or -1 when the UDP listener is off. */
  public int udpPort() {
    return udp == null ? -1 : udp.port();
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** Stops accepting input, then flushes every point already accepted to Kafka. */
  @Override
  public void close() {
    plaintext.close();
    if (pickle != null) {
      pickle.close();
    }
    if (udp != null) {
      udp.close();
    }
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    producer.flush();
    producer.close();
  }
}

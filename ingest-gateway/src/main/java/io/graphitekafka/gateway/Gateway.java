package io.graphitekafka.gateway;

import io.graphitekafka.gateway.kafka.FlowControl;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.gateway.server.CarbonReceiver;
import io.graphitekafka.gateway.server.CarbonServer;
import io.graphitekafka.gateway.server.CarbonUdpServer;
import io.graphitekafka.gateway.server.ConnectionGuard;
import io.graphitekafka.gateway.server.KafkaLinesReceiver;
import io.graphitekafka.gateway.server.MetricFilter;
import io.graphitekafka.gateway.server.PointHandler;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.service.metrics.SelfReporting;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest-gateway service: Carbon listeners (plaintext TCP and UDP, pickle) and the lines topic
 * feeding one producer, with backpressure from the producer to the TCP sockets, its own metrics fed
 * into the pipeline, and a shutdown that flushes everything already read to Kafka.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final SelfMetrics metrics = new SelfMetrics(GatewayStats.ROLE);
  private final FlowControl flow;
  private final PointProducer producer;
  private final PointHandler handler;
  private final ConnectionGuard guard;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private final CarbonServer plaintext;
  private final CarbonServer pickle;
  private final CarbonUdpServer udp;

  /** Every receiver that is on, in the order they start; they stop in the same order. */
  private final List<CarbonReceiver> receivers;

  private final SelfReporting reporting;
  private final MetricFilter filter;
  private ScheduledFuture<?> housekeeping;
  private ScheduledFuture<?> filterRefresh;

  public Gateway(GatewayConfig config) {
    this.config = config;
    this.flow =
        new FlowControl(
            config.getLong(GatewayConfig.PAUSE_BYTES),
            config.getLong(GatewayConfig.RESUME_BYTES),
            config.getLong(GatewayConfig.UDP_DROP_BYTES),
            metrics);
    SchemaRegistryClient registry = RegistrySettings.client(config);
    this.producer =
        PointProducer.create(
            config.bootstrapServers(),
            config.kafkaOverrides(),
            Topics.points(config.pointsTopic(), registry),
            Topics.rejects(config.rejectsTopic(), registry),
            flow,
            metrics);
    this.filter =
        MetricFilter.fromFiles(
            config.getString(GatewayConfig.WHITELIST_FILE),
            config.getString(GatewayConfig.BLACKLIST_FILE));
    this.handler =
        new PointHandler(
            config.timestampResolution(), config.maxLineLength(), producer, filter, metrics);
    this.guard = new ConnectionGuard(config.getInt(GatewayConfig.MAX_CONNECTIONS), flow, metrics);
    CarbonServer.Connections connections =
        new CarbonServer.Connections(
            handler, guard, config.getInt(GatewayConfig.IDLE_TIMEOUT_SECONDS));
    this.plaintext =
        CarbonServer.plaintext(
            config.bindAddress(GatewayConfig.CARBON_BIND_ADDRESS),
            config.carbonPort(),
            config.maxLineLength(),
            connections,
            boss,
            workers);
    this.pickle =
        config.picklePort() < 0
            ? null
            : CarbonServer.pickle(
                config.bindAddress(GatewayConfig.PICKLE_BIND_ADDRESS),
                config.picklePort(),
                config.getInt(GatewayConfig.MAX_PICKLE_FRAME),
                connections,
                boss,
                workers);
    this.udp =
        config.udpPort() < 0
            ? null
            : new CarbonUdpServer(
                config.bindAddress(GatewayConfig.UDP_BIND_ADDRESS),
                config.udpPort(),
                handler,
                flow,
                metrics);
    KafkaLinesReceiver lines =
        !config.getBoolean(GatewayConfig.LINES_ENABLED)
            ? null
            : KafkaLinesReceiver.create(
                config.bootstrapServers(),
                config.getString(GatewayConfig.LINES_GROUP_ID),
                config.linesTopic(),
                config.consumerOverrides(),
                handler,
                metrics);
    this.receivers =
        Stream.of(plaintext, pickle, udp, lines)
            .filter(Objects::nonNull)
            .map(CarbonReceiver.class::cast)
            .toList();
    this.reporting =
        SelfReporting.open(
            metrics,
            config,
            config.getString(GatewayConfig.METRIC_INSTANCE),
            config.bindAddress(),
            (metric, ts, value) -> producer.sendPoint(new MetricPoint(metric, ts, value), null));
  }

  public void start() throws InterruptedException {
    producer.warmUp(Duration.ofSeconds(10));
    for (CarbonReceiver receiver : receivers) {
      receiver.start();
    }
    housekeeping =
        workers
            .next()
            .scheduleAtFixedRate(
                () -> {
                  flow.accountPausedTime();
                  guard.reconcile();
                },
                1,
                1,
                TimeUnit.SECONDS);
    long refresh = MetricFilter.REFRESH_INTERVAL.toMillis();
    filterRefresh =
        boss.next()
            .scheduleWithFixedDelay(filter::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
    reporting.start();
    log.info(
        "gateway producing to {} on {}; reporting as {}",
        config.pointsTopic(),
        config.bootstrapServers(),
        reporting.prefix());
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

  /** The Prometheus endpoint's port, or -1 when it is off. */
  public int metricsHttpPort() {
    return reporting.port();
  }

  /** The gateway's self-metrics (role {@code relays}), e.g. for a shared Prometheus endpoint. */
  public SelfMetrics metrics() {
    return metrics;
  }

  public FlowControl flow() {
    return flow;
  }

  /**
   * Stops accepting input, lets the handlers finish what was already read, then waits up to {@code
   * shutdown.timeout.seconds} for Kafka to acknowledge all of it. Whatever is still unacknowledged
   * then is logged and counted as {@code shutdownUnflushed}.
   */
  @Override
  public void close() {
    receivers.forEach(CarbonReceiver::close);
    if (housekeeping != null) {
      housekeeping.cancel(false);
    }
    if (filterRefresh != null) {
      filterRefresh.cancel(false);
    }
    guard.closeAll();
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    reporting.close();
    flow.accountPausedTime();
    long unflushed = producer.close(config.shutdownTimeout());
    if (unflushed > 0) {
      metrics.counter(GatewayStats.SHUTDOWN_UNFLUSHED).add(unflushed);
      log.error(
          "{} records were not acknowledged by Kafka within {} and are lost",
          unflushed,
          config.shutdownTimeout());
    } else {
      log.info("gateway stopped; everything read was acknowledged by Kafka");
    }
  }
}

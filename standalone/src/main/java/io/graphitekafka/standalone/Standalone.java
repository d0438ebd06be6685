package io.graphitekafka.standalone;

import io.graphitekafka.aggregator.Aggregator;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.PrometheusEndpoint;
import io.graphitekafka.service.restart.StartupPhases;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything in one process: a real single-node KRaft broker, the topics, then the sink, the
 * aggregator and the gateway. It stops in the reverse order, so the gateway's accepted points are
 * flushed to Kafka before anything downstream stops; what is in Kafka survives a restart under the
 * data directory.
 */
public final class Standalone implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Standalone.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final StandaloneConfig config;
  private EmbeddedKafkaBroker broker;
  private Sink sink;
  private Aggregator aggregator;
  private Gateway gateway;
  private PrometheusEndpoint metricsEndpoint;
  private final StartupPhases phases = new StartupPhases("standalone");
  private volatile boolean closed;

  /**
   * The {@code group.instance.id} of the standalone's sink and of its aggregator's stream threads
   * (Kafka Streams appends each thread's number): one member of each group per embedded broker.
   */
  static final String STATIC_MEMBER = "standalone";

  public Standalone(StandaloneConfig config) {
    this.config = config;
  }

  public synchronized void start() throws Exception {
    Path dataDir = config.dataDir().toAbsolutePath();
    Files.createDirectories(dataDir);
    String bind = config.getString(StandaloneConfig.BIND_ADDRESS);

    broker =
        EmbeddedKafkaBroker.builder()
            .host(bind)
            .port(config.getInt(StandaloneConfig.BROKER_PORT))
            .logDir(dataDir.resolve("kafka"))
            .build();
    broker.start();
    phases.reached(StartupPhases.BROKER_UP);
    broker.createTopics(
        config.getInt(StandaloneConfig.PARTITIONS),
        Topics.DEFAULT_POINTS,
        Topics.DEFAULT_ARCHIVES,
        Topics.DEFAULT_LINES,
        Topics.DEFAULT_REJECTS,
        Topics.DEFAULT_RULES);
    String bootstrap = broker.bootstrapServers();

    Map<String, Object> sinkProps = new HashMap<>();
    sinkProps.put(SinkConfig.DATA_DIR, dataDir.toString());
    sinkProps.put(SinkConfig.GRAPHITE_URL, config.getString(StandaloneConfig.GRAPHITE_URL));
    // Static membership: the one sink and the one aggregator of this data directory take their
    // partitions back at once after a crash, instead of after the dead member's session timeout (45
    // s for both). The self-metrics keep their instance name.
    sinkProps.put(SinkConfig.GROUP_INSTANCE_ID, STATIC_MEMBER);
    sinkProps.put(SinkConfig.METRICS_INSTANCE, "a");
    SinkConfig sinkConfig =
        new SinkConfig(serviceProperties(config, "sink.", sinkProps, bootstrap));
    sink = new Sink(sinkConfig);
    sink.start();

    Map<String, Object> aggProps = new HashMap<>();
    aggProps.put(AggregatorConfig.CONF_DIR, config.getString(StandaloneConfig.CONF_DIR));
    aggProps.put(AggregatorConfig.STATE_DIR, dataDir.resolve("aggregator-state").toString());
    aggProps.put(AggregatorConfig.GROUP_INSTANCE_ID, STATIC_MEMBER);
    aggProps.put(AggregatorConfig.CARBONLINK_PORT, config.getInt(StandaloneConfig.CARBONLINK_PORT));
    aggProps.put(AggregatorConfig.CARBONLINK_BIND, bind);
    // carbonlink keeps a point until this process's own sink has written it
    aggProps.put(
        AggregatorConfig.CARBONLINK_SINK_GROUPS, sinkConfig.getString(SinkConfig.GROUP_ID));
    AggregatorConfig aggConfig =
        new AggregatorConfig(serviceProperties(config, "aggregator.", aggProps, bootstrap));
    aggregator = new Aggregator(aggConfig);
    aggregator.start();

    Map<String, Object> gwProps = new HashMap<>();
    gwProps.put(GatewayConfig.BIND_ADDRESS, bind);
    gwProps.put(GatewayConfig.CARBON_PORT, config.getInt(StandaloneConfig.CARBON_PORT));
    gwProps.put(GatewayConfig.UDP_PORT, config.getInt(StandaloneConfig.UDP_PORT));
    gwProps.put(GatewayConfig.PICKLE_PORT, config.getInt(StandaloneConfig.PICKLE_PORT));
    // the carbon.lines reader is a group member too: back at once after a crash, like the others
    gwProps.put(
        GatewayConfig.KAFKA_CONSUMER_PREFIX + ConsumerConfig.GROUP_INSTANCE_ID_CONFIG,
        STATIC_MEMBER);
    gateway =
        new Gateway(new GatewayConfig(serviceProperties(config, "gateway.", gwProps, bootstrap)));
    gateway.start();

    int metricsPort = config.getInt(StandaloneConfig.METRICS_PORT);
    if (metricsPort >= 0) {
      metricsEndpoint =
          new PrometheusEndpoint(
              bind, metricsPort, List.of(gateway.metrics(), aggregator.metrics(), sink.metrics()));
      metricsEndpoint.start();
    }
    awaitAggregatorRunning();
    Thread watcher = new Thread(() -> watchStartup(aggConfig), "standalone-startup");
    watcher.setDaemon(true);
    watcher.start();
  }

  /**
   * Logs when the whole process has caught up after its start: the aggregator has read its input to
   * the end, then, once the output of that input has been emitted and committed (an emit and a
   * commit interval later), the sink has written all of it.
   */
  private void watchStartup(AggregatorConfig aggConfig) {
    long settle =
        aggConfig.emitInterval().toMillis()
            + aggConfig.getLong(AggregatorConfig.COMMIT_INTERVAL_MS);
    try {
      while (!closed && !aggregator.phases().has(StartupPhases.CAUGHT_UP)) {
        Thread.sleep(200);
      }
      Thread.sleep(settle);
      while (!closed && !sink.upToDate()) {
        Thread.sleep(100);
      }
      if (!closed) {
        phases.reached(StartupPhases.CAUGHT_UP, "aggregator and sink");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The start-up phases of the whole process reached so far. */
  public StartupPhases phases() {
    return phases;
  }

  /**
   * A service's settings: what standalone derives for it ({@code derived}), then every {@code
   * <prefix>key=value} of the standalone configuration as {@code key=value} (so {@code
   * sink.fill.mode=sparse} or {@code gateway.max.connections=5000} reach that service and win over
   * what was derived), then {@code bootstrap.servers}, which is always the embedded broker.
   */
  static Map<String, Object> serviceProperties(
      StandaloneConfig config, String prefix, Map<String, Object> derived, String bootstrap) {
    Map<String, Object> props = new HashMap<>(derived);
    props.putAll(config.originalsWithPrefix(prefix));
    props.put("bootstrap.servers", bootstrap);
    return props;
  }

  private void awaitAggregatorRunning() throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (aggregator.state() != KafkaStreams.State.RUNNING) {
      if (!aggregator.state().isRunningOrRebalancing() || System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "aggregator did not reach RUNNING, state " + aggregator.state());
      }
      Thread.sleep(50);
    }
  }

  /** One line for the console: where each port listens. */
  public String describe() {
    String bind = config.getString(StandaloneConfig.BIND_ADDRESS);
    return "plaintext tcp "
        + bind
        + ":"
        + gateway.carbonPort()
        + ", plaintext udp "
        + bind
        + ":"
        + gateway.udpPort()
        + ", pickle "
        + bind
        + ":"
        + gateway.picklePort()
        + ", kafka "
        + broker.bootstrapServers()
        + (aggregator.carbonlinkPort() < 0
            ? ""
            : ", carbonlink " + bind + ":" + aggregator.carbonlinkPort())
        + (metricsEndpoint == null
            ? ""
            : ", metrics http://" + bind + ":" + metricsEndpoint.port() + "/metrics")
        + ", whisper files under "
        + config.dataDir().toAbsolutePath().resolve("whisper");
  }

  public int carbonPort() {
    return gateway.carbonPort();
  }

  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  @Override
  public synchronized void close() {
    closed = true;
    log.info("stopping: gateway, aggregator, sink, broker");
    closeQuietly(metricsEndpoint);
    closeQuietly(gateway);
    closeQuietly(aggregator);
    closeQuietly(sink);
    closeQuietly(broker);
    log.info("stopped");
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("error while stopping {}", c.getClass().getSimpleName(), e);
    }
  }
}

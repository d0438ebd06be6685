package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.carbonlink.CarbonlinkRequests;
import io.graphitekafka.aggregator.carbonlink.CarbonlinkRouting;
import io.graphitekafka.aggregator.carbonlink.CarbonlinkServer;
import io.graphitekafka.aggregator.carbonlink.GroupProgress;
import io.graphitekafka.aggregator.carbonlink.PointsFeed;
import io.graphitekafka.aggregator.carbonlink.RecentPoints;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.aggregator.topology.RollupTopology;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.MetricPointReader;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.service.metrics.SelfReporting;
import io.graphitekafka.service.restart.StartupPhases;
import io.graphitekafka.service.restart.StaticMember;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stream-aggregator service: runs {@link RollupTopology} with exactly-once processing and keeps
 * the storage rules current.
 */
public final class Aggregator implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

  /**
   * Carbon's role name for the aggregator's own series, {@code
   * carbon.aggregator.<host>-<instance>.}.
   */
  public static final String METRICS_ROLE = "aggregator";

  private final AggregatorConfig config;
  private final SelfMetrics metrics;
  private final StorageRulesWatcher rules;
  private final CarbonRulesWatcher carbonRules;
  private final KafkaStreams streams;
  private final SelfReporting reporting;
  private final StaticMember member;
  private final RecentPoints recent;
  private final CarbonlinkRouting routing;
  private final CarbonlinkServer carbonlink;
  private final ScheduledExecutorService expiry;

  /** The sinks' progress, which the carbonlink window follows; null without sink groups. */
  private GroupProgress sinkProgress;

  /** The rollup's own progress on its input, which the window follows too. */
  private GroupProgress rollupProgress;

  /** New points into the carbonlink window ahead of the rollup; null without carbonlink. */
  private volatile PointsFeed feed;

  private Admin progressAdmin;

  /** This instance's {@code application.server}, or null without carbonlink. */
  private final String streamsSelf;

  private final StreamsStartup startup;

  public Aggregator(AggregatorConfig config) {
    this(config, Clock.systemUTC());
  }

  /** With an injected clock for "now", which decides which archive a point's age puts it in. */
  Aggregator(AggregatorConfig config, Clock clock) {
    this.config = config;
    this.metrics = new SelfMetrics(METRICS_ROLE);
    this.reporting =
        SelfReporting.open(
            metrics,
            config,
            config.getString(AggregatorConfig.METRIC_INSTANCE),
            config.getString(AggregatorConfig.METRICS_HTTP_BIND),
            null);
    this.rules = new StorageRulesWatcher(config.confDir());
    this.carbonRules = new CarbonRulesWatcher(config.confDir());
    this.member =
        config.groupInstanceId().equals(StaticMember.AUTO)
            ? StaticMember.claim(
                METRICS_ROLE,
                Path.of(config.getString(AggregatorConfig.STATE_DIR)),
                config.getString(AggregatorConfig.APPLICATION_ID))
            : null;
    int carbonlinkPort = config.getInt(AggregatorConfig.CARBONLINK_PORT);
    this.recent =
        carbonlinkPort == 0
            ? RecentPoints.NONE
            : new RecentPoints(
                Duration.ofSeconds(config.getInt(AggregatorConfig.CARBONLINK_WINDOW_SECONDS)),
                System::nanoTime);
    this.routing =
        new CarbonlinkRouting(
            this::remoteOwner, 1000, config.getInt(AggregatorConfig.CARBONLINK_MAX_FRAME_BYTES));
    this.carbonlink =
        carbonlinkPort == 0
            ? null
            : new CarbonlinkServer(
                config.getString(AggregatorConfig.CARBONLINK_BIND),
                carbonlinkPort,
                new CarbonlinkRequests(recent, rules::resolve, routing),
                config.getInt(AggregatorConfig.CARBONLINK_MAX_CONNECTIONS),
                config.getInt(AggregatorConfig.CARBONLINK_MAX_FRAME_BYTES),
                (int)
                    TimeUnit.SECONDS.toMillis(
                        config.getInt(AggregatorConfig.CARBONLINK_IDLE_TIMEOUT_SECONDS)),
                metrics);
    this.expiry =
        carbonlink == null
            ? null
            : Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "carbonlink-expiry");
                  t.setDaemon(true);
                  return t;
                });
    if (carbonlink != null) {
      metrics.gauge("carbonlinkSeries", recent::seriesCount);
      metrics.gauge("carbonlinkPoints", recent::pointCount);
      metrics.gauge(
          "carbonlinkHoldSeconds", () -> TimeUnit.NANOSECONDS.toSeconds(recent.holdNanos()));
    }
    this.streamsSelf = carbonlink == null ? null : advertisedHost(config) + ":" + carbonlink.port();
    StateDirectoryCheck.run(
        Path.of(config.getString(AggregatorConfig.STATE_DIR))
            .resolve(config.getString(AggregatorConfig.APPLICATION_ID)));
    this.streams =
        new KafkaStreams(
            RollupTopology.build(
                config,
                rules::resolve,
                carbonRules,
                clock,
                metrics,
                recent,
                // the feed adds the points topic's points itself, where it reads them
                partition -> {
                  PointsFeed f = feed;
                  return f != null && f.adds(partition);
                }),
            withApplicationServer(
                withGroupInstanceId(streamsProperties(config), config, member), streamsSelf));
    streams.setUncaughtExceptionHandler(Aggregator::onStreamThreadFailure);
    this.startup = new StreamsStartup(streams);
    metrics.bind(new KafkaStreamsMetrics(streams));
  }

  /**
   * A Schema Registry that does not answer is an outage, not a fault of the data: the thread is
   * replaced after a pause and its tasks resume from their last commit (exactly-once, so nothing is
   * counted twice). Anything else stops the aggregator, so the process exits and its supervisor
   * sees it.
   */
  static StreamThreadExceptionResponse onStreamThreadFailure(Throwable e) {
    if (RegistryUnavailableException.isCause(e)) {
      log.warn(
          "Schema Registry unavailable; retrying from the last commit in {} ms: {}",
          REGISTRY_RETRY_PAUSE.toMillis(),
          e.toString());
      try {
        Thread.sleep(REGISTRY_RETRY_PAUSE.toMillis());
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
    log.error("stream thread failed; shutting the aggregator down", e);
    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
  }

  private static final Duration REGISTRY_RETRY_PAUSE = Duration.ofSeconds(2);

  /** Client settings the aggregator defaults to, under Kafka Streams' client prefixes. */
  static final Map<String, Object> THROUGHPUT_DEFAULTS =
      Map.of(
          StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 20,
          StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 262_144,
          StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4",
          StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 5000);

  static Properties streamsProperties(AggregatorConfig config) {
    Properties props = new Properties();
    props.put(
        StreamsConfig.APPLICATION_ID_CONFIG, config.getString(AggregatorConfig.APPLICATION_ID));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(AggregatorConfig.STATE_DIR));
    props.put(
        StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
        config.getLong(AggregatorConfig.COMMIT_INTERVAL_MS));
    Map<String, Object> overrides = config.kafkaOverrides();
    // Throughput defaults, each overridable with kafka.*: archive points are small records sent in
    // bursts at each emission, so batch them (lz4 shrinks the repeated names and layouts); tasks
    // have a
    // single input partition, so there is nothing to wait for before processing buffered records.
    for (Map.Entry<String, Object> d : THROUGHPUT_DEFAULTS.entrySet()) {
      String key = d.getKey();
      String unprefixed = key.substring(key.indexOf('.') + 1);
      if (!overrides.containsKey(key) && !overrides.containsKey(unprefixed)) {
        props.put(key, d.getValue());
      }
    }
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    props.putAll(overrides);
    // Not overridable: the exactness argument in the README rests on both.
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    return props;
  }

  /**
   * Sets the stream threads' {@code group.instance.id}: the claimed one, the configured one, or
   * none.
   */
  static Properties withGroupInstanceId(
      Properties props, AggregatorConfig config, StaticMember member) {
    String id = member != null ? member.id() : config.groupInstanceId();
    if (!id.isEmpty() && !id.equals(StaticMember.AUTO)) {
      props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id);
      log.info("stream threads are static members {}-<thread> of their group", id);
    }
    return props;
  }

  public void start() {
    log.info(
        "starting aggregator {} on {}: {} -> {}, grace {} s, emit every {} ms, "
            + "new series' files {}",
        config.getString(AggregatorConfig.APPLICATION_ID),
        config.bootstrapServers(),
        config.pointsTopic(),
        config.archivesTopic(),
        config.graceSeconds(),
        config.emitInterval().toMillis(),
        config.newSeriesFilesEmpty() ? "empty" : "may hold points");
    rules.start(config.rulesReloadInterval());
    carbonRules.start(config.rulesReloadInterval());
    RulesTopic.ensure(config, streamsProperties(config));
    streams.start();
    startup.start();
    if (carbonlink != null) {
      carbonlink.start();
      long every = config.getInt(AggregatorConfig.CARBONLINK_WINDOW_SECONDS);
      expiry.scheduleWithFixedDelay(recent::expireIdle, every, every, TimeUnit.SECONDS);
      StreamsConfig streamsConfig = new StreamsConfig(streamsProperties(config));
      progressAdmin = Admin.create(streamsConfig.getAdminConfigs("graphite-kafka-carbonlink"));
      String applicationId = config.getString(AggregatorConfig.APPLICATION_ID);
      long window = TimeUnit.SECONDS.toNanos(every);
      long maxLag =
          Math.max(
              0,
              TimeUnit.SECONDS.toNanos(
                      config.getInt(AggregatorConfig.CARBONLINK_WINDOW_MAX_SECONDS))
                  - window);
      rollupProgress =
          new GroupProgress(
              GroupProgress.of(progressAdmin, config.pointsTopic(), 5_000),
              config.pointsTopic(),
              List.of(applicationId),
              maxLag);
      List<String> groups = config.getList(AggregatorConfig.CARBONLINK_SINK_GROUPS);
      if (!groups.isEmpty()) {
        sinkProgress =
            new GroupProgress(
                GroupProgress.of(progressAdmin, config.archivesTopic(), 5_000),
                config.archivesTopic(),
                groups,
                maxLag);
      }
      int maxPoints = config.getInt(AggregatorConfig.CARBONLINK_MAX_POINTS);
      expiry.scheduleWithFixedDelay(
          () -> followProgress(maxPoints, maxLag), 1, 1, TimeUnit.SECONDS);
      PointsFeed f = newFeed(streamsConfig, applicationId);
      f.start();
      feed = f;
    }
    reporting.start();
  }

  /**
   * The carbonlink feed: a consumer without a group on the points topic, assigned the partitions of
   * this instance's active tasks, reading committed records like the stream threads.
   */
  private PointsFeed newFeed(StreamsConfig streamsConfig, String applicationId) {
    Map<String, Object> props = streamsConfig.getGlobalConsumerConfigs("graphite-kafka-carbonlink");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // as the stream threads
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Topic<String, MetricPoint> points =
        Topics.points(config.pointsTopic(), RegistrySettings.client(config));
    KafkaConsumer<byte[], MetricPointReader.Result> consumer =
        new KafkaConsumer<>(
            props, new ByteArrayDeserializer(), MetricPointReader.of(points.valueSerde()));
    String topic = config.pointsTopic();
    return new PointsFeed(
        consumer,
        () -> ownedInput(topic),
        partitions -> committedOffsets(applicationId, partitions),
        () -> carbonRules.get().isEmpty(),
        RollupTopology::accepted,
        recent);
  }

  /** The points topic's partitions of this instance's active tasks. */
  private Set<TopicPartition> ownedInput(String topic) {
    Set<TopicPartition> owned = new HashSet<>();
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      for (TaskMetadata task : thread.activeTasks()) {
        for (TopicPartition tp : task.topicPartitions()) {
          if (tp.topic().equals(topic)) {
            owned.add(tp);
          }
        }
      }
    }
    return owned;
  }

  /** The offsets the group committed on these partitions, or null if they cannot be read now. */
  private Map<TopicPartition, Long> committedOffsets(String group, Set<TopicPartition> partitions) {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    try {
      progressAdmin
          .listConsumerGroupOffsets(
              Map.of(group, new ListConsumerGroupOffsetsSpec().topicPartitions(partitions)))
          .partitionsToOffsetAndMetadata(group)
          .get(5, TimeUnit.SECONDS)
          .forEach(
              (tp, o) -> {
                if (o != null) {
                  offsets.put(tp, o.offset());
                }
              });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException | TimeoutException e) {
      log.warn("carbonlink: cannot read the committed offsets of {}: {}", group, e.toString());
      return null;
    }
    return offsets;
  }

  /**
   * Keeps the carbonlink window's points for as long as the rollup and the sinks are behind, so a
   * point leaves it only once its file holds it; at the memory bound, the window falls back to its
   * minimum.
   */
  private void followProgress(int maxPoints, long maxLag) {
    try {
      long now = System.nanoTime();
      long lag = rollupProgress.update(now);
      if (sinkProgress != null) {
        lag = Math.min(maxLag, lag + sinkProgress.update(now));
      }
      if (recent.pointCount() >= maxPoints) {
        lag = 0; // at the bound, back to the window alone
      }
      recent.hold(lag);
    } catch (RuntimeException e) {
      log.warn("carbonlink: following the rollup's and the sinks' progress failed", e);
    }
  }

  /**
   * Deletes this instance's local state (the stores under {@code state.dir/<application.id>}); only
   * before {@link #start()}. Kafka Streams refuses while another process on this host holds the
   * state.
   */
  public void cleanUpLocalState() {
    streams.cleanUp();
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** The aggregator's own stats, e.g. for a Prometheus endpoint shared with other services. */
  public SelfMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    if (carbonlink != null) {
      carbonlink.close();
      expiry.shutdownNow();
      if (feed != null) {
        feed.close();
      }
      if (progressAdmin != null) {
        progressAdmin.close(Duration.ofSeconds(5));
      }
    }
    routing.close();
    reporting.close();
    startup.close();
    // A static member would otherwise keep its tasks until its session times out: an aggregator
    // stopped on purpose hands them over at once, a crashed one is taken back on restart.
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    rules.close();
    carbonRules.close();
    if (member != null) {
      try {
        member.close();
      } catch (IOException e) {
        log.warn("releasing the group member slot: {}", e.toString());
      }
    }
  }

  /** The start-up phases reached so far. */
  public StartupPhases phases() {
    return startup.phases();
  }

  /**
   * Sets {@code application.server} to this instance's carbonlink address, if it has one, so that
   * the others find which instance owns a series and forward queries for it there.
   */
  static Properties withApplicationServer(Properties props, String carbonlinkAddress) {
    if (carbonlinkAddress != null) {
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, carbonlinkAddress);
    }
    return props;
  }

  /** The host other instances reach this one's carbonlink port at. */
  static String advertisedHost(AggregatorConfig config) {
    String host = config.getString(AggregatorConfig.CARBONLINK_ADVERTISED_HOST).trim();
    if (!host.isEmpty()) {
      return host;
    }
    String bind = config.getString(AggregatorConfig.CARBONLINK_BIND).trim();
    if (!bind.isEmpty() && !bind.equals("0.0.0.0") && !bind.equals("::")) {
      return bind;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** The carbonlink address of the instance that owns {@code metric}, or null for this one. */
  private InetSocketAddress remoteOwner(String metric) {
    KeyQueryMetadata owner;
    try {
      owner = streams.queryMetadataForKey(RollupTopology.SERIES_STORE, metric, KEY_SERIALIZER);
    } catch (RuntimeException e) {
      return null; // Kafka Streams not running (starting, stopping, failed): answered from here
    }
    if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
      return null; // not known yet (a rebalance): answered from this instance's own points
    }
    HostInfo host = owner.activeHost();
    if (host == null || host.port() <= 0 || (host.host() + ":" + host.port()).equals(streamsSelf)) {
      return null;
    }
    return new InetSocketAddress(host.host(), host.port());
  }

  private static final StringSerializer KEY_SERIALIZER = new StringSerializer();

  /** The carbonlink port, or -1 when it is off. */
  public int carbonlinkPort() {
    return carbonlink == null ? -1 : carbonlink.port();
  }

  /** The Prometheus endpoint's port, or -1 when it is off. */
  public int metricsHttpPort() {
    return reporting.port();
  }
}

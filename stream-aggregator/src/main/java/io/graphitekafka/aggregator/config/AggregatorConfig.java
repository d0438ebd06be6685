package io.graphitekafka.aggregator.config;

import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.service.config.KafkaPassThrough;
import io.graphitekafka.service.config.SelfMetricsSettings;
import io.graphitekafka.service.config.ServiceConfig;
import io.graphitekafka.service.restart.StaticMember;
import java.nio.file.Path;
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
import org.apache.kafka.streams.StreamsConfig;

/**
 * Typed configuration of the stream-aggregator; Kafka Streams settings pass through under {@code
 * kafka.}.
 */
public final class AggregatorConfig extends ServiceConfig {

  public static final String APPLICATION_ID = "application.id";
  public static final String CONF_DIR = "conf.dir";
  public static final String STATE_DIR = "state.dir";
  public static final String GROUP_INSTANCE_ID = "group.instance.id";
  public static final String GRACE_SECONDS = "grace.seconds";
  public static final String NEW_SERIES_FILES_EMPTY = "new.series.files.empty";
  public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
  public static final String EMIT_INTERVAL_MS = "emit.interval.ms";
  public static final String CARBONLINK_PORT = "carbonlink.port";
  public static final String CARBONLINK_BIND = "carbonlink.bind";
  public static final String CARBONLINK_ADVERTISED_HOST = "carbonlink.advertised.host";
  public static final String CARBONLINK_WINDOW_SECONDS = "carbonlink.window.seconds";
  public static final String CARBONLINK_WINDOW_MAX_SECONDS = "carbonlink.window.max.seconds";
  public static final String CARBONLINK_SINK_GROUPS = "carbonlink.sink.groups";
  public static final String CARBONLINK_MAX_POINTS = "carbonlink.max.points";
  public static final String CARBONLINK_MAX_CONNECTIONS = "carbonlink.max.connections";
  public static final String CARBONLINK_MAX_FRAME_BYTES = "carbonlink.max.frame.bytes";
  public static final String CARBONLINK_IDLE_TIMEOUT_SECONDS = "carbonlink.idle.timeout.seconds";
  public static final String RULES_RELOAD_SECONDS = "rules.reload.interval.seconds";
  public static final String SERIES_CACHE_MAX = "series.cache.max";
  public static final String FORWARD_ALL = "aggregation.forward.all";
  public static final String LATENESS_INTERVALS = "aggregation.lateness.intervals";
  public static final String METRIC_INTERVAL_SECONDS = SelfMetricsSettings.INTERVAL_SECONDS;
  public static final String METRIC_INSTANCE = SelfMetricsSettings.INSTANCE;
  public static final String METRICS_HTTP_PORT = SelfMetricsSettings.HTTP_PORT;
  public static final String METRICS_HTTP_BIND = SelfMetricsSettings.HTTP_BIND;
  public static final String SCHEMA_REGISTRY_URL = RegistrySettings.URL;
  public static final String SCHEMA_REGISTRY_USER_INFO = RegistrySettings.USER_INFO;

  public static final ConfigDef CONFIG_DEF =
      withBootstrapServers()
          .define(
              APPLICATION_ID,
              Type.STRING,
              "graphite-kafka-aggregator",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Kafka Streams application.id: instances with the same id share the work.")
          .define(
              CONF_DIR,
              Type.STRING,
              "conf",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Directory holding storage-schemas.conf and, optionally, storage-aggregation.conf, "
                  + "aggregation-rules.conf and rewrite-rules.conf.")
          .define(
              STATE_DIR,
              Type.STRING,
              System.getProperty("java.io.tmpdir") + "/graphite-kafka-streams",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Kafka Streams local state directory.")
          .define(
              GROUP_INSTANCE_ID,
              Type.STRING,
              StaticMember.AUTO,
              Importance.MEDIUM,
              "Static membership of the stream threads' consumer group (group.instance.id; Kafka "
                  + "Streams appends each thread's number): a restarted instance takes its partitions "
                  + "back at once instead of after the dead one's session timeout. 'auto' (the "
                  + "default) derives one from the host name and the state directory; empty means "
                  + "dynamic membership; any other value is the id itself, which must differ between "
                  + "instances. kafka.consumer.group.instance.id, if set, wins.")
          .define(
              GRACE_SECONDS,
              Type.LONG,
              600L,
              Range.between(0L, 0xFFFF_FFFFL),
              Importance.MEDIUM,
              "How far behind the newest point of a series (or behind now, for a series ahead of the "
                  + "clock) the aggregator keeps the slots a late point's rollup reads. State per series "
                  + "is the slots this window needs. It bounds memory, not data: an older point is sent "
                  + "to the sink as a raw point, which applies it with whisper's own propagation against "
                  + "the file (counted as rawPointsSent).")
          .define(
              NEW_SERIES_FILES_EMPTY,
              Type.BOOLEAN,
              false,
              Importance.MEDIUM,
              "Whether a series the aggregator sees for the first time has no file yet. false (the "
                  + "default): its file may hold points already (written by carbon-cache, an import, or "
                  + "before a reprocessing), so the points in the coarsest interval of its first point "
                  + "are sent raw and rolled up by the sink from what the file holds. true: a fresh "
                  + "installation where every file is written by this pipeline; the aggregator rolls "
                  + "those points up itself, which saves the sink a read per archive per point.")
          .define(
              COMMIT_INTERVAL_MS,
              Type.LONG,
              1000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Kafka Streams commit interval: how often the exactly-once transaction commits, and so how "
                  + "often each changed series state is written to the changelog.")
          .define(
              EMIT_INTERVAL_MS,
              Type.LONG,
              1000L,
              Range.atLeast(1),
              Importance.MEDIUM,
              "How often the slots written since the last emission are sent, once each with their latest "
                  + "value. At least the commit interval keeps it to one update per slot per commit.")
          .define(
              CARBONLINK_PORT,
              Type.INT,
              0,
              Range.between(0, 65535),
              Importance.MEDIUM,
              "carbon's CACHE_QUERY_PORT: graphite-web's carbonlink queries (CARBONLINK_HOSTS) are "
                  + "answered here with the points accepted and not yet in their files; 0 (the "
                  + "default for this service; carbon and the standalone use 7002) turns it off.")
          .define(
              CARBONLINK_BIND,
              Type.STRING,
              "0.0.0.0",
              Importance.LOW,
              "carbon's CACHE_QUERY_INTERFACE: the address the carbonlink port is bound to.")
          .define(
              CARBONLINK_ADVERTISED_HOST,
              Type.STRING,
              "",
              Importance.LOW,
              "The host name other aggregators reach this one's carbonlink port at, to forward a "
                  + "query for a series this instance owns (Kafka Streams' application.server); "
                  + "empty: carbonlink.bind, or this host's name if that is 0.0.0.0.")
          .define(
              CARBONLINK_WINDOW_SECONDS,
              Type.INT,
              10,
              Range.between(1, 3600),
              Importance.LOW,
              "How long a point stays in the carbonlink answers after it was accepted: long enough "
                  + "to be emitted and committed. It stays longer while the sinks are behind "
                  + "(carbonlink.sink.groups), until its file holds it.")
          .define(
              CARBONLINK_WINDOW_MAX_SECONDS,
              Type.INT,
              120,
              Range.between(1, 3600),
              Importance.LOW,
              "The longest a point stays in the carbonlink answers while the sinks are behind; a "
                  + "point older than this that is still not in its file is missing from graphs until "
                  + "the sink writes it.")
          .define(
              CARBONLINK_MAX_POINTS,
              Type.INT,
              3_000_000,
              Range.atLeast(1),
              Importance.LOW,
              "The window's memory bound, 24 to 48 bytes of heap per point: while it holds this many, "
                  + "points are kept only carbonlink.window.seconds, whatever the lag.")
          .define(
              CARBONLINK_SINK_GROUPS,
              Type.LIST,
              "graphite-kafka-sink",
              Importance.LOW,
              "The consumer groups of the sinks that write this aggregator's output: points stay in "
                  + "the carbonlink answers until the slowest group has written them (measured on the "
                  + "archives topic every second). Empty: points stay carbonlink.window.seconds, "
                  + "whatever the sinks' lag.")
          .define(
              CARBONLINK_MAX_CONNECTIONS,
              Type.INT,
              100,
              Range.atLeast(1),
              Importance.LOW,
              "Open carbonlink connections; more are closed at once and counted.")
          .define(
              CARBONLINK_MAX_FRAME_BYTES,
              Type.INT,
              1 << 20,
              Range.between(64, 64 << 20),
              Importance.LOW,
              "The largest carbonlink request; a longer one is answered with an error and its "
                  + "connection closed.")
          .define(
              CARBONLINK_IDLE_TIMEOUT_SECONDS,
              Type.INT,
              600,
              Range.atLeast(1),
              Importance.LOW,
              "A carbonlink connection without a request for this long is closed (graphite-web keeps "
                  + "its connections open between renders).")
          .define(
              RULES_RELOAD_SECONDS,
              Type.LONG,
              60L,
              Range.atLeast(0),
              Importance.LOW,
              "How often the files of the conf dir are checked for changes (modification time and "
                  + "size), as carbon re-reads them; 0 disables it.")
          .define(
              SERIES_CACHE_MAX,
              Type.INT,
              100_000,
              Range.atLeast(1),
              Importance.LOW,
              "Series states kept decoded in memory per task; the least recently used beyond this are "
                  + "dropped after a commit and read back from the local store when needed.")
          .define(
              FORWARD_ALL,
              Type.BOOLEAN,
              true,
              Importance.MEDIUM,
              "carbon-aggregator's FORWARD_ALL: whether every point is also stored as its own series "
                  + "(under its rewritten name), unless a rule aggregates it into a series of its own "
                  + "name. false, as in carbon: only the aggregates are stored, and every other point is "
                  + "dropped (counted as notForwarded).")
          .define(
              LATENESS_INTERVALS,
              Type.INT,
              5,
              Range.between(0, 1_000_000),
              Importance.MEDIUM,
              "How many intervals behind an aggregate's newest interval a point may come and still be "
                  + "counted in its interval (carbon's MAX_AGGREGATION_INTERVALS, 5). Later points are "
                  + "rejected as aggregate_too_late. The buffers hold this many intervals of values per "
                  + "aggregate.");

  static {
    defineTopic(CONFIG_DEF, POINTS_TOPIC, Importance.MEDIUM, "Input topic of MetricPoint records.");
    defineTopic(
        CONFIG_DEF, ARCHIVES_TOPIC, Importance.MEDIUM, "Output topic of ArchivePoint records.");
    defineTopic(
        CONFIG_DEF,
        RULES_TOPIC,
        Importance.LOW,
        "The aggregator's own topic of points re-keyed by aggregation-rules.conf and "
            + "rewrite-rules.conf; it must have as many partitions as the points topic.");
    defineTopic(
        CONFIG_DEF,
        REJECTS_TOPIC,
        Importance.MEDIUM,
        "Topic for input records that cannot be decoded.");
    SelfMetricsSettings.defineReporting(
        CONFIG_DEF,
        "carbon.aggregator.<host>-<instance>.*",
        "a",
        "The <instance> of the self-metrics prefix.");
    SelfMetricsSettings.defineEndpoint(CONFIG_DEF, true);
    RegistrySettings.define(CONFIG_DEF);
  }

  public AggregatorConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
    // Kafka Streams' own settings and its clients', also in Streams' client-prefixed forms
    KafkaPassThrough.check(
        "the aggregator",
        "kafka.",
        originalsWithPrefix(KAFKA_PREFIX),
        List.of(
            StreamsConfig.CONSUMER_PREFIX,
            StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX,
            StreamsConfig.GLOBAL_CONSUMER_PREFIX,
            StreamsConfig.PRODUCER_PREFIX,
            StreamsConfig.ADMIN_CLIENT_PREFIX),
        StreamsConfig.configDef().names(),
        ConsumerConfig.configNames(),
        ProducerConfig.configNames(),
        AdminClientConfig.configNames());
  }

  /**
   * The {@code group.instance.id} the aggregator sets on its stream threads' consumers: empty when
   * it sets none (dynamic membership, an id given under {@code kafka.}, or the streams rebalance
   * protocol, which refuses static membership), {@link StaticMember#AUTO} when it derives one, else
   * the configured id.
   */
  public String groupInstanceId() {
    Map<String, Object> kafka = kafkaOverrides();
    boolean givenUnderKafka =
        kafka.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
            || kafka.containsKey(
                StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG))
            || kafka.containsKey(
                StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
    boolean streamsProtocol =
        "streams".equalsIgnoreCase(String.valueOf(kafka.get(StreamsConfig.GROUP_PROTOCOL_CONFIG)));
    return givenUnderKafka || streamsProtocol ? "" : getString(GROUP_INSTANCE_ID).trim();
  }

  public Path confDir() {
    return Path.of(getString(CONF_DIR));
  }

  public long graceSeconds() {
    return getLong(GRACE_SECONDS);
  }

  public boolean newSeriesFilesEmpty() {
    return getBoolean(NEW_SERIES_FILES_EMPTY);
  }

  public Duration emitInterval() {
    return Duration.ofMillis(getLong(EMIT_INTERVAL_MS));
  }

  public Duration rulesReloadInterval() {
    return Duration.ofSeconds(getLong(RULES_RELOAD_SECONDS));
  }

  public int seriesCacheMax() {
    return getInt(SERIES_CACHE_MAX);
  }

  public String rulesTopic() {
    return topic(RULES_TOPIC);
  }

  public boolean forwardAll() {
    return getBoolean(FORWARD_ALL);
  }

  public int latenessIntervals() {
    return getInt(LATENESS_INTERVALS);
  }
}

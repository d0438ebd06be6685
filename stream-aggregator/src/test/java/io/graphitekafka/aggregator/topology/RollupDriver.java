package io.graphitekafka.aggregator.topology;

import io.graphitekafka.aggregator.carbonlink.RecentPoints;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/** Test support: the rollup topology in a {@link TopologyTestDriver} with a hand-set clock. */
final class RollupDriver implements AutoCloseable {

  static final Duration EMIT_INTERVAL = Duration.ofSeconds(1);

  final MutableClock clock;
  final SelfMetrics metrics = new SelfMetrics("aggregator");
  private final TopologyTestDriver driver;
  private final TestInputTopic<String, MetricPoint> points;
  private final TestInputTopic<String, byte[]> rawPoints;
  private final TestOutputTopic<String, ArchivePoint> archives;
  private final TestOutputTopic<String, byte[]> rawArchives;
  private final TestOutputTopic<String, Reject> rejects;
  private final Path stateDir;

  RollupDriver(Function<String, SeriesLayout> resolver, long graceSeconds, long now) {
    this(resolver, graceSeconds, now, null);
  }

  /**
   * @param registry the Schema Registry the topology and the test topics use, or null for none
   */
  RollupDriver(
      Function<String, SeriesLayout> resolver,
      long graceSeconds,
      long now,
      SchemaRegistryClient registry) {
    this(resolver, graceSeconds, now, registry, Map.of());
  }

  /**
   * @param extra further aggregator settings; {@code kafka.*} ones are passed to Kafka Streams
   */
  RollupDriver(
      Function<String, SeriesLayout> resolver,
      long graceSeconds,
      long now,
      SchemaRegistryClient registry,
      Map<String, Object> extra) {
    this(resolver, graceSeconds, now, registry, extra, () -> CarbonRules.NONE);
  }

  /**
   * @param rules the carbon-aggregator rules in force
   */
  RollupDriver(
      Function<String, SeriesLayout> resolver,
      long graceSeconds,
      long now,
      SchemaRegistryClient registry,
      Map<String, Object> extra,
      Supplier<CarbonRules> rules) {
    this(
        resolver, graceSeconds, now, registry, extra, rules, RecentPoints.NONE, partition -> false);
  }

  /**
   * @param recent the carbonlink window the rollup feeds
   * @param pointsFedElsewhere whether the carbonlink feed adds a points topic partition's points
   */
  RollupDriver(
      Function<String, SeriesLayout> resolver,
      long graceSeconds,
      long now,
      SchemaRegistryClient registry,
      Map<String, Object> extra,
      Supplier<CarbonRules> rules,
      RecentPoints recent,
      IntPredicate pointsFedElsewhere) {
    this.clock = new MutableClock(now);
    Map<String, Object> settings = new HashMap<>(extra);
    if (registry != null) {
      settings.put(AggregatorConfig.SCHEMA_REGISTRY_URL, registry.urls());
    }
    settings.put(AggregatorConfig.GRACE_SECONDS, graceSeconds);
    settings.put(AggregatorConfig.EMIT_INTERVAL_MS, EMIT_INTERVAL.toMillis());
    AggregatorConfig config = new AggregatorConfig(settings);
    try {
      stateDir = Files.createTempDirectory("rollup-driver");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "rollup-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    extra.forEach(
        (key, value) -> {
          if (key.startsWith("kafka.")) {
            props.put(key.substring("kafka.".length()), value);
          }
        });
    driver =
        new TopologyTestDriver(
            RollupTopology.build(
                config, resolver, rules, clock, metrics, recent, pointsFedElsewhere),
            props);
    Topic<String, MetricPoint> in = Topics.points(Topics.DEFAULT_POINTS, registry);
    points =
        driver.createInputTopic(
            in.name(), in.keySerde().serializer(), in.valueSerde().serializer());
    rawPoints =
        driver.createInputTopic(
            in.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
    Topic<String, ArchivePoint> out = Topics.archives(Topics.DEFAULT_ARCHIVES, registry);
    archives =
        driver.createOutputTopic(
            out.name(), out.keySerde().deserializer(), out.valueSerde().deserializer());
    rawArchives =
        driver.createOutputTopic(
            out.name(), Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
    Topic<String, Reject> rej = Topics.rejects(Topics.DEFAULT_REJECTS, registry);
    rejects =
        driver.createOutputTopic(
            rej.name(), rej.keySerde().deserializer(), rej.valueSerde().deserializer());
  }

  void send(String metric, long timestamp, double value) {
    points.pipeInput(metric, new MetricPoint(metric, timestamp, value));
  }

  void sendRaw(String key, byte[] value) {
    rawPoints.pipeInput(key, value);
  }

  /** Lets one emit interval of wall-clock time pass, which emits the pending slots. */
  void emit() {
    driver.advanceWallClockTime(EMIT_INTERVAL);
  }

  /** Lets wall-clock time pass, running the punctuations due. */
  void advance(Duration time) {
    driver.advanceWallClockTime(time);
  }

  List<ArchivePoint> archivePoints() {
    return archives.readValuesToList();
  }

  /**
   * The archive topic's values as bytes; reading them here consumes them for {@link
   * #archivePoints}.
   */
  List<byte[]> rawArchiveValues() {
    return rawArchives.readValuesToList();
  }

  /**
   * The archive topic's records, key and value bytes, as a sink reads them; consumes them likewise.
   */
  List<org.apache.kafka.streams.KeyValue<String, byte[]>> rawArchiveRecords() {
    return rawArchives.readKeyValuesToList();
  }

  TestOutputTopic<String, ArchivePoint> archiveTopic() {
    return archives;
  }

  List<Reject> rejects() {
    return rejects.readValuesToList();
  }

  /** The state of a series as the store holds it, or null if it has none. */
  SeriesState series(String metric) {
    KeyValueStore<Bytes, byte[]> store = driver.getKeyValueStore(RollupTopology.SERIES_STORE);
    byte[] bytes = store.get(Bytes.wrap(metric.getBytes(StandardCharsets.UTF_8)));
    return bytes == null ? null : SeriesState.fromBytes(bytes);
  }

  long counter(String name) {
    return metrics.counters().getOrDefault(name, 0L);
  }

  @Override
  public void close() {
    driver.close();
    try (var files = Files.walk(stateDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // a temporary directory; leaving it is harmless
    }
  }
}

package io.graphitekafka.aggregator.topology;

import io.graphitekafka.aggregator.carbonlink.RecentPoints;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.ArchivePointWriter;
import io.graphitekafka.schemas.serde.MetricPointReader;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import org.apache.kafka.streams.Topology;

/**
 * The aggregator's topology: points in, archive points and rejects out, with one named,
 * changelogged store of per-series rollup state (and the {@link CommitHook} that persists it in
 * each commit). In front of the rollup stand carbon-aggregator's rules: the {@link RuleRouter}
 * rewrites names and sends each aggregate's inputs, keyed by the aggregate's name, through the
 * rules topic to the {@link AggregateProcessor}, whose buffers live in a second changelogged store;
 * both feed the rollup, so an aggregate is stored like any other series. The rules topic has as
 * many partitions as the points topic, so the task that reads partition p of either owns the series
 * the rollup keys to p. With {@code schema.registry.url} set, it reads points in either wire format
 * and writes archive points and rejects in Confluent's; otherwise single-object encoding only.
 * Every step is typed by its topic's descriptor: point values are read into {@link
 * MetricPointReader.Result}s, which carry either the point or why it could not be read, so a record
 * that cannot be decoded becomes a reject instead of stopping the application; archive points are
 * written by {@link ArchivePointWriter}, byte for byte as the archives topic's serde writes them.
 */
public final class RollupTopology {

  public static final String POINTS_SOURCE = "points-source";
  public static final String RULES_SOURCE = "rules-source";
  public static final String ROUTER_PROCESSOR = "carbon-rules";
  public static final String AGGREGATE_PROCESSOR = "aggregate";
  public static final String AGGREGATE_STORE = "aggregate-buffers";
  public static final String AGGREGATE_COMMIT_HOOK_STORE = "aggregate-buffers-commit";
  public static final String RULES_SINK = "rules-sink";
  public static final String ROLLUP_PROCESSOR = "rollup";
  public static final String REJECTS_PROCESSOR = "rejects";
  public static final String SERIES_STORE = "series-state";
  public static final String COMMIT_HOOK_STORE = "series-state-commit";
  public static final String ARCHIVES_SINK = "archives-sink";
  public static final String REJECTS_SINK = "rejects-sink";

  private RollupTopology() {}

  /**
   * Builds the topology. Its shape depends on {@code config} alone; the resolver, clock and metrics
   * are what the processors use at run time.
   *
   * @param resolver the layout of a series seen for the first time
   * @param clock "now" for the age of a point, as whisper's {@code update_many(now=...)}
   * @param metrics where the stats go (role {@code aggregator})
   */
  public static Topology build(
      AggregatorConfig config,
      Function<String, SeriesLayout> resolver,
      Clock clock,
      SelfMetrics metrics) {
    return build(config, resolver, () -> CarbonRules.NONE, clock, metrics, RecentPoints.NONE);
  }

  /**
   * Builds the topology with carbon-aggregator's rules in front of the rollup.
   *
   * @param rules the aggregation and rewrite rules in force, asked for each point
   * @param recent where the rollup keeps the points it accepted, for carbonlink
   */
  public static Topology build(
      AggregatorConfig config,
      Function<String, SeriesLayout> resolver,
      Supplier<CarbonRules> rules,
      Clock clock,
      SelfMetrics metrics,
      RecentPoints recent) {
    return build(config, resolver, rules, clock, metrics, recent, partition -> false);
  }

  /**
   * Builds the topology with carbon-aggregator's rules in front of the rollup.
   *
   * @param rules the aggregation and rewrite rules in force, asked for each point
   * @param recent where the rollup keeps the points it accepted, for carbonlink
   * @param pointsFedElsewhere whether the points of this partition of the points topic are put into
   *     {@code recent} by someone else now (the carbonlink feed), so the rollup adds only the
   *     points it makes (aggregates, renamed points)
   */
  public static Topology build(
      AggregatorConfig config,
      Function<String, SeriesLayout> resolver,
      Supplier<CarbonRules> rules,
      Clock clock,
      SelfMetrics metrics,
      RecentPoints recent,
      IntPredicate pointsFedElsewhere) {
    SchemaRegistryClient registry = RegistrySettings.client(config);
    Topic<String, MetricPoint> points = Topics.points(config.pointsTopic(), registry);
    Topic<String, MetricPoint> regrouped = Topics.points(config.rulesTopic(), registry);
    Topic<String, ArchivePoint> archives = Topics.archives(config.archivesTopic(), registry);
    Topic<String, Reject> rejects = Topics.rejects(config.rejectsTopic(), registry);
    RollupMetrics rollupMetrics = new RollupMetrics(metrics);
    AggregateMetrics aggregateMetrics = new AggregateMetrics(metrics);
    long grace = config.graceSeconds();
    boolean newFilesEmpty = config.newSeriesFilesEmpty();
    Duration emitInterval = config.emitInterval();
    int maxLiveSeries = config.seriesCacheMax();
    CommitHook commitHook = new CommitHook(COMMIT_HOOK_STORE);
    CommitHook aggregateHook = new CommitHook(AGGREGATE_COMMIT_HOOK_STORE);

    Topology topology = new Topology();
    topology.addSource(
        POINTS_SOURCE,
        points.keySerde().deserializer(),
        MetricPointReader.of(points.valueSerde()),
        points.name());
    topology.addSource(
        RULES_SOURCE,
        regrouped.keySerde().deserializer(),
        MetricPointReader.of(regrouped.valueSerde()),
        regrouped.name());
    topology.addProcessor(
        ROUTER_PROCESSOR,
        () -> new RuleRouter(rules, config.forwardAll(), aggregateMetrics),
        POINTS_SOURCE);
    topology.addProcessor(
        AGGREGATE_PROCESSOR,
        () ->
            new AggregateProcessor(
                emitInterval, config.latenessIntervals(), aggregateHook, aggregateMetrics),
        RULES_SOURCE);
    topology.addStateStore(AggregateProcessor.storeBuilder(AGGREGATE_STORE), AGGREGATE_PROCESSOR);
    topology.addStateStore(aggregateHook.builder(), AGGREGATE_PROCESSOR);
    topology.addSink(
        RULES_SINK,
        regrouped.name(),
        regrouped.keySerde().serializer(),
        new PointWriter(regrouped.valueSerde().serializer()),
        ROUTER_PROCESSOR);
    topology.addProcessor(
        ROLLUP_PROCESSOR,
        () ->
            new RollupProcessor(
                resolver,
                clock,
                grace,
                newFilesEmpty,
                emitInterval,
                maxLiveSeries,
                commitHook,
                rollupMetrics,
                recent,
                pointsFedElsewhere,
                points.name()),
        ROUTER_PROCESSOR,
        AGGREGATE_PROCESSOR);
    topology.addProcessor(
        REJECTS_PROCESSOR,
        () ->
            new PointRejects(clock, rollupMetrics, points.valueSerde().serializer(), points.name()),
        POINTS_SOURCE,
        RULES_SOURCE,
        ROUTER_PROCESSOR,
        AGGREGATE_PROCESSOR);
    topology.addStateStore(SeriesStore.builder(SERIES_STORE), ROLLUP_PROCESSOR);
    topology.addStateStore(commitHook.builder(), ROLLUP_PROCESSOR);
    topology.addSink(
        ARCHIVES_SINK,
        archives.name(),
        archives.keySerde().serializer(),
        ArchivePointWriter.of(archives.valueSerde().serializer(), archives.name()),
        ROLLUP_PROCESSOR);
    topology.addSink(
        REJECTS_SINK,
        rejects.name(),
        rejects.keySerde().serializer(),
        rejects.valueSerde().serializer(),
        REJECTS_PROCESSOR);
    return topology;
  }

  /** Whether the aggregator takes a decoded point (else it is rejected with a reason). */
  public static boolean accepted(MetricPointReader.Result point) {
    return PointRejects.rejection(point) == null;
  }
}

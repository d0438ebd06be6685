package io.graphitekafka.aggregator.topology;

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
import org.apache.kafka.streams.Topology;

/**
 * The aggregator's topology: points in, archive points and rejects out, with one named,
 * changelogged store of per-series rollup state (and the {@link CommitHook} that persists it in
 * each commit). With {@code schema.registry.url} set, it reads points in either wire format and
 * writes archive points and rejects in Confluent's; otherwise single-object encoding only. Every
 * step is typed by its topic's descriptor: point values are read into {@link
 * MetricPointReader.Result}s, which carry either the point or why it could not be read, so a record
 * that cannot be decoded becomes a reject instead of stopping the application; archive points are
 * written by {@link ArchivePointWriter}, byte for byte as the archives topic's serde writes them.
 */
public final class RollupTopology {

  public static final String POINTS_SOURCE = "points-source";
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
    SchemaRegistryClient registry = RegistrySettings.client(config);
    Topic<String, MetricPoint> points = Topics.points(config.pointsTopic(), registry);
    Topic<String, ArchivePoint> archives = Topics.archives(config.archivesTopic(), registry);
    Topic<String, Reject> rejects = Topics.rejects(config.rejectsTopic(), registry);
    RollupMetrics rollupMetrics = new RollupMetrics(metrics);
    long grace = config.graceSeconds();
    boolean newFilesEmpty = config.newSeriesFilesEmpty();
    Duration emitInterval = config.emitInterval();
    int maxLiveSeries = config.seriesCacheMax();
    CommitHook commitHook = new CommitHook(COMMIT_HOOK_STORE);

    Topology topology = new Topology();
    topology.addSource(
        POINTS_SOURCE,
        points.keySerde().deserializer(),
        MetricPointReader.of(points.valueSerde()),
        points.name());
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
                rollupMetrics),
        POINTS_SOURCE);
    topology.addProcessor(
        REJECTS_PROCESSOR, () -> new PointRejects(clock, rollupMetrics), POINTS_SOURCE);
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
}

package io.graphitekafka.aggregator.topology;

import io.graphitekafka.aggregator.AggregatorConfig;
import io.graphitekafka.aggregator.AggregatorMetrics;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.schemas.storage.StorageRules;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.time.Clock;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The aggregator's topology: points in, archive points and rejects out, with one named state store of
 * per-series rollup state. Point values are read as bytes and decoded in the processor, so a record that
 * cannot be decoded becomes a reject instead of stopping the application.
 */
public final class RollupTopology {

  public static final String POINTS_SOURCE = "points-source";
  public static final String ROLLUP_PROCESSOR = "rollup";
  public static final String SERIES_STORE = "series-state";
  public static final String ARCHIVES_SINK = "archives-sink";
  public static final String REJECTS_SINK = "rejects-sink";

  private RollupTopology() {}

  /** Builds the topology with the storage rules under the configured conf dir and the system clock. */
  public static Topology build(AggregatorConfig config) {
    StorageRules rules = StorageRules.load(config.confDir());
    return build(config, rules::resolve, Clock.systemUTC(), new AggregatorMetrics());
  }

  public static Topology build(
      AggregatorConfig config,
      Function<String, SeriesLayout> resolver,
      Clock clock,
      AggregatorMetrics metrics) {
    Topic<String, ArchivePoint> archives = Topics.archives(config.archivesTopic());
    Topic<String, Reject> rejects = Topics.rejects(config.rejectsTopic());
    StoreBuilder<KeyValueStore<String, byte[]>> store =
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SERIES_STORE), Serdes.String(), Serdes.ByteArray());
    long grace = config.graceSeconds();

    Topology topology = new Topology();
    topology.addSource(POINTS_SOURCE, Serdes.ByteArray().deserializer(),
        Serdes.ByteArray().deserializer(), config.pointsTopic());
    topology.addProcessor(ROLLUP_PROCESSOR,
        () -> new RollupProcessor(resolver, clock, grace, metrics), POINTS_SOURCE);
    topology.addStateStore(store, ROLLUP_PROCESSOR);
    topology.addSink(ARCHIVES_SINK, archives.name(), archives.keySerde().serializer(),
        archives.valueSerde().serializer(), ROLLUP_PROCESSOR);
    topology.addSink(REJECTS_SINK, rejects.name(), rejects.keySerde().serializer(),
        rejects.valueSerde().serializer(), ROLLUP_PROCESSOR);
    return topology;
  }
}

package io.graphitekafka.aggregator.topology;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds {@link SeriesStore}s over a persistent, changelogged key-value store without Kafka Streams' own
 * record cache (the store keeps live objects instead). Compaction is the changelog's cleanup policy, so
 * only the latest state of each series is restored.
 */
final class SeriesStoreBuilder implements StoreBuilder<SeriesStore> {

  private final StoreBuilder<KeyValueStore<String, byte[]>> inner;
  private final int maxCachedSeries;
  private final LongAdder stateBytes;
  private final LongAdder stateSeries;

  SeriesStoreBuilder(String name, int maxCachedSeries, LongAdder stateBytes, LongAdder stateSeries) {
    this.inner = Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
        .withCachingDisabled()
        .withLoggingEnabled(Map.of());
    this.maxCachedSeries = maxCachedSeries;
    this.stateBytes = stateBytes;
    this.stateSeries = stateSeries;
  }

  @Override
  public StoreBuilder<SeriesStore> withCachingEnabled() {
    throw new UnsupportedOperationException("the series store caches live objects itself");
  }

  @Override
  public StoreBuilder<SeriesStore> withCachingDisabled() {
    return this;
  }

  @Override
  public StoreBuilder<SeriesStore> withLoggingEnabled(Map<String, String> config) {
    inner.withLoggingEnabled(config);
    return this;
  }

  @Override
  public StoreBuilder<SeriesStore> withLoggingDisabled() {
    throw new UnsupportedOperationException("the series store must be changelogged for exactly-once");
  }

  @Override
  public SeriesStore build() {
    return new SeriesStore(inner.build(), maxCachedSeries, stateBytes, stateSeries);
  }

  @Override
  public Map<String, String> logConfig() {
    return inner.logConfig();
  }

  @Override
  public boolean loggingEnabled() {
    return inner.loggingEnabled();
  }

  @Override
  public String name() {
    return inner.name();
  }
}

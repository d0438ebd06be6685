package io.graphitekafka.aggregator.topology;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The per-series rollup state of one task: live {@link SeriesState} objects in front of a persistent,
 * changelogged key-value store with Kafka Streams' record cache. Every change is written through to the
 * store as the state's serialized form; the record cache keeps the latest form of each series and Kafka
 * Streams flushes it into RocksDB and the changelog inside every commit, before the transaction commits.
 * So the committed store always matches the committed input offsets and output, a series reaches the
 * changelog at most once per commit (as long as the cache holds the series changed in one commit
 * interval; {@code statestore.cache.max.bytes}), and nothing here depends on when Kafka Streams commits.
 * The live objects only spare decoding the state of a series for each point; they may be dropped at any
 * time, since the store always holds their latest form.
 *
 * <p>Keys are the series names in UTF-8, values {@link SeriesState#toBytes}: the changelog's format is the
 * one a {@code String}-keyed store writes.
 */
final class SeriesStore {

  private final KeyValueStore<Bytes, byte[]> inner;
  private final LongAdder stateBytes;
  private final LongAdder stateSeries;
  private final LinkedHashMap<String, Entry> live;
  /** The entry {@link #get} last returned the state of, which {@link #changed} is usually about. */
  private Entry current;
  private long ownBytes;
  private long ownSeries;

  /** A live state, its key, and the size of its last stored form (0 if never stored). */
  private static final class Entry {
    final SeriesState state;
    final Bytes key;
    int storedSize;

    Entry(SeriesState state, Bytes key, int storedSize) {
      this.state = state;
      this.key = key;
      this.storedSize = storedSize;
    }
  }

  /**
   * @param inner the task's store, as {@link #builder} builds it
   * @param maxLiveSeries live objects kept; the least recently used beyond this are dropped
   * @param stateBytes the instance's serialized state size, which this store adds its own to
   * @param stateSeries the instance's number of series, likewise
   */
  SeriesStore(KeyValueStore<Bytes, byte[]> inner, int maxLiveSeries, LongAdder stateBytes,
      LongAdder stateSeries) {
    this.inner = inner;
    this.stateBytes = stateBytes;
    this.stateSeries = stateSeries;
    this.live = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > maxLiveSeries;
      }
    };
  }

  /**
   * The store behind a {@link SeriesStore}: persistent, changelogged (compacted, so only the latest state
   * of each series is restored) and cached, so the changes of one commit interval reach RocksDB and the
   * changelog once per series, at the commit.
   */
  static StoreBuilder<KeyValueStore<Bytes, byte[]>> builder(String name) {
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
        .withCachingEnabled()
        .withLoggingEnabled(Map.of());
  }

  /** The state of a series, or null if the series has none yet. */
  SeriesState get(String metric) {
    Entry e = live.get(metric);
    if (e == null) {
      Bytes key = Bytes.wrap(metric.getBytes(StandardCharsets.UTF_8));
      byte[] bytes = inner.get(key);
      if (bytes == null) {
        return null;
      }
      e = new Entry(SeriesState.fromBytes(bytes), key, bytes.length);
      live.put(metric, e);
    }
    current = e;
    return e.state;
  }

  /** Adds the state of a new series and stores it. */
  void add(String metric, SeriesState state) {
    Entry e = new Entry(state, Bytes.wrap(metric.getBytes(StandardCharsets.UTF_8)), 0);
    live.put(metric, e);
    ownSeries++;
    stateSeries.increment();
    store(e);
  }

  /** Stores {@code state}, just returned by {@link #get} for {@code metric} and changed since. */
  void changed(String metric, SeriesState state) {
    Entry e = current != null && current.state == state ? current : live.get(metric);
    if (e == null || e.state != state) {
      // Dropped from the live objects since get() (not between a get and its change, as used here).
      e = new Entry(state, Bytes.wrap(metric.getBytes(StandardCharsets.UTF_8)), -1);
      live.put(metric, e);
    }
    store(e);
  }

  private void store(Entry e) {
    byte[] bytes = e.state.toBytes();
    inner.put(e.key, bytes);
    if (e.storedSize >= 0 && bytes.length != e.storedSize) {
      long delta = bytes.length - e.storedSize;
      ownBytes += delta;
      stateBytes.add(delta);
    }
    e.storedSize = bytes.length;
  }

  /**
   * Reads every stored series once, after restoration: counts the state size and returns the series with
   * slots that were written but not yet emitted when the state was last committed.
   */
  Set<String> scan() {
    Set<String> pending = new HashSet<>();
    long bytes = 0;
    long series = 0;
    try (KeyValueIterator<Bytes, byte[]> it = inner.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> kv = it.next();
        series++;
        bytes += kv.value.length;
        if (SeriesState.hasPending(kv.value)) {
          pending.add(new String(kv.key.get(), StandardCharsets.UTF_8));
        }
      }
    }
    stateBytes.add(bytes - ownBytes);
    stateSeries.add(series - ownSeries);
    ownBytes = bytes;
    ownSeries = series;
    return pending;
  }

  int liveSeries() {
    return live.size();
  }

  /** Drops the live objects and takes this task's share out of the instance's gauges. */
  void close() {
    live.clear();
    current = null;
    stateBytes.add(-ownBytes);
    stateSeries.add(-ownSeries);
    ownBytes = 0;
    ownSeries = 0;
  }
}

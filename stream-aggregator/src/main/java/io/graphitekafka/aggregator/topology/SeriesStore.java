package io.graphitekafka.aggregator.topology;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
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
 * The per-series rollup state of one task: live {@link SeriesState} objects in front of a
 * changelogged RocksDB store. A point changes only the object; the changed objects are serialized
 * into the store by {@link #persist}, which a {@link CommitHook} runs inside every commit before
 * the transaction commits, as Kafka Streams flushes its own record cache. The committed store
 * therefore always matches the committed input offsets, while a series is serialized at most once
 * per commit instead of once per point.
 *
 * <p>Keys are the series names in UTF-8, values {@link SeriesState#toBytes}: the changelog's format
 * is the one a {@code String}-keyed store writes.
 */
final class SeriesStore {

  private final KeyValueStore<Bytes, byte[]> inner;
  private final KeyValueStore<Bytes, byte[]> commitHook;
  private final int maxLiveSeries;
  private final LongAdder stateBytes;
  private final LongAdder stateSeries;
  private final LinkedHashMap<String, Entry> live = new LinkedHashMap<>(1024, 0.75f, true);

  /** Entries whose live state changed since the last {@link #persist}, each once. */
  private final List<Entry> unsaved = new ArrayList<>();

  /** The entry {@link #get} last returned the state of, which {@link #changed} is usually about. */
  private Entry current;

  /** Whether the commit hook runs {@link #persist} at the next flush. */
  private boolean armed;

  private long ownBytes;
  private long ownSeries;

  /** A live state, its key, and the size of its last persisted form (0 if never persisted). */
  private static final class Entry {
    final SeriesState state;
    final Bytes key;
    int persistedSize;

    Entry(SeriesState state, Bytes key, int persistedSize) {
      this.state = state;
      this.key = key;
      this.persistedSize = persistedSize;
    }
  }

  /**
   * @param inner the task's store, as {@link #builder} builds it
   * @param commitHook the task's {@link CommitHook} store, whose hook runs {@link #persist}
   * @param maxLiveSeries live objects kept after a persist; the least recently used beyond are
   *     dropped
   * @param stateBytes the instance's serialized state size, which this store adds its own to
   * @param stateSeries the instance's number of series, likewise
   */
  SeriesStore(
      KeyValueStore<Bytes, byte[]> inner,
      KeyValueStore<Bytes, byte[]> commitHook,
      int maxLiveSeries,
      LongAdder stateBytes,
      LongAdder stateSeries) {
    this.inner = inner;
    this.commitHook = commitHook;
    this.maxLiveSeries = maxLiveSeries;
    this.stateBytes = stateBytes;
    this.stateSeries = stateSeries;
  }

  /**
   * The store behind a {@link SeriesStore}: persistent and changelogged (compacted, so only the
   * latest state of each series is restored), without Kafka Streams' record cache: the live objects
   * are the cache.
   */
  static StoreBuilder<KeyValueStore<Bytes, byte[]>> builder(String name) {
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
        .withCachingDisabled()
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

  /** Adds the state of a new series, to be persisted at the next commit. */
  void add(String metric, SeriesState state) {
    Entry e = new Entry(state, Bytes.wrap(metric.getBytes(StandardCharsets.UTF_8)), 0);
    live.put(metric, e);
    ownSeries++;
    stateSeries.increment();
    unsaved(e);
  }

  /**
   * Notes that {@code state}, just returned by {@link #get} for {@code metric}, was changed and
   * must be persisted at the next commit.
   */
  void changed(String metric, SeriesState state) {
    if (!state.unsaved) {
      Entry e = current != null && current.state == state ? current : live.get(metric);
      if (e == null || e.state != state) {
        // Not the live object (callers change only what get() just returned): make it the live one.
        e = new Entry(state, Bytes.wrap(metric.getBytes(StandardCharsets.UTF_8)), 0);
        live.put(metric, e);
      }
      unsaved(e);
    }
  }

  private void unsaved(Entry e) {
    e.state.unsaved = true;
    unsaved.add(e);
    if (!armed) {
      // Armed after the change: with no room in the record cache, the hook runs right here.
      armed = true;
      CommitHook.arm(commitHook);
    }
  }

  /**
   * Serializes every changed state into the changelogged store; run by the commit hook inside the
   * commit (or earlier, see {@link CommitHook#arm}).
   */
  void persist() {
    armed = false;
    for (Entry e : unsaved) {
      if (!e.state.unsaved) {
        continue;
      }
      e.state.unsaved = false;
      byte[] bytes = e.state.toBytes();
      inner.put(e.key, bytes);
      long delta = bytes.length - e.persistedSize;
      ownBytes += delta;
      stateBytes.add(delta);
      e.persistedSize = bytes.length;
    }
    unsaved.clear();
    // Every live state is persisted now, so the least recently used ones can go.
    Iterator<Map.Entry<String, Entry>> it = live.entrySet().iterator();
    while (live.size() > maxLiveSeries && it.hasNext()) {
      Entry e = it.next().getValue();
      it.remove();
      if (e == current) {
        current = null;
      }
    }
  }

  /**
   * Reads every stored series once, after restoration: counts the state size and returns the series
   * with slots that were written but not yet emitted when the state was last committed.
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

  /**
   * Drops the live objects, and with them the changes not persisted (a clean close has persisted
   * them in its last commit; a dirty one restores the last committed state), and takes this task's
   * share out of the instance's gauges.
   */
  void close() {
    live.clear();
    unsaved.clear();
    current = null;
    armed = false;
    stateBytes.add(-ownBytes);
    stateSeries.add(-ownSeries);
    ownBytes = 0;
    ownSeries = 0;
  }
}

package io.graphitekafka.aggregator.topology;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The per-series rollup state of one task: live {@link SeriesState} objects in front of a changelogged
 * RocksDB store. A point changes only the object; the changed objects are serialized into the store when
 * Kafka Streams flushes caches, which it does inside every commit before the transaction is committed,
 * exactly as for its own record cache. The committed store therefore always matches the committed input
 * offsets, while a series is serialized at most once per commit instead of once per point.
 */
final class SeriesStore implements StateStore, CachedStateStore<String, byte[]> {

  private final KeyValueStore<String, byte[]> inner;
  private final int maxCachedSeries;
  private final LongAdder stateBytes;
  private final LongAdder stateSeries;
  private final LinkedHashMap<String, Entry> live = new LinkedHashMap<>(1024, 0.75f, true);
  /** Series whose live state changed since the last flush, each once ({@link SeriesState#unsaved}). */
  private final List<String> unsaved = new ArrayList<>();
  private long ownBytes;
  private long ownSeries;

  /** A live state and the size of its last persisted form (0 if never persisted). */
  private static final class Entry {
    final SeriesState state;
    int persistedSize;

    Entry(SeriesState state, int persistedSize) {
      this.state = state;
      this.persistedSize = persistedSize;
    }
  }

  SeriesStore(
      KeyValueStore<String, byte[]> inner, int maxCachedSeries, LongAdder stateBytes,
      LongAdder stateSeries) {
    this.inner = inner;
    this.maxCachedSeries = maxCachedSeries;
    this.stateBytes = stateBytes;
    this.stateSeries = stateSeries;
  }

  /** The state of a series, or null if the series has none yet. */
  SeriesState get(String metric) {
    Entry e = live.get(metric);
    if (e != null) {
      return e.state;
    }
    byte[] bytes = inner.get(metric);
    if (bytes == null) {
      return null;
    }
    SeriesState state = SeriesState.fromBytes(bytes);
    live.put(metric, new Entry(state, bytes.length));
    return state;
  }

  /** Adds the state of a new series. */
  void add(String metric, SeriesState state) {
    live.put(metric, new Entry(state, 0));
    state.unsaved = true;
    unsaved.add(metric);
    ownSeries++;
    stateSeries.increment();
  }

  /**
   * Notes that {@code state}, just returned by {@link #get} for {@code metric}, was changed and must be
   * persisted at the next commit.
   */
  void changed(String metric, SeriesState state) {
    if (!state.unsaved) {
      state.unsaved = true;
      unsaved.add(metric);
    }
  }

  /**
   * Reads every stored series once, after restoration: counts the state size and returns the series with
   * slots that were written but not yet emitted when the state was last committed.
   */
  Set<String> scan() {
    Set<String> pending = new HashSet<>();
    long bytes = 0;
    long series = 0;
    try (KeyValueIterator<String, byte[]> it = inner.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        series++;
        bytes += kv.value.length;
        if (SeriesState.hasPending(kv.value)) {
          pending.add(kv.key);
        }
      }
    }
    stateBytes.add(bytes - ownBytes);
    stateSeries.add(series - ownSeries);
    ownBytes = bytes;
    ownSeries = series;
    return pending;
  }

  /** Serializes every changed state into the changelogged store; called inside the commit. */
  @Override
  public void flushCache() {
    for (String metric : unsaved) {
      Entry e = live.get(metric);
      if (e == null || !e.state.unsaved) {
        continue;
      }
      e.state.unsaved = false;
      byte[] bytes = e.state.toBytes();
      inner.put(metric, bytes);
      long delta = bytes.length - e.persistedSize;
      ownBytes += delta;
      stateBytes.add(delta);
      e.persistedSize = bytes.length;
    }
    unsaved.clear();
    // Every live state is persisted now, so the least recently used ones can go.
    Iterator<Map.Entry<String, Entry>> it = live.entrySet().iterator();
    while (live.size() > maxCachedSeries && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  /** Drops uncommitted changes, as when a task is closed dirty after an aborted transaction. */
  @Override
  public void clearCache() {
    live.clear();
    unsaved.clear();
  }

  @Override
  public boolean setFlushListener(CacheFlushListener<String, byte[]> listener, boolean sendOldValues) {
    return false;
  }

  int liveSeries() {
    return live.size();
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    clearCache();
    inner.init(context, root);
  }

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    inner.flush();
  }

  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    inner.commit(changelogOffsets);
  }

  @Override
  public Long committedOffset(TopicPartition partition) {
    return inner.committedOffset(partition);
  }

  @Override
  public boolean managesOffsets() {
    return inner.managesOffsets();
  }

  @Override
  public void close() {
    clearCache();
    stateBytes.add(-ownBytes);
    stateSeries.add(-ownSeries);
    ownBytes = 0;
    ownSeries = 0;
    inner.close();
  }

  @Override
  public boolean persistent() {
    return inner.persistent();
  }

  @Override
  public boolean isOpen() {
    return inner.isOpen();
  }

  @Override
  public Position getPosition() {
    return inner.getPosition();
  }
}

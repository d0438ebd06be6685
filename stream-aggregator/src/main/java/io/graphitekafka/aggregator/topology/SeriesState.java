package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.storage.AggregationMethod;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the aggregator remembers about one series: its layout, fixed when the series is first seen, the
 * newest timestamp seen, and the recent slot values of every archive that feeds a coarser one. Only the
 * slots a late point within the grace could still need are kept.
 */
final class SeriesState {

  private static final byte FORMAT_VERSION = 1;

  private final SeriesLayout layout;
  private final List<TreeMap<Long, Double>> slots;
  private long newest;

  SeriesState(SeriesLayout layout) {
    this(layout, Long.MIN_VALUE);
  }

  private SeriesState(SeriesLayout layout, long newest) {
    this.layout = layout;
    this.newest = newest;
    int feeding = layout.archives().size() - 1;
    this.slots = new ArrayList<>(feeding);
    for (int i = 0; i < feeding; i++) {
      slots.add(new TreeMap<>());
    }
  }

  SeriesLayout layout() {
    return layout;
  }

  long newest() {
    return newest;
  }

  void observe(long timestamp) {
    newest = Math.max(newest, timestamp);
  }

  /** The value stored for exactly this interval in archive {@code archive}, or null. */
  Double slot(int archive, long interval) {
    return slots.get(archive).get(interval);
  }

  /**
   * Records a slot write in a feeding archive. A slot of the same ring position from an earlier lap is
   * forgotten, as the file's ring overwrites it (whisper.py {@code __archive_update_many}).
   */
  void putSlot(int archive, long interval, double value) {
    if (archive >= slots.size()) {
      return; // the coarsest archive feeds nothing
    }
    TreeMap<Long, Double> map = slots.get(archive);
    long retention = layout.archives().get(archive).retention();
    if (!map.isEmpty()
        && Math.max(map.lastKey(), interval) - Math.min(map.firstKey(), interval) >= retention) {
      map.keySet().removeIf(t -> t != interval && Math.floorMod(t - interval, retention) == 0);
    }
    map.put(interval, value);
  }

  /**
   * Forgets slots no late point within {@code graceSeconds} of the newest timestamp can need: a slot of
   * archive i is kept while its interval lies in or after the archive-(i+1) interval that holds
   * {@code newest - grace}.
   */
  void trim(long graceSeconds) {
    if (newest == Long.MIN_VALUE) {
      return;
    }
    List<ArchiveSpec> archives = layout.archives();
    for (int i = 0; i < slots.size(); i++) {
      long keepFrom = archives.get(i + 1).interval(newest - graceSeconds);
      slots.get(i).headMap(keepFrom, false).clear();
    }
  }

  int slotCount() {
    int n = 0;
    for (TreeMap<Long, Double> m : slots) {
      n += m.size();
    }
    return n;
  }

  byte[] toBytes() {
    List<ArchiveSpec> archives = layout.archives();
    int size = 1 + 4 + archives.size() * 8 + 1 + 4 + 8;
    for (TreeMap<Long, Double> m : slots) {
      size += 4 + m.size() * 16;
    }
    ByteBuffer buf = ByteBuffer.allocate(size);
    buf.put(FORMAT_VERSION);
    buf.putInt(archives.size());
    for (ArchiveSpec a : archives) {
      buf.putInt(a.secondsPerPoint()).putInt(a.points());
    }
    buf.put((byte) layout.method().code());
    buf.putFloat(layout.xFilesFactor());
    buf.putLong(newest);
    for (TreeMap<Long, Double> m : slots) {
      buf.putInt(m.size());
      for (Map.Entry<Long, Double> e : m.entrySet()) {
        buf.putLong(e.getKey()).putDouble(e.getValue());
      }
    }
    return buf.array();
  }

  static SeriesState fromBytes(byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    byte version = buf.get();
    if (version != FORMAT_VERSION) {
      throw new IllegalStateException("unknown series state format " + version);
    }
    int count = buf.getInt();
    List<ArchiveSpec> archives = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      archives.add(new ArchiveSpec(buf.getInt(), buf.getInt()));
    }
    AggregationMethod method = AggregationMethod.fromCode(buf.get());
    float xff = buf.getFloat();
    SeriesState state = new SeriesState(new SeriesLayout(archives, method, xff), buf.getLong());
    for (TreeMap<Long, Double> m : state.slots) {
      int n = buf.getInt();
      for (int i = 0; i < n; i++) {
        m.put(buf.getLong(), buf.getDouble());
      }
    }
    return state;
  }
}

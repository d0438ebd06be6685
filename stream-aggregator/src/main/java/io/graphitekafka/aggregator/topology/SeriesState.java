package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.storage.AggregationMethod;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What the aggregator remembers about one series: its layout, fixed when the series is first seen, the
 * horizon before which points are no longer accepted, and per archive the slots a point at or after the
 * horizon can read, plus the written slots not emitted yet. It applies points with whisper.py's
 * {@code update_many} semantics for a one-point call.
 */
final class SeriesState {

  /** What became of one point. */
  enum Outcome {
    /** Written, at or after the newest timestamp seen. */
    WRITTEN,
    /** Written, older than the newest timestamp seen but within the grace. */
    LATE,
    /** Older than the layout's maximum retention: whisper drops it too. */
    TOO_OLD,
    /** Before the horizon: the slots it would read are no longer known. */
    BEYOND_GRACE
  }

  static final byte FORMAT_VERSION = 2;
  /** Offset of the flags byte in the serialized form; bit 0 is set while slots await emission. */
  static final int FLAGS_OFFSET = 1;
  static final byte FLAG_PENDING = 1;

  private final SeriesLayout layout;
  private final ArchiveSpec[] archives;
  private final SlotTable[] tables;
  private long newest;
  private long horizon;
  /** The horizon of the last {@link #trim}; trimming again with the same horizon changes nothing. */
  private long trimmedAt = Long.MAX_VALUE;

  // Bookkeeping of the live object for SeriesStore and RollupProcessor, never serialized.
  /** Changed since the store last persisted it. */
  boolean unsaved;
  /** In the processor's list of series to emit. */
  boolean queued;
  /** The series name in UTF-8 and the Avro binary of the layout, once the series has been emitted. */
  byte[] metricUtf8;
  byte[] layoutAvro;

  SeriesState(SeriesLayout layout) {
    this(layout, Long.MIN_VALUE, Long.MIN_VALUE, null);
  }

  private SeriesState(SeriesLayout layout, long newest, long horizon, SlotTable[] tables) {
    this.layout = layout;
    this.archives = layout.archives().toArray(new ArchiveSpec[0]);
    this.newest = newest;
    this.horizon = horizon;
    if (tables == null) {
      tables = new SlotTable[archives.length];
      for (int i = 0; i < tables.length; i++) {
        tables[i] = new SlotTable();
      }
    }
    this.tables = tables;
  }

  SeriesLayout layout() {
    return layout;
  }

  long newest() {
    return newest;
  }

  /** Points before this timestamp are dropped as beyond the grace. */
  long horizon() {
    return horizon;
  }

  SlotTable table(int archive) {
    return tables[archive];
  }

  boolean hasPending() {
    for (SlotTable t : tables) {
      if (t.dirtyCount() > 0) {
        return true;
      }
    }
    return false;
  }

  int slotCount() {
    int n = 0;
    for (SlotTable t : tables) {
      n += t.size();
    }
    return n;
  }

  /**
   * Applies one point at {@code now} (whisper.py {@code update_many([(timestamp, value)], now)}): the
   * point goes into the first archive whose retention covers its age (a future point into archive 0) and
   * is propagated down while each coarser slot passes the xFilesFactor ({@code __propagate}).
   *
   * @param scratch room for the known values of one coarser slot; a larger array is made if too small
   */
  Outcome apply(long timestamp, double value, long now, long graceSeconds, double[] scratch) {
    long age = now - timestamp;
    int target = 0;
    // file_update_many: advance while the archive's retention is below the age; age == retention stays.
    while (target < archives.length && archives[target].retention() < age) {
      target++;
    }
    if (target == archives.length) {
      return Outcome.TOO_OLD;
    }
    if (timestamp < horizon) {
      return Outcome.BEYOND_GRACE;
    }
    Outcome outcome = timestamp < newest ? Outcome.LATE : Outcome.WRITTEN;
    newest = Math.max(newest, timestamp);
    horizon = Math.max(horizon, Math.min(timestamp, now) - graceSeconds);

    ArchiveSpec written = archives[target];
    tables[target].put(written.interval(timestamp), value, written.retention());
    double[] known = scratch;
    for (int lower = target + 1; lower < archives.length; lower++) {
      ArchiveSpec higher = archives[lower - 1];
      ArchiveSpec spec = archives[lower];
      long start = spec.interval(timestamp);
      int slots = spec.secondsPerPoint() / higher.secondsPerPoint();
      if (known.length < slots) {
        known = new double[slots];
      }
      int count = collectKnown(tables[lower - 1], start, higher.secondsPerPoint(), slots, known);
      // __propagate compares a double ratio with the float32 xFilesFactor widened to double.
      if (count == 0 || (double) count / slots < (double) layout.xFilesFactor()) {
        break;
      }
      tables[lower].put(start, layout.method().aggregate(known, count, slots), spec.retention());
    }
    // Only a new horizon lets more slots go: a put adds dirty slots, which trimming keeps anyway.
    if (horizon != trimmedAt) {
      trim();
    }
    return outcome;
  }

  /** The known values among {@code slots} consecutive intervals from {@code start}, in time order. */
  private static int collectKnown(SlotTable table, long start, long step, int slots, double[] known) {
    int count = 0;
    int i = table.lowerBoundFromEnd(start);
    long end = start + step * slots;
    for (; i < table.size() && table.intervalAt(i) < end; i++) {
      // Every kept interval is aligned to the archive's step, so those in range are exactly the slots.
      known[count++] = table.valueAt(i);
    }
    return count;
  }

  /**
   * Forgets the slots no accepted point can read any more: a point at or after the horizon reads archive
   * i only from the archive-(i+1) interval holding it, and nothing reads the coarsest archive.
   */
  void trim() {
    trimmedAt = horizon;
    int last = archives.length - 1;
    for (int i = 0; i < last; i++) {
      long keepFrom = horizon == Long.MIN_VALUE ? Long.MIN_VALUE : archives[i + 1].interval(horizon);
      tables[i].trimCleanBefore(keepFrom);
    }
    tables[last].trimCleanBefore(Long.MAX_VALUE);
  }

  byte[] toBytes() {
    int size = 1 + 1 + 8 + 8 + 1 + archives.length * 8 + 1 + 4;
    for (SlotTable t : tables) {
      size += t.serializedSize();
    }
    ByteBuffer buf = ByteBuffer.allocate(size);
    buf.put(FORMAT_VERSION);
    buf.put(hasPending() ? FLAG_PENDING : 0);
    buf.putLong(newest);
    buf.putLong(horizon);
    buf.put((byte) archives.length);
    for (ArchiveSpec a : archives) {
      buf.putInt(a.secondsPerPoint()).putInt(a.points());
    }
    buf.put((byte) layout.method().code());
    buf.putFloat(layout.xFilesFactor());
    for (SlotTable t : tables) {
      t.writeTo(buf);
    }
    return buf.array();
  }

  /** Whether serialized state has slots waiting to be emitted, without decoding it. */
  static boolean hasPending(byte[] bytes) {
    return (bytes[FLAGS_OFFSET] & FLAG_PENDING) != 0;
  }

  static SeriesState fromBytes(byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    byte version = buf.get();
    if (version != FORMAT_VERSION) {
      throw new IllegalStateException("unknown series state format " + version);
    }
    buf.get();
    long newest = buf.getLong();
    long horizon = buf.getLong();
    int count = buf.get();
    List<ArchiveSpec> archives = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      archives.add(new ArchiveSpec(buf.getInt(), buf.getInt()));
    }
    AggregationMethod method = AggregationMethod.fromCode(buf.get());
    float xff = buf.getFloat();
    SlotTable[] tables = new SlotTable[count];
    for (int i = 0; i < count; i++) {
      tables[i] = SlotTable.readFrom(buf);
    }
    return new SeriesState(new SeriesLayout(archives, method, xff), newest, horizon, tables);
  }
}

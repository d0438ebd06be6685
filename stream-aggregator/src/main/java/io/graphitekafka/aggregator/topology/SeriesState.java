package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the aggregator remembers about one series: its layout, fixed when the series is first seen,
 * and per archive the slots it knows the file to hold, plus the written slots not emitted yet. It
 * applies points with whisper.py's {@code update_many} semantics for a one-point call.
 *
 * <p>Per archive, the state knows the file from {@link #knownFrom(int)} on: there, a slot the table
 * holds is what the file holds, and a slot it does not hold is empty to whisper (its timestamp does
 * not match). A point is applied here only if every finer slot its propagation reads is known;
 * otherwise it is {@link Outcome#RAW}: the caller emits the pending slots, sends the point to the
 * sink, which applies it with whisper's own propagation against the file, and calls {@link
 * #sentRaw}. Knowledge ends at the horizon (the grace behind the newest point: older slots are
 * trimmed), at a raw point's coarser slots (whose values the file decides), and, for a new series,
 * before the end of the coarse intervals holding the moment it was first seen (the file may hold
 * any point up to then, written by carbon-cache, an import or an earlier run).
 */
final class SeriesState {

  /** What became of one point. */
  enum Outcome {
    /** Applied here: its slots are dirty and will be emitted. */
    WRITTEN,
    /** Older than the layout's maximum retention: whisper drops it too. */
    TOO_OLD,
    /** Reads slots this state does not know: to be sent to the sink as a raw point. */
    RAW
  }

  static final byte FORMAT_VERSION = 3;
  private static final byte FORMAT_V2 = 2;

  /** Offset of the flags byte in the serialized form; bit 0 is set while slots await emission. */
  static final int FLAGS_OFFSET = 1;

  static final byte FLAG_PENDING = 1;

  /** {@link #firstWrite} of an archive that may still be empty in the file. */
  static final long MAY_BE_EMPTY = -1;

  /** {@link #firstWrite} of an archive written before. */
  static final long WRITTEN_BEFORE = -2;

  private final SeriesLayout layout;
  private final ArchiveSpec[] archives;
  private final SlotTable[] tables;

  /** Per archive, the first interval from which the table mirrors the file. */
  private final long[] knownFrom;

  /**
   * Per archive, the interval of the first write made here into an archive that may have been
   * empty, not emitted yet: emitted first, it sets the archive's base where whisper's first write
   * would, so the files are equal byte for byte. Else {@link #MAY_BE_EMPTY} or {@link
   * #WRITTEN_BEFORE}.
   */
  private final long[] firstWrite;

  private long newest;
  private long horizon;

  /**
   * The horizon of the last {@link #trim}; trimming again with the same horizon changes nothing.
   */
  private long trimmedAt = Long.MAX_VALUE;

  /** The archive whisper writes the last {@link Outcome#RAW} point into. */
  private int rawTarget;

  // Bookkeeping of the live object for SeriesStore and RollupProcessor, never serialized.
  /** Changed since the store last persisted it. */
  boolean unsaved;

  /** In the processor's list of series to emit. */
  boolean queued;

  /** The layout's Avro form, once the series has been emitted. */
  ArchiveLayout layoutAvro;

  /**
   * A series seen for the first time, at {@code now}. If its file may exist, it may hold any slot
   * up to that moment (written by carbon-cache, an import, or an earlier run before a
   * reprocessing), so each archive is known only from the end of the coarser interval holding
   * {@code now}; if it has no file, every slot is known to be empty.
   */
  static SeriesState first(SeriesLayout layout, long now, boolean fileEmpty) {
    ArchiveSpec[] archives = layout.archives().toArray(new ArchiveSpec[0]);
    long[] knownFrom = new long[archives.length];
    for (int i = 0; i < archives.length - 1; i++) {
      ArchiveSpec coarser = archives[i + 1];
      knownFrom[i] = fileEmpty ? Long.MIN_VALUE : coarser.interval(now) + coarser.secondsPerPoint();
    }
    knownFrom[archives.length - 1] = Long.MAX_VALUE;
    long[] firstWrite = new long[archives.length];
    Arrays.fill(firstWrite, MAY_BE_EMPTY);
    return new SeriesState(layout, Long.MIN_VALUE, Long.MIN_VALUE, null, knownFrom, firstWrite);
  }

  private SeriesState(
      SeriesLayout layout,
      long newest,
      long horizon,
      SlotTable[] tables,
      long[] knownFrom,
      long[] firstWrite) {
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
    this.knownFrom = knownFrom;
    this.firstWrite = firstWrite;
  }

  SeriesLayout layout() {
    return layout;
  }

  long newest() {
    return newest;
  }

  /** The grace behind the newest point: slots older than its coarser interval are forgotten. */
  long horizon() {
    return horizon;
  }

  /** From this interval on, archive {@code archive}'s table mirrors the file. */
  long knownFrom(int archive) {
    return knownFrom[archive];
  }

  /**
   * The interval to emit first in {@code archive}, or a negative marker (see {@link #firstWrite}).
   */
  long firstWrite(int archive) {
    return firstWrite[archive];
  }

  /** Marks the archive's first write as emitted. */
  void firstWriteEmitted(int archive) {
    if (firstWrite[archive] >= 0) {
      firstWrite[archive] = WRITTEN_BEFORE;
    }
  }

  /** The archive whisper writes the last raw point into. */
  int rawTarget() {
    return rawTarget;
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
   * Applies one point at {@code now} (whisper.py {@code update_many([(timestamp, value)], now)}):
   * the point goes into the first archive whose retention covers its age (a future point into
   * archive 0) and is propagated down while each coarser slot passes the xFilesFactor ({@code
   * __propagate}). If the propagation would read a slot this state does not know, nothing is
   * applied and the outcome is {@link Outcome#RAW}.
   *
   * @param scratch room for the known values of one coarser slot; a larger array is made if too
   *     small
   */
  Outcome apply(long timestamp, double value, long now, long graceSeconds, double[] scratch) {
    long age = now - timestamp;
    int target = 0;
    // file_update_many: advance while the archive's retention is below the age; age == retention
    // stays.
    while (target < archives.length && archives[target].retention() < age) {
      target++;
    }
    if (target == archives.length) {
      return Outcome.TOO_OLD;
    }
    newest = Math.max(newest, timestamp);
    horizon = Math.max(horizon, Math.min(timestamp, now) - graceSeconds);
    if (!readsKnown(timestamp, target)) {
      rawTarget = target;
      return Outcome.RAW;
    }

    ArchiveSpec written = archives[target];
    put(target, written.interval(timestamp), value);
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
      put(lower, start, layout.method().aggregate(known, count, slots));
    }
    // Only a new horizon lets more slots go: a put adds dirty slots, which trimming keeps anyway.
    if (horizon != trimmedAt) {
      trim();
    }
    return Outcome.WRITTEN;
  }

  /** Whether every finer slot the propagation of a point at {@code timestamp} reads is known. */
  private boolean readsKnown(long timestamp, int target) {
    for (int lower = target + 1; lower < archives.length; lower++) {
      if (archives[lower].interval(timestamp) < knownFrom[lower - 1]) {
        return false;
      }
    }
    return true;
  }

  private void put(int archive, long interval, double value) {
    long retention = archives[archive].retention();
    tables[archive].put(interval, value, retention);
    long first = firstWrite[archive];
    if (first == MAY_BE_EMPTY || (first >= 0 && Math.floorMod(interval - first, retention) == 0)) {
      // The first write, or a write over it at its ring position: the slot to emit first, since
      // whisper's base is the first write's interval and positions count from it modulo the ring.
      firstWrite[archive] = interval;
    }
  }

  /**
   * Records that the last {@link Outcome#RAW} point went to the sink, after every pending slot was
   * emitted: its own slot holds its value now; the coarser slots it may have changed, and the slots
   * of earlier or later laps at their ring positions, are no longer known.
   */
  void sentRaw(long timestamp, double value) {
    int target = rawTarget;
    ArchiveSpec spec = archives[target];
    long written = spec.interval(timestamp);
    if (written >= knownFrom[target]) {
      tables[target].putClean(written, value, spec.retention());
    } else {
      // not worth remembering; the slots of other laps at its position are gone from the file
      tables[target].forget(written, spec.retention());
    }
    firstWrite[target] = WRITTEN_BEFORE;
    for (int lower = target + 1; lower < archives.length; lower++) {
      spec = archives[lower];
      long interval = spec.interval(timestamp);
      long last = tables[lower].forget(interval, spec.retention());
      if (last >= knownFrom[lower]) {
        knownFrom[lower] = last + spec.secondsPerPoint();
      }
    }
    if (horizon != trimmedAt) {
      trim();
    }
  }

  /**
   * The known values among {@code slots} consecutive intervals from {@code start}, in time order.
   */
  private static int collectKnown(
      SlotTable table, long start, long step, int slots, double[] known) {
    int count = 0;
    int i = table.lowerBoundFromEnd(start);
    long end = start + step * slots;
    for (; i < table.size() && table.intervalAt(i) < end; i++) {
      // Every kept interval is aligned to the archive's step, so those in range are exactly the
      // slots.
      known[count++] = table.valueAt(i);
    }
    return count;
  }

  /**
   * Forgets the slots before the horizon's coarser interval (a point at or after the horizon reads
   * archive i only from the archive-(i+1) interval holding it) and every clean slot of the coarsest
   * archive, which nothing reads.
   */
  void trim() {
    trimmedAt = horizon;
    int last = archives.length - 1;
    for (int i = 0; i < last; i++) {
      long keepFrom =
          horizon == Long.MIN_VALUE ? Long.MIN_VALUE : archives[i + 1].interval(horizon);
      tables[i].trimCleanBefore(keepFrom);
      knownFrom[i] = Math.max(knownFrom[i], keepFrom);
    }
    tables[last].trimCleanBefore(Long.MAX_VALUE);
  }

  byte[] toBytes() {
    int size = 1 + 1 + 8 + 8 + 1 + archives.length * 8 + 1 + 4 + archives.length * 16;
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
    for (int i = 0; i < archives.length; i++) {
      buf.putLong(knownFrom[i]).putLong(firstWrite[i]);
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
    if (version != FORMAT_VERSION && version != FORMAT_V2) {
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
    long[] knownFrom = new long[count];
    long[] firstWrite = new long[count];
    if (version == FORMAT_VERSION) {
      for (int i = 0; i < count; i++) {
        knownFrom[i] = buf.getLong();
        firstWrite[i] = buf.getLong();
      }
    } else {
      // Version 2 knew every slot from the horizon's coarser interval on (its tables were trimmed
      // so).
      for (int i = 0; i < count - 1; i++) {
        knownFrom[i] =
            horizon == Long.MIN_VALUE ? Long.MIN_VALUE : archives.get(i + 1).interval(horizon);
      }
      knownFrom[count - 1] = Long.MAX_VALUE;
      Arrays.fill(firstWrite, WRITTEN_BEFORE);
    }
    return new SeriesState(
        new SeriesLayout(archives, method, xff), newest, horizon, tables, knownFrom, firstWrite);
  }
}

package io.graphitekafka.aggregator.topology;

import io.graphitekafka.aggregator.carbonlink.RecentPoints;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.ArchivePointWriter;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.serde.MetricPointReader;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntPredicate;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies each point to its series' state as whisper.py's {@code update_many} would apply it to a
 * file, and every emit interval sends each slot written since the last emission once, with its
 * latest value. A point whose rollup reads slots the state does not know goes to the sink as a raw
 * point, right after the series' pending slots (see {@link SeriesState}). Values that are not valid
 * points are left to {@link PointRejects}.
 *
 * <p>Archive points are forwarded as one reused {@link ArchivePoint}, set anew for each: the
 * archives sink serializes each as it is forwarded ({@link ArchivePointWriter}), and the layout
 * objects are one per distinct layout, so the writer finds their bytes by identity.
 */
final class RollupProcessor
    implements Processor<String, MetricPointReader.Result, String, ArchivePoint> {

  private static final Logger log = LoggerFactory.getLogger(RollupProcessor.class);

  private final Function<String, SeriesLayout> resolver;
  private final Clock clock;
  private final long graceSeconds;

  /** Whether a series new to this state has no file yet (see AggregatorConfig). */
  private final boolean newFilesEmpty;

  private final Duration emitInterval;
  private final int maxLiveSeries;
  private final CommitHook commitHook;
  private final RollupMetrics metrics;

  /**
   * Series with slots to emit, in the order they were first written, each once ({@link
   * SeriesState#queued}); a series whose live object was replaced may appear twice, and its second
   * turn finds nothing to send.
   */
  private final List<String> pending = new ArrayList<>();

  private final double[] scratch = new double[64];

  /** The Avro form of each layout, one object per distinct layout. */
  private final Map<SeriesLayout, ArchiveLayout> layouts = new HashMap<>();

  /** What graphite-web's carbonlink queries see before the files do. */
  private final RecentPoints recent;

  /**
   * Whether the carbonlink feed puts a points topic partition's points into {@link #recent} now.
   */
  private final IntPredicate pointsFedElsewhere;

  private final String pointsTopic;

  private final ArchivePoint out = new ArchivePoint();

  private ProcessorContext<String, ArchivePoint> context;
  private SeriesStore store;
  private Runnable persist;

  RollupProcessor(
      Function<String, SeriesLayout> resolver,
      Clock clock,
      long graceSeconds,
      boolean newFilesEmpty,
      Duration emitInterval,
      int maxLiveSeries,
      CommitHook commitHook,
      RollupMetrics metrics,
      RecentPoints recent,
      IntPredicate pointsFedElsewhere,
      String pointsTopic) {
    this.resolver = resolver;
    this.recent = recent;
    this.pointsFedElsewhere = pointsFedElsewhere;
    this.pointsTopic = pointsTopic;
    this.clock = clock;
    this.graceSeconds = graceSeconds;
    this.newFilesEmpty = newFilesEmpty;
    this.emitInterval = emitInterval;
    this.maxLiveSeries = maxLiveSeries;
    this.commitHook = commitHook;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, ArchivePoint> context) {
    this.context = context;
    close();
    this.store =
        new SeriesStore(
            context.getStateStore(RollupTopology.SERIES_STORE),
            context.getStateStore(RollupTopology.COMMIT_HOOK_STORE),
            maxLiveSeries,
            metrics.stateBytes,
            metrics.stateSeries);
    this.persist = store::persist;
    commitHook.register(context.taskId(), persist);
    pending.clear();
    // Slots written before the last commit but not emitted by it: emit them with the next batch.
    pending.addAll(store.scan());
    context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, this::emitPending);
  }

  @Override
  public void process(Record<String, MetricPointReader.Result> record) {
    MetricPointReader.Result point = record.value();
    if (point.failure() instanceof RegistryUnavailableException e) {
      // Not the record's fault: fail the task, which is retried from the last commit (see
      // Aggregator).
      throw e;
    }
    if (PointRejects.rejection(point) != null) {
      return;
    }
    String metric = point.metric();
    long timestamp = point.timestamp();
    double value = point.value();
    metrics.received.increment();

    long now = Math.floorDiv(clock.millis(), 1000L);
    SeriesState state = store.get(metric);
    boolean created = state == null;
    if (created) {
      state = SeriesState.first(resolver.apply(metric), now, newFilesEmpty);
    }
    boolean late = !created && timestamp < state.newest();
    SeriesState.Outcome outcome = state.apply(timestamp, value, now, graceSeconds, scratch);
    if (outcome == SeriesState.Outcome.TOO_OLD) {
      metrics.tooOld.increment();
      log.trace(
          "dropped {} at {}: older than the maximum retention at now={}", metric, timestamp, now);
      return;
    }
    int partition = pointsPartition();
    if (partition < 0 || !pointsFedElsewhere.test(partition)) {
      recent.add(metric, timestamp, value);
    }
    if (late) {
      metrics.late.increment();
    }
    if (outcome == SeriesState.Outcome.RAW) {
      // The sink applies it against the file after every slot written before it (same partition, in
      // order). The record's time is when it is sent, as for emitted slots: replays seek by it.
      long sentAt = context.currentSystemTimeMs();
      emit(metric, state, sentAt);
      forward(metric, state, ArchivePointWriter.RAW_ARCHIVE, timestamp, value, now, sentAt);
      metrics.rawSent.increment();
      state.sentRaw(timestamp, value);
    } else if (!state.queued) {
      state.queued = true;
      pending.add(metric);
    }
    if (created) {
      store.add(metric, state);
      metrics.seriesCreated.increment();
    } else {
      store.changed(metric, state);
    }
  }

  @Override
  public void close() {
    if (store != null) {
      commitHook.unregister(context.taskId(), persist);
      store.close();
      store = null;
    }
  }

  /** Sends every slot written since the last emission, once, with its latest value. */
  private void emitPending(long wallClockMillis) {
    for (String metric : pending) {
      SeriesState state = store.get(metric);
      if (state == null) {
        continue;
      }
      state.queued = false;
      if (!state.hasPending()) {
        continue;
      }
      emit(metric, state, wallClockMillis);
      state.trim();
      store.changed(metric, state);
    }
    pending.clear();
  }

  /**
   * Sends the series' slots written since its last emission. In each archive the first write into
   * an archive that may be empty goes first, so the file's base is the slot whisper would have
   * written first.
   */
  private void emit(String metric, SeriesState state, long timestamp) {
    int archives = state.layout().archives().size();
    for (int a = 0; a < archives; a++) {
      SlotTable table = state.table(a);
      if (table.dirtyCount() == 0) {
        continue;
      }
      long first = state.firstWrite(a);
      int firstIndex = -1;
      if (first >= 0) {
        firstIndex = table.lowerBound(first);
        if (firstIndex == table.size()
            || table.intervalAt(firstIndex) != first
            || !table.dirtyAt(firstIndex)) {
          firstIndex = -1;
        } else {
          send(metric, state, a, table, firstIndex, timestamp);
        }
        state.firstWriteEmitted(a);
      }
      for (int i = 0; i < table.size(); i++) {
        if (i != firstIndex && table.dirtyAt(i)) {
          send(metric, state, a, table, i, timestamp);
        }
      }
      table.markClean();
    }
  }

  private void send(
      String metric, SeriesState state, int archive, SlotTable table, int i, long timestamp) {
    forward(metric, state, archive, table.intervalAt(i), table.valueAt(i), null, timestamp);
    metrics.sent.increment();
  }

  /** Forwards one archive point: a slot ({@code now} null) or a raw point. */
  private void forward(
      String metric,
      SeriesState state,
      int archive,
      long timestamp,
      double value,
      Long now,
      long recordTime) {
    if (state.layoutAvro == null) {
      state.layoutAvro = layouts.computeIfAbsent(state.layout(), Layouts::toAvro);
    }
    out.setMetric(metric);
    out.setArchive(archive);
    out.setTimestamp(timestamp);
    out.setValue(value);
    out.setLayout(state.layoutAvro);
    out.setNow(now);
    context.forward(new Record<>(metric, out, recordTime), RollupTopology.ARCHIVES_SINK);
  }

  /**
   * The points topic partition of the record being processed (a point under its own name), or -1
   * for a point this aggregator made or renamed.
   */
  private int pointsPartition() {
    return context
        .recordMetadata()
        .filter(m -> pointsTopic.equals(m.topic()))
        .map(m -> m.partition())
        .orElse(-1);
  }
}

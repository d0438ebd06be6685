package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.rules.RuleMethod;
import io.graphitekafka.schemas.serde.MetricPointReader.Result;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * carbon-aggregator's buffers, in event time and exactly once. Reads the rules topic: an aggregate
 * input goes into its output's {@link AggregateBuffer}; a renamed series passes on to the rollup.
 * Every emit interval each interval that got values since it was last sent goes to the rollup as
 * one point, (output, interval start, method over every value the interval got), whatever order
 * they came in, so a late value re-sends the corrected aggregate.
 *
 * <p>The task's buffers are live objects, loaded from a changelogged store when the task starts;
 * the changed ones are written to the store once per commit, inside it, by a {@link CommitHook} (as
 * the rollup's state is), so the store, the sent marks and the emitted points commit in one
 * transaction with the input offsets: a crash or a rebalance neither loses nor double counts a
 * value, and a point costs no serialization of its buffer.
 *
 * <p>An output keeps an interval while it is within {@code latenessIntervals} of its newest
 * (carbon's {@code MAX_AGGREGATION_INTERVALS}) or still gets values (see {@link AggregateBuffer});
 * a value for an interval already dropped is rejected as {@value #TOO_LATE}, where carbon would
 * overwrite the stored aggregate with one of the late values alone.
 */
final class AggregateProcessor implements Processor<String, Result, String, Result> {

  static final String TOO_LATE = "aggregate_too_late";

  private static final Logger log = LoggerFactory.getLogger(AggregateProcessor.class);

  /** How often every buffer is checked for intervals to drop, those of idle outputs included. */
  static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

  private final Duration emitInterval;
  private final int latenessIntervals;
  private final CommitHook commitHook;
  private final AggregateMetrics metrics;

  /** Every buffer of the task, by output, and the size of its last stored form. */
  private final Map<String, Live> buffers = new HashMap<>();

  /** Outputs with an interval not sent since it changed, in the order they changed. */
  private final Set<String> unsent = new LinkedHashSet<>();

  /** Outputs whose buffer changed since the last {@link #persist}. */
  private final Set<String> unsaved = new LinkedHashSet<>();

  private ProcessorContext<String, Result> context;
  private KeyValueStore<String, byte[]> store;
  private KeyValueStore<Bytes, byte[]> hookStore;
  private Runnable persist;
  private boolean armed;
  private long ownBuffered;
  private long ownBytes;

  /** A live buffer and the size of its stored form (0 if not stored). */
  private static final class Live {
    AggregateBuffer buffer;
    int storedSize;

    Live(AggregateBuffer buffer, int storedSize) {
      this.buffer = buffer;
      this.storedSize = storedSize;
    }
  }

  AggregateProcessor(
      Duration emitInterval,
      int latenessIntervals,
      CommitHook commitHook,
      AggregateMetrics metrics) {
    this.emitInterval = emitInterval;
    this.latenessIntervals = latenessIntervals;
    this.commitHook = commitHook;
    this.metrics = metrics;
  }

  /**
   * The store of the buffers: output name to {@link AggregateBuffer#toBytes}, written at commits.
   */
  static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder(String name) {
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
        .withCachingDisabled()
        .withLoggingEnabled(Map.of());
  }

  @Override
  public void init(ProcessorContext<String, Result> context) {
    close();
    this.context = context;
    this.store = context.getStateStore(RollupTopology.AGGREGATE_STORE);
    this.hookStore = context.getStateStore(RollupTopology.AGGREGATE_COMMIT_HOOK_STORE);
    this.persist = this::persist;
    commitHook.register(context.taskId(), persist);
    try (KeyValueIterator<String, byte[]> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<String, byte[]> entry = all.next();
        AggregateBuffer buffer = decode(entry.key, entry.value);
        if (buffer != null) {
          buffers.put(entry.key, new Live(buffer, entry.value.length));
          count(1, buffer.bufferedValues(), entry.value.length);
          if (buffer.anyDirty()) {
            unsent.add(entry.key);
          }
        }
      }
    }
    context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, this::emit);
    context.schedule(SWEEP_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::sweep);
  }

  @Override
  public void process(Record<String, Result> record) {
    Result point = record.value();
    if (PointRejects.rejection(point) != null) {
      // rejected by the rejects processor; the rollup fails on a registry outage
      context.forward(record, RollupTopology.ROLLUP_PROCESSOR);
      return;
    }
    RuleMethod method;
    int frequency;
    try {
      method = AggregateHeaders.method(record.headers());
      frequency = method == null ? 0 : AggregateHeaders.frequency(record.headers());
    } catch (IllegalArgumentException e) {
      reject(record, "bad_aggregate_header", e.getMessage());
      return;
    }
    if (method == null) {
      context.forward(
          new Record<>(record.key(), point, record.timestamp()), RollupTopology.ROLLUP_PROCESSOR);
      return;
    }
    String output = point.metric();
    Live live = buffers.get(output);
    if (live != null && (live.buffer.frequency != frequency || live.buffer.method != method)) {
      // carbon starts every buffer afresh when its rules change; send what this one has first
      send(output, live.buffer, context.currentSystemTimeMs());
      count(0, -live.buffer.bufferedValues(), 0);
      live.buffer = new AggregateBuffer(frequency, method);
      metrics.reset.increment();
    }
    if (live == null) {
      live = new Live(new AggregateBuffer(frequency, method), 0);
      buffers.put(output, live);
      count(1, 0, 0);
    }
    AggregateBuffer buffer = live.buffer;
    long interval = buffer.intervalOf(point.timestamp());
    if (buffer.tooLate(interval)) {
      rejectTooLate(record, point, output, frequency);
      return;
    }
    buffer.add(interval, point.value(), context.currentSystemTimeMs());
    count(0, 1, 0);
    changed(output);
    unsent.add(output);
  }

  private void rejectTooLate(Record<String, Result> record, Result point, String output, int f) {
    // the reject holds the input point, so a replay feeds the rules again
    String input = AggregateHeaders.text(record.headers(), AggregateHeaders.INPUT);
    Result original =
        new Result(input == null ? output : input, point.timestamp(), point.value(), null, null);
    reject(
        record.withValue(original),
        TOO_LATE,
        "point at "
            + point.timestamp()
            + " for "
            + output
            + " comes after its interval was dropped: more than "
            + latenessIntervals
            + " intervals of "
            + f
            + " s behind the newest, and idle as long (from "
            + original.metric()
            + ")");
  }

  /** Sends every interval that changed since it was last sent, and expires the old ones. */
  private void emit(long wallClockMillis) {
    for (String output : unsent) {
      Live live = buffers.get(output);
      if (live != null) {
        send(output, live.buffer, wallClockMillis);
        count(0, -live.buffer.expire(latenessIntervals, wallClockMillis), 0);
        changed(output);
      }
    }
    unsent.clear();
  }

  /** Drops the expired intervals of every buffer, also of outputs that get no more input. */
  private void sweep(long wallClockMillis) {
    for (Map.Entry<String, Live> e : buffers.entrySet()) {
      long dropped = e.getValue().buffer.expire(latenessIntervals, wallClockMillis);
      if (dropped > 0) {
        count(0, -dropped, 0);
        changed(e.getKey());
      }
    }
  }

  private void send(String output, AggregateBuffer buffer, long recordTime) {
    for (int i = 0; i < buffer.size(); i++) {
      if (buffer.dirtyAt(i)) {
        Result aggregate =
            new Result(output, buffer.intervalAt(i), buffer.aggregate(i), null, null);
        context.forward(
            new Record<>(output, aggregate, recordTime), RollupTopology.ROLLUP_PROCESSOR);
        buffer.markSent(i);
        metrics.sent.increment();
      }
    }
  }

  /** Marks a buffer for the next {@link #persist}, arming the commit hook on the first change. */
  private void changed(String output) {
    unsaved.add(output);
    if (!armed) {
      armed = true;
      CommitHook.arm(hookStore);
    }
  }

  /** Writes the changed buffers into the store; run by the commit hook inside each commit. */
  private void persist() {
    armed = false;
    for (String output : unsaved) {
      Live live = buffers.get(output);
      byte[] bytes = live.buffer.toBytes();
      store.put(output, bytes);
      count(0, 0, bytes.length - live.storedSize);
      live.storedSize = bytes.length;
    }
    unsaved.clear();
  }

  /** The stored buffer, or null (logged and counted) if it cannot be read. */
  private AggregateBuffer decode(String output, byte[] stored) {
    try {
      return AggregateBuffer.fromBytes(stored);
    } catch (IllegalArgumentException e) {
      log.error(
          "the aggregate buffer of {} cannot be read and starts afresh: {}",
          output,
          e.getMessage());
      metrics.reset.increment();
      return null;
    }
  }

  private void reject(Record<String, Result> record, String reason, String detail) {
    context.forward(
        AggregateHeaders.rejected(record, reason, detail), RollupTopology.REJECTS_PROCESSOR);
  }

  private void count(long newBuffers, long values, long bytes) {
    ownBuffered += values;
    ownBytes += bytes;
    metrics.buffers.add(newBuffers);
    metrics.buffered.add(values);
    metrics.stateBytes.add(bytes);
  }

  @Override
  public void close() {
    if (context != null) {
      commitHook.unregister(context.taskId(), persist);
      metrics.buffers.add(-buffers.size());
      metrics.buffered.add(-ownBuffered);
      metrics.stateBytes.add(-ownBytes);
    }
    buffers.clear();
    unsent.clear();
    unsaved.clear();
    armed = false;
    ownBuffered = 0;
    ownBytes = 0;
  }
}

package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.rules.RuleMethod;
import io.graphitekafka.schemas.serde.MetricPointReader.Result;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
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
 * input goes into its output's {@link AggregateBuffer}, kept in a changelogged store; a renamed
 * series passes on to the rollup. Every emit interval each interval that got values since it was
 * last sent goes to the rollup as one point, (output, interval start, method over every value the
 * interval got), whatever order they came in, so a late value re-sends the corrected aggregate.
 *
 * <p>An output keeps an interval while it is within {@code latenessIntervals} of its newest
 * (carbon's {@code MAX_AGGREGATION_INTERVALS}) or still gets values (see {@link AggregateBuffer});
 * a value for an interval already dropped is rejected as {@value #TOO_LATE}, where carbon would
 * overwrite the stored aggregate with one of the late values alone. The store, the sent marks and
 * the emitted points all commit in one transaction with the input offsets, so a crash or a
 * rebalance neither loses nor double counts a value.
 */
final class AggregateProcessor implements Processor<String, Result, String, Result> {

  static final String TOO_LATE = "aggregate_too_late";

  private static final Logger log = LoggerFactory.getLogger(AggregateProcessor.class);

  /** How often every buffer is checked for intervals to drop, those of idle outputs included. */
  static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

  private final Duration emitInterval;
  private final int latenessIntervals;
  private final AggregateMetrics metrics;

  /** Outputs with an interval not sent since it changed, in the order they changed. */
  private final Set<String> unsent = new LinkedHashSet<>();

  private ProcessorContext<String, Result> context;
  private KeyValueStore<String, byte[]> store;
  private long ownBuffers;
  private long ownBuffered;
  private long ownBytes;

  AggregateProcessor(Duration emitInterval, int latenessIntervals, AggregateMetrics metrics) {
    this.emitInterval = emitInterval;
    this.latenessIntervals = latenessIntervals;
    this.metrics = metrics;
  }

  /** The store of the buffers: output name to {@link AggregateBuffer#toBytes}. */
  static StoreBuilder<KeyValueStore<String, byte[]>> storeBuilder(String name) {
    return Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
        .withCachingEnabled();
  }

  @Override
  public void init(ProcessorContext<String, Result> context) {
    this.context = context;
    this.store = context.getStateStore(RollupTopology.AGGREGATE_STORE);
    try (KeyValueIterator<String, byte[]> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<String, byte[]> entry = all.next();
        AggregateBuffer buffer = decode(entry.key, entry.value);
        if (buffer != null) {
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
    byte[] stored = store.get(output);
    AggregateBuffer buffer = stored == null ? null : decode(output, stored);
    if (buffer != null && (buffer.frequency != frequency || buffer.method != method)) {
      // carbon starts every buffer afresh when its rules change; send what this one has first
      send(output, buffer, context.currentSystemTimeMs());
      count(-1, -buffer.bufferedValues(), 0);
      metrics.reset.increment();
      buffer = null;
    }
    if (buffer == null) {
      buffer = new AggregateBuffer(frequency, method);
      count(1, 0, 0);
    }
    long interval = buffer.intervalOf(point.timestamp());
    if (buffer.tooLate(interval)) {
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
              + frequency
              + " s behind the newest, and idle as long (from "
              + original.metric()
              + ")");
      return;
    }
    buffer.add(interval, point.value(), context.currentSystemTimeMs());
    count(0, 1, 0);
    save(output, buffer, stored);
    unsent.add(output);
  }

  /** Sends every interval that changed since it was last sent, and expires the old ones. */
  private void emit(long wallClockMillis) {
    for (String output : unsent) {
      byte[] stored = store.get(output);
      AggregateBuffer buffer = stored == null ? null : decode(output, stored);
      if (buffer == null) {
        continue;
      }
      send(output, buffer, wallClockMillis);
      count(0, -buffer.expire(latenessIntervals, wallClockMillis), 0);
      save(output, buffer, stored);
    }
    unsent.clear();
  }

  /** Drops the expired intervals of every buffer, also of outputs that get no more input. */
  private void sweep(long wallClockMillis) {
    try (KeyValueIterator<String, byte[]> all = store.all()) {
      while (all.hasNext()) {
        KeyValue<String, byte[]> entry = all.next();
        AggregateBuffer buffer = decode(entry.key, entry.value);
        long dropped = buffer == null ? 0 : buffer.expire(latenessIntervals, wallClockMillis);
        if (dropped > 0) {
          count(0, -dropped, 0);
          save(entry.key, buffer, entry.value);
        }
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

  private void save(String output, AggregateBuffer buffer, byte[] previous) {
    byte[] bytes = buffer.toBytes();
    store.put(output, bytes);
    count(0, 0, bytes.length - (previous == null ? 0 : previous.length));
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

  private void count(long buffers, long values, long bytes) {
    ownBuffers += buffers;
    ownBuffered += values;
    ownBytes += bytes;
    metrics.buffers.add(buffers);
    metrics.buffered.add(values);
    metrics.stateBytes.add(bytes);
  }

  @Override
  public void close() {
    count(-ownBuffers, -ownBuffered, -ownBytes);
  }
}

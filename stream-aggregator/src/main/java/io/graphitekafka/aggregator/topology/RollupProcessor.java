package io.graphitekafka.aggregator.topology;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.topic.Topic;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.avro.message.MissingSchemaException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies each point to its series' state as whisper.py's {@code update_many} would apply it to a file,
 * and every emit interval sends each slot written since the last emission once, with its latest value.
 * A point whose rollup reads slots the state does not know goes to the sink as a raw point, right after
 * the series' pending slots (see {@link SeriesState}). Undecodable or invalid records become rejects.
 */
final class RollupProcessor implements Processor<byte[], byte[], Object, Object> {

  private static final Logger log = LoggerFactory.getLogger(RollupProcessor.class);

  /** Whisper stores timestamps as u32. */
  static final long MAX_TIMESTAMP = 0xFFFF_FFFFL;

  private final PointReader points;
  private final String archivesTopic;
  private final Serializer<String> keySerializer;
  private final Serializer<ArchivePoint> archiveSerializer;
  /** Null if the archive serializer's output is not one this encoder can reproduce. */
  private final ArchivePointEncoder encoder;
  private final Function<String, SeriesLayout> resolver;
  private final Clock clock;
  private final long graceSeconds;
  /** Whether a series new to this state has no file yet (see AggregatorConfig). */
  private final boolean newFilesEmpty;
  private final Duration emitInterval;
  private final int maxLiveSeries;
  private final RollupMetrics metrics;
  /**
   * Series with slots to emit, in the order they were first written, each once
   * ({@link SeriesState#queued}); a series whose live object was replaced may appear twice, and its
   * second turn finds nothing to send.
   */
  private final List<String> pending = new ArrayList<>();
  private final double[] scratch = new double[64];

  private ProcessorContext<Object, Object> context;
  private SeriesStore store;

  /**
   * @param points the points topic, whose value serde reads the input
   * @param archives the archive topic: archive points are sent as the bytes its serializers would write
   *     (see {@link ArchivePointEncoder})
   */
  RollupProcessor(Topic<String, MetricPoint> points,
      Topic<String, ArchivePoint> archives, Function<String, SeriesLayout> resolver, Clock clock,
      long graceSeconds, boolean newFilesEmpty, Duration emitInterval, int maxLiveSeries,
      RollupMetrics metrics) {
    this.points = new PointReader((AvroSerde<MetricPoint>) points.valueSerde());
    this.archivesTopic = archives.name();
    this.keySerializer = archives.keySerde().serializer();
    this.archiveSerializer = archives.valueSerde().serializer();
    this.encoder = ArchivePointEncoder.create(archiveSerializer, archivesTopic);
    if (encoder == null) {
      log.warn("the archive serializer's output is not a fixed framing plus Avro binary; "
          + "encoding every archive point with it");
    }
    this.resolver = resolver;
    this.clock = clock;
    this.graceSeconds = graceSeconds;
    this.newFilesEmpty = newFilesEmpty;
    this.emitInterval = emitInterval;
    this.maxLiveSeries = maxLiveSeries;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    if (store != null) {
      store.close();
    }
    this.store = new SeriesStore(context.getStateStore(RollupTopology.SERIES_STORE), maxLiveSeries,
        metrics.stateBytes, metrics.stateSeries);
    pending.clear();
    // Slots written before the last commit but not emitted by it: emit them with the next batch.
    pending.addAll(store.scan());
    context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, this::emitPending);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    try {
      points.read(record.value());
    } catch (RegistryUnavailableException e) {
      // Not the record's fault: fail the task, which is retried from the last commit (see Aggregator).
      throw e;
    } catch (SerializationException e) {
      reject(record, e.getCause() instanceof MissingSchemaException ? "unknown_schema" : "undecodable",
          e.getMessage());
      return;
    }
    String metric = points.metric;
    long timestamp = points.timestamp;
    double value = points.value;
    if (metric.isEmpty()) {
      reject(record, "empty_name", "empty series name");
      return;
    }
    if (Double.isNaN(value)) {
      // carbon drops NaN values (protocols.py metricReceived); one sent straight to Kafka is rejected.
      reject(record, "nan_value", "NaN value for " + metric);
      return;
    }
    if (timestamp < 0 || timestamp > MAX_TIMESTAMP) {
      reject(record, "timestamp_out_of_range",
          "timestamp " + timestamp + " of " + metric + " does not fit whisper's u32");
      return;
    }
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
      log.trace("dropped {} at {}: older than the maximum retention at now={}", metric, timestamp, now);
      return;
    }
    if (late) {
      metrics.late.increment();
    }
    if (outcome == SeriesState.Outcome.RAW) {
      // The sink applies it against the file after every slot written before it (same partition, in
      // order). The record's time is when it is sent, as for emitted slots: replays seek by it.
      long sentAt = context.currentSystemTimeMs();
      emit(metric, state, sentAt);
      context.forward(new Record<Object, Object>(state.metricUtf8,
          encodeRaw(metric, state, timestamp, value, now), sentAt),
          RollupTopology.ARCHIVES_SINK);
      metrics.rawSent.increment();
      state.sentRaw(timestamp, value);
    } else if (!state.queued) {
      state.queued = true;
      pending.add(metric);
    }
    // Stored once the point has changed everything it changes, since a commit may follow any record.
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
   * Sends the series' slots written since its last emission. In each archive the first write into an
   * archive that may be empty goes first, so the file's base is the slot whisper would have written
   * first.
   */
  private void emit(String metric, SeriesState state, long timestamp) {
    if (state.metricUtf8 == null) {
      // The key as the topic's serializer writes it (UTF-8), shared by all of the series' records.
      state.metricUtf8 = keySerializer.serialize(archivesTopic, metric);
    }
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
        if (firstIndex == table.size() || table.intervalAt(firstIndex) != first
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

  private void send(String metric, SeriesState state, int archive, SlotTable table, int i,
      long timestamp) {
    context.forward(new Record<Object, Object>(state.metricUtf8,
            encode(metric, state, archive, table.intervalAt(i), table.valueAt(i)), timestamp),
        RollupTopology.ARCHIVES_SINK);
    metrics.sent.increment();
  }

  /** A raw point's value as the archive topic's serializer writes it. */
  private byte[] encodeRaw(String metric, SeriesState state, long timestamp, double value, long now) {
    if (encoder == null) {
      return archiveSerializer.serialize(archivesTopic, new ArchivePoint(metric,
          ArchivePointEncoder.RAW_ARCHIVE, timestamp, value, Layouts.toAvro(state.layout()), now));
    }
    if (state.layoutAvro == null) {
      state.layoutAvro = encoder.layoutBytes(state.layout());
    }
    return encoder.encodeRaw(state.metricUtf8, state.layoutAvro, timestamp, value, now);
  }

  /** The archive point's value as the archive topic's serializer writes it. */
  private byte[] encode(String metric, SeriesState state, int archive, long timestamp, double value) {
    if (encoder == null) {
      return archiveSerializer.serialize(archivesTopic,
          new ArchivePoint(metric, archive, timestamp, value, Layouts.toAvro(state.layout()), null));
    }
    if (state.layoutAvro == null) {
      state.layoutAvro = encoder.layoutBytes(state.layout());
    }
    return encoder.encode(state.metricUtf8, state.layoutAvro, archive, timestamp, value);
  }

  private void reject(Record<byte[], byte[]> record, String reason, String detail) {
    metrics.reject(reason);
    log.debug("rejected a point record: {} ({})", reason, detail);
    byte[] raw = record.value() == null ? new byte[0] : record.value();
    Reject reject = new Reject(ByteBuffer.wrap(raw), reason, detail, "stream-aggregator", null, null,
        clock.millis());
    context.forward(new Record<Object, Object>(reason, reject, record.timestamp()),
        RollupTopology.REJECTS_SINK);
  }
}

package io.graphitekafka.aggregator.topology;

import io.graphitekafka.aggregator.AggregatorMetrics;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns each point into the archive slots it changes, exactly as whisper.py's {@code update_many} would
 * change a file: the archive is chosen by the point's age, the slot takes the last value written, and each
 * coarser archive is re-aggregated from the finer archive's slots, gated by xFilesFactor, until a step
 * fails ({@code __propagate}).
 */
final class RollupProcessor implements Processor<byte[], byte[], String, SpecificRecord> {

  private static final Logger log = LoggerFactory.getLogger(RollupProcessor.class);

  private final AvroSerde<MetricPoint> pointSerde = AvroSerde.singleObject(MetricPoint.class);
  private final Function<String, SeriesLayout> resolver;
  private final Clock clock;
  private final long graceSeconds;
  private final AggregatorMetrics metrics;

  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, byte[]> store;

  RollupProcessor(
      Function<String, SeriesLayout> resolver, Clock clock, long graceSeconds, AggregatorMetrics metrics) {
    this.resolver = resolver;
    this.clock = clock;
    this.graceSeconds = graceSeconds;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.store = context.getStateStore(RollupTopology.SERIES_STORE);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    MetricPoint point;
    try {
      point = pointSerde.decode(record.value());
    } catch (SerializationException e) {
      reject(record, "undecodable_point", e.getMessage());
      return;
    }
    String metric = point.getMetric();
    if (metric.isEmpty()) {
      reject(record, "invalid_name", "empty series name");
      return;
    }
    metrics.pointsReceived.increment();

    byte[] stored = store.get(metric);
    SeriesState state;
    if (stored == null) {
      state = new SeriesState(resolver.apply(metric));
      metrics.seriesCreated.increment();
    } else {
      state = SeriesState.fromBytes(stored);
    }
    if (apply(metric, state, point.getTimestamp(), point.getValue(), record.timestamp())) {
      store.put(metric, state.toBytes());
    }
  }

  /** Applies one point; returns whether the state changed. */
  private boolean apply(String metric, SeriesState state, long timestamp, double value, long recordTime) {
    SeriesLayout layout = state.layout();
    List<ArchiveSpec> archives = layout.archives();
    long now = clock.instant().getEpochSecond();
    long age = now - timestamp;

    // update_many: the first archive whose retention covers the age; future points go to archive 0.
    int target = -1;
    for (int i = 0; i < archives.size(); i++) {
      if (archives.get(i).retention() >= age) {
        target = i;
        break;
      }
    }
    if (target < 0) {
      metrics.droppedTooOld.increment();
      log.trace("dropped {} at {}: older than the max retention {}", metric, timestamp,
          layout.maxRetention());
      return false;
    }
    if (state.newest() != Long.MIN_VALUE && timestamp < state.newest()) {
      if (state.newest() - timestamp > graceSeconds) {
        metrics.droppedBeyondGrace.increment();
        log.trace("dropped {} at {}: {} s behind the newest point, grace is {} s", metric, timestamp,
            state.newest() - timestamp, graceSeconds);
        return false;
      }
      metrics.latePoints.increment();
    }
    state.observe(timestamp);

    ArchiveLayout avroLayout = Layouts.toAvro(layout);
    long interval = archives.get(target).interval(timestamp);
    state.putSlot(target, interval, value);
    emit(metric, target, interval, value, avroLayout, recordTime);

    double[] known = new double[0];
    for (int lower = target + 1; lower < archives.size(); lower++) {
      ArchiveSpec higher = archives.get(lower - 1);
      ArchiveSpec spec = archives.get(lower);
      long start = spec.interval(timestamp);
      int slots = spec.secondsPerPoint() / higher.secondsPerPoint();
      if (known.length < slots) {
        known = new double[slots];
      }
      int count = 0;
      for (int j = 0; j < slots; j++) {
        Double v = state.slot(lower - 1, start + (long) j * higher.secondsPerPoint());
        if (v != null) {
          known[count++] = v;
        }
      }
      // whisper compares a double ratio against the float32 xFilesFactor widened to double.
      if (count == 0 || (double) count / slots < (double) layout.xFilesFactor()) {
        break;
      }
      double aggregate = layout.method().aggregate(known, count, slots);
      state.putSlot(lower, start, aggregate);
      emit(metric, lower, start, aggregate, avroLayout, recordTime);
    }
    state.trim(graceSeconds);
    return true;
  }

  private void emit(
      String metric, int archive, long interval, double value, ArchiveLayout layout, long recordTime) {
    ArchivePoint out = new ArchivePoint(metric, archive, interval, value, layout);
    context.forward(new Record<String, SpecificRecord>(metric, out, recordTime), RollupTopology.ARCHIVES_SINK);
    metrics.archivePointsSent.increment();
  }

  private void reject(Record<byte[], byte[]> record, String reason, String detail) {
    metrics.rejected.increment();
    log.debug("rejected a point record: {} ({})", reason, detail);
    byte[] raw = record.value() == null ? new byte[0] : record.value();
    Reject reject = new Reject(ByteBuffer.wrap(raw), reason, detail, "stream-aggregator", null, null,
        clock.millis());
    context.forward(new Record<String, SpecificRecord>(reason, reject, record.timestamp()),
        RollupTopology.REJECTS_SINK);
  }
}

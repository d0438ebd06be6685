package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.MetricPointReader;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import java.nio.ByteBuffer;
import java.time.Clock;
import org.apache.avro.message.MissingSchemaException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each points-topic value that is not a valid point to the rejects topic, keyed by the
 * reason, and counts it: a value that cannot be read, or a point whisper cannot store. It sits
 * beside {@link RollupProcessor}, which skips the same values, so bad input is a reject and never a
 * crash. The rules' processors send it the valid points they refuse, marked by {@link
 * AggregateHeaders#rejected}; their reject carries the point in the points topic's format, for a
 * replay once the rule is fixed.
 */
final class PointRejects implements Processor<String, MetricPointReader.Result, String, Reject> {

  private static final Logger log = LoggerFactory.getLogger(PointRejects.class);

  /** Whisper stores timestamps as u32. */
  static final long MAX_TIMESTAMP = 0xFFFF_FFFFL;

  /** Why a value is rejected: the reason code of the rejects topic, and a detail for people. */
  record Rejection(String reason, String detail) {}

  private final Clock clock;
  private final RollupMetrics metrics;
  private final Serializer<MetricPoint> points;
  private final String pointsTopic;
  private ProcessorContext<String, Reject> context;

  PointRejects(
      Clock clock, RollupMetrics metrics, Serializer<MetricPoint> points, String pointsTopic) {
    this.clock = clock;
    this.metrics = metrics;
    this.points = points;
    this.pointsTopic = pointsTopic;
  }

  /**
   * Why {@code point} is rejected, or null if it is a valid point. A value that names a schema the
   * registry could not be asked about is not rejected: it is retried (see {@link RollupProcessor}).
   */
  static Rejection rejection(MetricPointReader.Result point) {
    if (!point.isPoint()) {
      return new Rejection(
          point.failure().getCause() instanceof MissingSchemaException
              ? "unknown_schema"
              : "undecodable",
          point.failure().getMessage());
    }
    String metric = point.metric();
    if (metric.isEmpty()) {
      return new Rejection("empty_name", "empty series name");
    }
    if (Double.isNaN(point.value())) {
      // carbon drops NaN values (protocols.py metricReceived); one sent straight to Kafka is
      // rejected.
      return new Rejection("nan_value", "NaN value for " + metric);
    }
    long timestamp = point.timestamp();
    if (timestamp < 0 || timestamp > MAX_TIMESTAMP) {
      return new Rejection(
          "timestamp_out_of_range",
          "timestamp " + timestamp + " of " + metric + " does not fit whisper's u32");
    }
    return null;
  }

  @Override
  public void init(ProcessorContext<String, Reject> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, MetricPointReader.Result> record) {
    MetricPointReader.Result point = record.value();
    if (point.failure() instanceof RegistryUnavailableException e) {
      throw e;
    }
    String reason = AggregateHeaders.text(record.headers(), AggregateHeaders.REJECT_REASON);
    Rejection rejection =
        reason == null
            ? rejection(point)
            : new Rejection(
                reason, AggregateHeaders.text(record.headers(), AggregateHeaders.REJECT_DETAIL));
    if (rejection == null) {
      return;
    }
    metrics.reject(rejection.reason());
    log.debug("rejected a point record: {} ({})", rejection.reason(), rejection.detail());
    byte[] raw = point.raw();
    if (raw == null && point.isPoint()) {
      raw =
          points.serialize(
              pointsTopic, new MetricPoint(point.metric(), point.timestamp(), point.value()));
    }
    raw = raw == null ? new byte[0] : raw;
    Reject reject =
        new Reject(
            ByteBuffer.wrap(raw),
            rejection.reason(),
            rejection.detail(),
            "stream-aggregator",
            null,
            null,
            clock.millis());
    context.forward(
        new Record<>(rejection.reason(), reject, record.timestamp()), RollupTopology.REJECTS_SINK);
  }
}

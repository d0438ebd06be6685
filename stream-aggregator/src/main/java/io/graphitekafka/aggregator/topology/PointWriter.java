package io.graphitekafka.aggregator.topology;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.MetricPointReader.Result;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes a read point back as a {@link MetricPoint} with a points topic's serializer. One instance
 * serves every task and stream thread of the topology, so it keeps no mutable state.
 */
final class PointWriter implements Serializer<Result> {

  private final Serializer<MetricPoint> points;

  PointWriter(Serializer<MetricPoint> points) {
    this.points = points;
  }

  @Override
  public byte[] serialize(String topic, Result point) {
    return serialize(topic, null, point);
  }

  @Override
  public byte[] serialize(String topic, Headers headers, Result point) {
    return points.serialize(
        topic, headers, new MetricPoint(point.metric(), point.timestamp(), point.value()));
  }
}

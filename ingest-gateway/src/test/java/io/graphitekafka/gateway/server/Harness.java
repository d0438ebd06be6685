package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.kafka.FlowControl;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A gateway's handlers wired to a MockProducer, for EmbeddedChannel and socket tests without Kafka.
 */
final class Harness {

  static final int MAX_LINE_LENGTH = 16384;

  int maxLineLength() {
    return MAX_LINE_LENGTH;
  }

  static final Topic<String, MetricPoint> POINTS = Topics.points("carbon.points");
  static final Topic<String, Reject> REJECTS = Topics.rejects("carbon.rejects");

  final SelfMetrics metrics = new SelfMetrics(GatewayStats.ROLE);
  final MockProducer<byte[], byte[]> mock;
  final FlowControl flow;
  final PointProducer producer;
  final PointHandler points;
  final ConnectionGuard guard;
  final CarbonServer.Connections connections;

  Harness() {
    this(true, 16 << 20, 4 << 20, 32 << 20, MetricFilter.none(), 0, 0);
  }

  Harness(
      boolean autoComplete,
      long pauseBytes,
      long resumeBytes,
      long dropBytes,
      MetricFilter filter,
      int maxConnections,
      int idleSeconds) {
    mock =
        new MockProducer<>(
            autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
    flow = new FlowControl(pauseBytes, resumeBytes, dropBytes, metrics);
    producer = new PointProducer(mock, POINTS, REJECTS, flow, metrics);
    points = new PointHandler(1, MAX_LINE_LENGTH, producer, filter, metrics);
    guard = new ConnectionGuard(maxConnections, flow, metrics);
    connections = new CarbonServer.Connections(points, guard, idleSeconds);
  }

  EmbeddedChannel plaintext() {
    return channel(CarbonServer.plaintextPipeline(MAX_LINE_LENGTH, connections));
  }

  EmbeddedChannel pickle(int maxFrame) {
    return channel(CarbonServer.picklePipeline(maxFrame, connections));
  }

  EmbeddedChannel udp() {
    return new EmbeddedChannel(new CarbonUdpServer.DatagramHandler(points, flow, metrics));
  }

  private static EmbeddedChannel channel(Consumer<ChannelPipeline> init) {
    // a distinct id per channel: EmbeddedChannel's default id is shared, which a ChannelGroup
    // dedups
    EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
    init.accept(ch.pipeline());
    try {
      ch.register();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return ch;
  }

  List<MetricPoint> points() {
    return mock.history().stream()
        .filter(r -> r.topic().equals(POINTS.name()))
        .map(r -> POINTS.valueSerde().deserializer().deserialize(r.topic(), r.value()))
        .toList();
  }

  List<String> pointNames() {
    return points().stream().map(MetricPoint::getMetric).toList();
  }

  List<Reject> rejects() {
    return mock.history().stream()
        .filter(r -> r.topic().equals(REJECTS.name()))
        .map(r -> REJECTS.valueSerde().deserializer().deserialize(r.topic(), r.value()))
        .toList();
  }

  List<ProducerRecord<byte[], byte[]>> history() {
    return mock.history();
  }

  long counter(String name) {
    return metrics.counters().getOrDefault(name, 0L);
  }

  long rejectCount(String reason) {
    return counter(GatewayStats.reject(reason));
  }
}

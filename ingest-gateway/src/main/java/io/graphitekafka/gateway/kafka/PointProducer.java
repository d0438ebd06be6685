package io.graphitekafka.gateway.kafka;

import io.graphitekafka.gateway.GatewayMetrics;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topic;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends accepted points to the points topic, keyed by series name, and rejected input to the rejects
 * topic. One idempotent producer (acks=all) serves every listener; it is thread-safe.
 */
public final class PointProducer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PointProducer.class);

  private final Topic<String, MetricPoint> points;
  private final Topic<String, Reject> rejects;
  private final GatewayMetrics metrics;
  private final KafkaProducer<byte[], byte[]> producer;

  public PointProducer(
      String bootstrapServers,
      Map<String, Object> overrides,
      Topic<String, MetricPoint> points,
      Topic<String, Reject> rejects,
      GatewayMetrics metrics) {
    this.points = points;
    this.rejects = rejects;
    this.metrics = metrics;
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-gateway");
    props.putAll(overrides);
    this.producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public void sendPoint(MetricPoint point) {
    String name = point.getMetric();
    byte[] key = points.keySerde().serializer().serialize(points.name(), name);
    byte[] value = points.valueSerde().serializer().serialize(points.name(), point);
    producer.send(new ProducerRecord<>(points.name(), key, value), (meta, e) -> {
      if (e == null) {
        metrics.pointsProduced.increment();
      } else {
        metrics.produceErrors.increment();
        log.warn("could not produce a point for {} to {}: {}", name, points.name(), e.toString());
      }
    });
  }

  public void sendReject(Reject reject) {
    byte[] key = rejects.keySerde().serializer().serialize(rejects.name(), reject.getReason());
    byte[] value = rejects.valueSerde().serializer().serialize(rejects.name(), reject);
    producer.send(new ProducerRecord<>(rejects.name(), key, value), (meta, e) -> {
      if (e != null) {
        metrics.produceErrors.increment();
        log.warn("could not produce a reject to {}: {}", rejects.name(), e.toString());
      }
    });
  }

  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }
}

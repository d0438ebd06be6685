package io.graphitekafka.standalone;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.service.metrics.CarbonReporter;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Feeds the self-metrics of a service that has no producer of its own (the aggregator) into the points
 * topic, as {@code carbon.<role>.<host>-<instance>.<stat>} series, through a small producer.
 */
final class PointsReporter implements AutoCloseable {

  private final KafkaProducer<String, MetricPoint> producer;
  private final CarbonReporter reporter;

  PointsReporter(SelfMetrics metrics, String bootstrapServers, Map<String, Object> kafkaOverrides,
      String pointsTopic, String instance) {
    Topic<String, MetricPoint> topic = Topics.points(pointsTopic);
    Map<String, Object> props = new HashMap<>();
    kafkaOverrides.forEach((k, v) -> {
      if (ProducerConfig.configNames().contains(k)) {
        props.put(k, v);
      }
    });
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-" + metrics.role() + "-metrics");
    this.producer = new KafkaProducer<>(props, topic.keySerde().serializer(),
        topic.valueSerde().serializer());
    this.reporter = new CarbonReporter(metrics, instance, (name, ts, value) ->
        producer.send(new ProducerRecord<>(topic.name(), name, new MetricPoint(name, ts, value))),
        Clock.systemUTC());
  }

  void start(Duration interval) {
    reporter.start(interval);
  }

  @Override
  public void close() {
    reporter.close();
    producer.close(Duration.ofSeconds(5));
  }
}

package io.graphitekafka.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The plaintext listener against a real broker: lines in over a real socket, records out of Kafka. */
@ExtendWith(EmbeddedKafkaExtension.class)
class GatewayIT {

  @Test
  void producesOnePointPerLineKeyedBySeriesAndKeepsTheConnectionPastBadLines(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pointsTopic = "points-" + suffix;
    String rejectsTopic = "rejects-" + suffix;
    kafka.createTopics(2, pointsTopic, rejectsTopic);
    GatewayConfig config = new GatewayConfig(Map.of(
        GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
        GatewayConfig.BIND_ADDRESS, "127.0.0.1",
        GatewayConfig.CARBON_PORT, "0",
        GatewayConfig.POINTS_TOPIC, pointsTopic,
        GatewayConfig.REJECTS_TOPIC, rejectsTopic));

    try (Gateway gateway = new Gateway(config)) {
      gateway.start();
      try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
        OutputStream out = socket.getOutputStream();
        out.write(("servers.web01.cpu 42 1700000000\n"
            + "this line has four fields\n"
            + "disk.used;host=b;env=prod 1.5e3 1700000010\r\n"
            + "bad.value abc 1700000000\n"
            + "servers.web02.cpu -1 1700000020\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }

      List<ConsumerRecord<String, MetricPoint>> points =
          consume(kafka, Topics.points(pointsTopic), 3);
      assertThat(points).extracting(ConsumerRecord::key)
          .containsExactlyInAnyOrder("servers.web01.cpu", "disk.used;env=prod;host=b", "servers.web02.cpu");
      Function<String, MetricPoint> byName = name -> points.stream()
          .filter(r -> r.key().equals(name)).findFirst().orElseThrow().value();
      assertThat(byName.apply("servers.web01.cpu"))
          .isEqualTo(new MetricPoint("servers.web01.cpu", 1700000000L, 42.0));
      assertThat(byName.apply("disk.used;env=prod;host=b").getValue()).isEqualTo(1500.0);
      assertThat(byName.apply("servers.web02.cpu").getValue()).isEqualTo(-1.0);

      List<ConsumerRecord<String, Reject>> rejects = consume(kafka, Topics.rejects(rejectsTopic), 2);
      assertThat(rejects).extracting(r -> r.value().getReason())
          .containsExactlyInAnyOrder("field_count", "bad_value");
      Reject fieldCount = rejects.stream().filter(r -> r.key().equals("field_count")).findFirst()
          .orElseThrow().value();
      assertThat(StandardCharsets.UTF_8.decode(fieldCount.getRaw()).toString())
          .isEqualTo("this line has four fields");
      assertThat(fieldCount.getProtocol()).isEqualTo("plaintext-tcp");
      assertThat(fieldCount.getSourceAddress()).isEqualTo("127.0.0.1");
      assertThat(gateway.metrics().counters())
          .containsEntry("rejects.field_count", 1L).containsEntry("rejects.bad_value", 1L)
          .containsEntry(GatewayStats.METRICS_RECEIVED, 3L);
    }
  }

  private static <V> List<ConsumerRecord<String, V>> consume(
      EmbeddedKafkaBroker kafka, Topic<String, V> topic, int expected) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props,
        topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // anything beyond what was expected would be a duplicate or a stray record
      consumer.poll(Duration.ofMillis(500)).forEach(out::add);
    }
    return out;
  }
}

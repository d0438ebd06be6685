package io.graphitekafka.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.CarbonReporter;
import io.graphitekafka.testing.KafkaRecords;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway against a real broker: input over real sockets and the lines topic, records out of
 * Kafka.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class GatewayIT {

  @Test
  void producesOnePointPerLineKeyedBySeriesAndKeepsTheConnectionPastBadLines(
      EmbeddedKafkaBroker kafka) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pointsTopic = "points-" + suffix;
    String rejectsTopic = "rejects-" + suffix;
    kafka.createTopics(2, pointsTopic, rejectsTopic);
    GatewayConfig config =
        new GatewayConfig(
            Map.of(
                GatewayConfig.BOOTSTRAP_SERVERS,
                kafka.bootstrapServers(),
                GatewayConfig.BIND_ADDRESS,
                "127.0.0.1",
                GatewayConfig.CARBON_PORT,
                "0",
                GatewayConfig.POINTS_TOPIC,
                pointsTopic,
                GatewayConfig.REJECTS_TOPIC,
                rejectsTopic));

    try (Gateway gateway = new Gateway(config)) {
      gateway.start();
      try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
        OutputStream out = socket.getOutputStream();
        out.write(
            ("servers.web01.cpu 42 1700000000\n"
                    + "this line has four fields\n"
                    + "disk.used;host=b;env=prod 1.5e3 1700000010\r\n"
                    + "bad.value abc 1700000000\n"
                    + "servers.web02.cpu -1 1700000020\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
      }

      List<ConsumerRecord<String, MetricPoint>> points =
          consume(kafka, Topics.points(pointsTopic), 3);
      assertThat(points)
          .extracting(ConsumerRecord::key)
          .containsExactlyInAnyOrder(
              "servers.web01.cpu", "disk.used;env=prod;host=b", "servers.web02.cpu");
      Function<String, MetricPoint> byName =
          name ->
              points.stream().filter(r -> r.key().equals(name)).findFirst().orElseThrow().value();
      assertThat(byName.apply("servers.web01.cpu"))
          .isEqualTo(new MetricPoint("servers.web01.cpu", 1700000000L, 42.0));
      assertThat(byName.apply("disk.used;env=prod;host=b").getValue()).isEqualTo(1500.0);
      assertThat(byName.apply("servers.web02.cpu").getValue()).isEqualTo(-1.0);

      List<ConsumerRecord<String, Reject>> rejects =
          consume(kafka, Topics.rejects(rejectsTopic), 2);
      assertThat(rejects)
          .extracting(r -> r.value().getReason())
          .containsExactlyInAnyOrder("field_count", "bad_value");
      Reject fieldCount =
          rejects.stream()
              .filter(r -> r.key().equals("field_count"))
              .findFirst()
              .orElseThrow()
              .value();
      assertThat(StandardCharsets.UTF_8.decode(fieldCount.getRaw()).toString())
          .isEqualTo("this line has four fields");
      assertThat(fieldCount.getProtocol()).isEqualTo("plaintext-tcp");
      assertThat(fieldCount.getSourceAddress()).isEqualTo("127.0.0.1");
      assertThat(gateway.metrics().counters())
          .containsEntry("rejects.field_count", 1L)
          .containsEntry("rejects.bad_value", 1L)
          .containsEntry(GatewayStats.METRICS_RECEIVED, 3L);
    }
  }

  private static <V> List<ConsumerRecord<String, V>> consume(
      EmbeddedKafkaBroker kafka, Topic<String, V> topic, int expected) {
    return KafkaRecords.consume(kafka.bootstrapServers(), topic, expected, Duration.ofSeconds(30));
  }

  /** A gateway on free loopback ports, with topics and lines group named after {@code suffix}. */
  static Map<String, Object> baseConfig(EmbeddedKafkaBroker kafka, String suffix) {
    Map<String, Object> props = new HashMap<>();
    props.put(GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(GatewayConfig.BIND_ADDRESS, "127.0.0.1");
    props.put(GatewayConfig.CARBON_PORT, "0");
    props.put(GatewayConfig.PICKLE_PORT, "0");
    props.put(GatewayConfig.UDP_PORT, "0");
    props.put(GatewayConfig.POINTS_TOPIC, "points-" + suffix);
    props.put(GatewayConfig.REJECTS_TOPIC, "rejects-" + suffix);
    props.put(GatewayConfig.LINES_TOPIC, "lines-" + suffix);
    props.put(GatewayConfig.LINES_GROUP_ID, "gateway-" + suffix);
    props.put(GatewayConfig.METRIC_INTERVAL_SECONDS, "0");
    return props;
  }

  @Test
  void picklesAndUdpDatagramsOverRealSocketsReachThePointsTopic(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix);
    Map<String, Object> props = baseConfig(kafka, suffix);
    props.put(GatewayConfig.LINES_ENABLED, "false");
    byte[] pickle;
    try (InputStream in = getClass().getResourceAsStream("/carbon/pickles/relay-p2.pickle")) {
      pickle = in.readAllBytes();
    }
    try (Gateway gateway = new Gateway(new GatewayConfig(props))) {
      gateway.start();
      try (Socket socket = new Socket("127.0.0.1", gateway.picklePort())) {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        out.writeInt(pickle.length);
        out.write(pickle);
        out.flush();
      }
      try (DatagramSocket udp = new DatagramSocket()) {
        byte[] datagram =
            "udp.one 1 1700000000\nudp.two 2 1700000000\n".getBytes(StandardCharsets.UTF_8);
        udp.send(
            new DatagramPacket(
                datagram, datagram.length, new InetSocketAddress("127.0.0.1", gateway.udpPort())));
      }
      List<ConsumerRecord<String, MetricPoint>> points =
          consume(kafka, Topics.points("points-" + suffix), 8);
      assertThat(points)
          .extracting(ConsumerRecord::key)
          .contains("servers.web01.load", "tagged;dc=ams;env=prod", "udp.one", "udp.two")
          .hasSize(8);
    }
  }

  @Test
  void consumesRawLinesFromTheLinesTopicAndCommitsOnlyWhatWasProduced(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix, "lines-" + suffix);
    Map<String, Object> producerProps =
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (KafkaProducer<byte[], byte[]> telegraf =
        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
      // as Telegraf's graphite serializer batches: several lines in one value
      telegraf.send(
          new ProducerRecord<>(
              "lines-" + suffix,
              "tg.cpu;host=a 1 1700000000\ntg.mem;host=a 2 1700000000\n"
                  .getBytes(StandardCharsets.UTF_8)));
      telegraf.send(
          new ProducerRecord<>(
              "lines-" + suffix,
              "tg.bad notanumber 1700000000\ntg.disk 3 1700000000"
                  .getBytes(StandardCharsets.UTF_8)));
      telegraf.flush();
    }
    try (Gateway gateway = new Gateway(new GatewayConfig(baseConfig(kafka, suffix)))) {
      gateway.start();
      List<ConsumerRecord<String, MetricPoint>> points =
          consume(kafka, Topics.points("points-" + suffix), 3);
      assertThat(points)
          .extracting(ConsumerRecord::key)
          .containsExactlyInAnyOrder("tg.cpu;host=a", "tg.mem;host=a", "tg.disk");
      List<ConsumerRecord<String, Reject>> rejects =
          consume(kafka, Topics.rejects("rejects-" + suffix), 1);
      assertThat(rejects)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.value().getReason()).isEqualTo("bad_value");
                assertThat(r.value().getProtocol()).isEqualTo("kafka-lines");
                assertThat(r.value().getSourceAddress()).startsWith("lines-" + suffix + "-");
              });
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long committed = 0;
        while (committed < 2 && System.nanoTime() < deadline) {
          committed =
              admin
                  .listConsumerGroupOffsets("gateway-" + suffix)
                  .partitionsToOffsetAndMetadata()
                  .get()
                  .values()
                  .stream()
                  .mapToLong(OffsetAndMetadata::offset)
                  .sum();
          Thread.sleep(100);
        }
        assertThat(committed)
            .as("offsets committed after the points were acknowledged")
            .isEqualTo(2);
      }
    }
  }

  @Test
  void reportsItsOwnMetricsIntoThePipelineAndOverHttp(EmbeddedKafkaBroker kafka) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(1, "points-" + suffix, "rejects-" + suffix);
    Map<String, Object> props = baseConfig(kafka, suffix);
    props.put(GatewayConfig.LINES_ENABLED, "false");
    props.put(GatewayConfig.METRIC_INTERVAL_SECONDS, "1");
    props.put(GatewayConfig.METRIC_INSTANCE, "it");
    props.put(GatewayConfig.METRICS_HTTP_PORT, "0");
    try (Gateway gateway = new Gateway(new GatewayConfig(props))) {
      gateway.start();
      try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
        socket.getOutputStream().write("m.a 1 1700000000\nbad\n".getBytes(StandardCharsets.UTF_8));
      }
      List<ConsumerRecord<String, MetricPoint>> points =
          consume(kafka, Topics.points("points-" + suffix), 30);
      String prefix = CarbonReporter.prefix("relays", "it") + ".";
      assertThat(points)
          .extracting(ConsumerRecord::key)
          .contains(
              "m.a",
              prefix + "metricsReceived",
              prefix + "rejects.field_count",
              prefix + "activeConnections",
              prefix + "backpressureMillis");
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + gateway.metricsHttpPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.body())
          .contains("graphite_kafka_relays_metricsReceived_total 1.0\n")
          .contains("graphite_kafka_relays_rejects_field_count_total 1.0\n");
    }
  }

  @Test
  void closeFlushesEverythingAlreadyReadToKafka(EmbeddedKafkaBroker kafka) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix);
    Map<String, Object> props = baseConfig(kafka, suffix);
    props.put(GatewayConfig.LINES_ENABLED, "false");
    // records would sit in the producer for a minute unless close() flushes them
    props.put("kafka.linger.ms", "60000");
    int lines = 5000;
    Gateway gateway = new Gateway(new GatewayConfig(props));
    gateway.start();
    try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < lines; i++) {
        sb.append("flush.s").append(i % 10).append(' ').append(i).append(" 1700000000\n");
      }
      socket.getOutputStream().write(sb.toString().getBytes(StandardCharsets.UTF_8));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (gateway.metrics().counters().get(GatewayStats.METRICS_RECEIVED) < lines
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }
    assertThat(gateway.metrics().counters().get(GatewayStats.POINTS_PRODUCED)).isLessThan(lines);
    gateway.close();
    assertThat(gateway.metrics().counters().get(GatewayStats.POINTS_PRODUCED)).isEqualTo(lines);
    assertThat(consume(kafka, Topics.points("points-" + suffix), lines)).hasSize(lines);
  }
}

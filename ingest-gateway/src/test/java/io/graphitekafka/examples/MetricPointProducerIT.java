package io.graphitekafka.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The producer example of docs/PRODUCERS.md: the code in the document is this module's {@link
 * MetricPointProducer}, and what it writes in either wire format is read by the pipeline's own
 * deserializer as the points that were sent.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class MetricPointProducerIT {

  private static final Path HOME = Path.of(System.getProperty("graphite.kafka.home", ".."));
  private static final AvroSerde<MetricPoint> PIPELINE = AvroSerde.singleObject(MetricPoint.class);

  @Test
  void theDocumentShowsTheExampleAsItIsCompiled() throws Exception {
    String source =
        Files.readString(
            Path.of("src/test/java/io/graphitekafka/examples/MetricPointProducer.java"));
    String doc = Files.readString(HOME.resolve("docs/PRODUCERS.md"));
    assertThat(doc).contains("```java\n" + source + "```\n");
  }

  @Test
  void singleObjectEncodedPointsAreReadByThePipeline(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "points-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, topic);
    try (MetricPointProducer producer =
        new MetricPointProducer(kafka.bootstrapServers(), topic, null)) {
      producer.send("app.requests", 1700000000L, 12.5);
      producer.send("app.latency;dc=ams;host=web01", 1700000010L, 0.25);
      producer.flush();
    }
    List<ConsumerRecord<String, byte[]>> records = read(kafka, topic, 2);
    long fingerprint = SchemaNormalization.parsingFingerprint64(MetricPointProducer.SCHEMA);
    for (ConsumerRecord<String, byte[]> r : records) {
      ByteBuffer header = ByteBuffer.wrap(r.value(), 0, 10).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(header.get()).isEqualTo((byte) 0xC3);
      assertThat(header.get()).isEqualTo((byte) 0x01);
      assertThat(header.getLong()).isEqualTo(fingerprint);
    }
    assertThat(records)
        .extracting(r -> r.key() + " " + describe(PIPELINE.decode(r.value())))
        .containsExactlyInAnyOrder(
            "app.requests app.requests 1700000000 12.5",
            "app.latency;dc=ams;host=web01 app.latency;dc=ams;host=web01 1700000010 0.25");
  }

  @Test
  void confluentFramedPointsAreReadByThePipelineThroughTheRegistry(EmbeddedKafkaBroker kafka)
      throws Exception {
    String topic = "points-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, topic);
    List<String> registered = new CopyOnWriteArrayList<>();
    HttpServer registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    registry.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          String answer;
          if (exchange.getRequestMethod().equals("POST")
              && path.equals("/subjects/" + topic + "-value/versions")) {
            registered.add(
                new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            answer = "{\"id\": 21}";
          } else if (path.equals("/schemas/ids/21") && !registered.isEmpty()) {
            answer =
                "{\"schema\": \""
                    + MetricPointProducer.SCHEMA.toString().replace("\"", "\\\"")
                    + "\"}";
          } else {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
          }
          byte[] body = answer.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    registry.start();
    try {
      String url = "http://127.0.0.1:" + registry.getAddress().getPort();
      int id = MetricPointProducer.register(url, topic);
      assertThat(id).isEqualTo(21);
      assertThat(registered)
          .singleElement()
          .satisfies(body -> assertThat(body).contains("MetricPoint", "timestamp"));
      try (MetricPointProducer producer =
          new MetricPointProducer(kafka.bootstrapServers(), topic, id)) {
        producer.send("app.errors", 1700000020L, 3);
        producer.flush();
      }
      ConsumerRecord<String, byte[]> record = read(kafka, topic, 1).get(0);
      assertThat(record.value()[0]).isZero();
      assertThat(ByteBuffer.wrap(record.value(), 1, 4).getInt()).isEqualTo(21);
      AvroSerde<MetricPoint> withRegistry =
          AvroSerde.of(
              MetricPoint.class,
              AvroSerde.WireFormat.SINGLE_OBJECT,
              new SchemaRegistryClient(url, null));
      assertThat(record.key()).isEqualTo("app.errors");
      assertThat(describe(withRegistry.decode(record.value())))
          .isEqualTo("app.errors 1700000020 3.0");
    } finally {
      registry.stop(0);
    }
  }

  private static String describe(MetricPoint p) {
    return p.getMetric() + " " + p.getTimestamp() + " " + p.getValue();
  }

  private static List<ConsumerRecord<String, byte[]>> read(
      EmbeddedKafkaBroker kafka, String topic, int expected) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      consumer.poll(Duration.ofMillis(300)).forEach(out::add);
    }
    assertThat(out).hasSize(expected);
    return out;
  }
}

package io.graphitekafka.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes MetricPoint records to carbon.points with nothing but kafka-clients and Avro: key = the
 * series name, value = the record in Avro single-object encoding, or in Confluent's wire format
 * with a schema id from a Schema Registry.
 */
public final class MetricPointProducer implements AutoCloseable {

  /** The MetricPoint schema, as in schemas/src/main/avro/MetricPoint.avsc. */
  public static final Schema SCHEMA =
      new Schema.Parser()
          .parse(
              """
      {"type": "record", "name": "MetricPoint", "namespace": "io.graphitekafka.schemas.avro",
       "fields": [{"name": "metric", "type": "string"},
                  {"name": "timestamp", "type": "long"},
                  {"name": "value", "type": "double"}]}""");

  private final KafkaProducer<String, byte[]> producer;
  private final String topic;
  private final Integer schemaId; // null: single-object encoding
  private final BinaryMessageEncoder<GenericRecord> singleObject =
      new BinaryMessageEncoder<>(GenericData.get(), SCHEMA);
  private final GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(SCHEMA);

  /**
   * @param schemaId the id from {@link #register}, or null for single-object encoding
   */
  public MetricPointProducer(String bootstrapServers, String topic, Integer schemaId) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    this.topic = topic;
    this.schemaId = schemaId;
  }

  /**
   * Sends one point. {@code metric} must already be the normalized series name (tags sorted as
   * carbon sorts them); {@code timestamp} is epoch seconds in [0, 2^32); NaN values are rejected.
   */
  public void send(String metric, long timestamp, double value) throws IOException {
    GenericRecord point = new GenericData.Record(SCHEMA);
    point.put("metric", metric);
    point.put("timestamp", timestamp);
    point.put("value", value);
    byte[] bytes = schemaId == null ? singleObject(point) : confluent(schemaId, point);
    producer.send(new ProducerRecord<>(topic, metric, bytes));
  }

  /**
   * 0xC3 0x01, the schema's 8-byte CRC-64-AVRO fingerprint (little-endian), the Avro binary body.
   */
  byte[] singleObject(GenericRecord point) throws IOException {
    ByteBuffer buffer = singleObject.encode(point);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  /** Magic byte 0, the schema id as 4 bytes big-endian, the Avro binary body. */
  byte[] confluent(int id, GenericRecord point) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder body = EncoderFactory.get().binaryEncoder(out, null);
    writer.write(point, body);
    body.flush();
    return out.toByteArray();
  }

  /** Registers the schema under the subject {@code <topic>-value} and returns its id. */
  public static int register(String registryUrl, String topic)
      throws IOException, InterruptedException {
    String body =
        "{\"schema\": \"" + SCHEMA.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(registryUrl + "/subjects/" + topic + "-value/versions"))
            .header("Content-Type", "application/vnd.schemaregistry.v1+json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<String> response =
        HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    Matcher id = Pattern.compile("\"id\"\\s*:\\s*(\\d+)").matcher(response.body());
    if (response.statusCode() != 200 || !id.find()) {
      throw new IOException(
          "registering the schema failed: " + response.statusCode() + " " + response.body());
    }
    return Integer.parseInt(id.group(1));
  }

  /** Waits until Kafka has acknowledged every point sent so far. */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }
}

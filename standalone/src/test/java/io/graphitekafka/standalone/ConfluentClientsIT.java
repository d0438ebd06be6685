package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.graphitekafka.aggregator.Aggregator;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.serde.StubSchemaRegistry;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaClients;
import io.graphitekafka.testing.KafkaRecords;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Schema Registry wire format against Confluent's own code: Confluent's Node.js Schema Registry
 * client and Avro serializer and deserializer ({@code @confluentinc/schemaregistry}, pinned with
 * its dependencies in {@code src/test/node/confluent/package-lock.json}, installed into {@code
 * target/confluent-node} with {@code npm ci}) write points that the gateway, aggregator and sink
 * (all with {@code schema.registry.url}) turn into the same Whisper files as Carbon plaintext, read
 * back what the services write on the points, archives and rejects topics, and register a second,
 * compatible version of the schema that the services read through schema resolution. The same run
 * checks our own registry client against compatibility errors, basic auth, a registry restart in
 * the middle of the stream, unknown schema ids and a registry answering garbage.
 *
 * <p>Kafka transport is KafkaJS ({@code kafkajs}, pure JavaScript, with {@code lz4js} as its LZ4
 * codec), not Confluent's {@code @confluentinc/kafka-javascript}: that package is a native
 * librdkafka binding whose install downloads a prebuilt binary from GitHub and, failing that,
 * builds librdkafka after downloading zlib, OpenSSL and zstd sources from zlib.net and GitHub, none
 * of which a build limited to Maven Central, Debian and npm can reach (Debian's librdkafka-dev,
 * 2.0.2 in bookworm, is too old for it). The bytes on the topics are Confluent's serializer's
 * either way: KafkaJS only carries them.
 *
 * <p>The registry is the project's stand-in ({@link StubSchemaRegistry}), not a registry
 * implementation: Apicurio Registry (whose Confluent-compatible API lives under {@code
 * /apis/ccompat/v7}) publishes only its application's classes to Maven Central, to be assembled
 * with the Quarkus Maven plugin, and that assembly cannot resolve here: for {@code 3.3.3}, {@code
 * 3.3.2}, {@code 3.0.9}, {@code 2.6.13.Final} and {@code 2.5.11.Final} of {@code
 * io.apicurio:apicurio-registry-app} sibling modules it depends on (such as {@code
 * apicurio-registry-schema-util-provider} and {@code apicurio-registry-config-definitions}) and
 * Quarkus extensions of its Quarkus version (such as {@code io.quarkus:quarkus-undertow:3.33.3.1})
 * are not served by the reachable Maven repository, and Confluent's own registry is neither on
 * Maven Central nor runnable without Docker. The stand-in answers the REST endpoints Confluent's
 * client calls here with Confluent's semantics, including BACKWARD compatibility checks.
 *
 * <p>Skipped, with a message, where {@code node} (18 or newer) or {@code npm} is missing or the npm
 * packages cannot be installed.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConfluentClientsIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();
  private static final Path NODE_SOURCES = HOME.resolve("standalone/src/test/node/confluent");
  private static final Path NODE_DIR = HOME.resolve("standalone/target/confluent-node");
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int SERIES = 3;
  private static final int POINTS = 12;

  /** The MetricPoint schema with one field added with a default: compatible under BACKWARD. */
  private static final String WITH_HOST =
      """
      {"type": "record", "name": "MetricPoint", "namespace": "io.graphitekafka.schemas.avro",
       "fields": [{"name": "metric", "type": "string"},
                  {"name": "timestamp", "type": "long"},
                  {"name": "value", "type": "double"},
                  {"name": "host", "type": ["null", "string"], "default": null}]}""";

  @TempDir static Path work;

  private static EmbeddedKafkaBroker kafka;
  private static StubSchemaRegistry registry;
  private static Gateway gateway;
  private static Aggregator aggregator;
  private static Sink sink;
  private static String points;
  private static String archives;
  private static String rejects;
  private static String suffix;
  private static Path dataDir;
  private static long t0;
  private static String badLine;

  @BeforeAll
  static void startPipeline(EmbeddedKafkaBroker broker) throws Exception {
    skipUnless(
        nodeVersion() >= 18, "Node.js 18 or newer is not installed (apt-get install nodejs npm)");
    installNodePackages();
    checkNodePackagesLoad();

    kafka = broker;
    suffix = UUID.randomUUID().toString().substring(0, 8);
    points = "points-" + suffix;
    archives = "archives-" + suffix;
    rejects = "rejects-" + suffix;
    kafka.createTopics(3, points, archives, rejects);
    long now = System.currentTimeMillis() / 1000;
    t0 = now - Math.floorMod(now, 600) - 600;
    registry = new StubSchemaRegistry(null);
    dataDir = work.resolve("data");

    Map<String, Object> gw = new HashMap<>();
    gw.put(GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    gw.put(GatewayConfig.BIND_ADDRESS, "127.0.0.1");
    gw.put(GatewayConfig.CARBON_PORT, 0);
    gw.put(GatewayConfig.PICKLE_PORT, -1);
    gw.put(GatewayConfig.LINES_ENABLED, false);
    gw.put(GatewayConfig.POINTS_TOPIC, points);
    gw.put(GatewayConfig.REJECTS_TOPIC, rejects);
    gw.put(GatewayConfig.METRIC_INTERVAL_SECONDS, 0);
    gw.put(RegistrySettings.URL, registry.url());
    Map<String, Object> ag = new HashMap<>();
    ag.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    ag.put(AggregatorConfig.APPLICATION_ID, "confluent-clients-" + suffix);
    ag.put(AggregatorConfig.STATE_DIR, work.resolve("streams").toString());
    ag.put(AggregatorConfig.CONF_DIR, HOME.resolve("conf").toString());
    ag.put(AggregatorConfig.POINTS_TOPIC, points);
    ag.put(AggregatorConfig.ARCHIVES_TOPIC, archives);
    ag.put(AggregatorConfig.REJECTS_TOPIC, rejects);
    ag.put(AggregatorConfig.METRIC_INTERVAL_SECONDS, 0);
    ag.put(AggregatorConfig.COMMIT_INTERVAL_MS, 200L);
    ag.put(RegistrySettings.URL, registry.url());
    // A stream thread that stopped for an unavailable registry is replaced; its successor gets the
    // partitions back once the old member's session expires: 6 s (the broker's minimum), not 45 s.
    ag.put("kafka.consumer.session.timeout.ms", "6000");
    ag.put("kafka.consumer.heartbeat.interval.ms", "1500");
    Map<String, Object> sk = new HashMap<>();
    sk.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    sk.put(SinkConfig.DATA_DIR, dataDir.toString());
    sk.put(SinkConfig.GROUP_ID, "sink-confluent-clients-" + suffix);
    sk.put(SinkConfig.ARCHIVES_TOPIC, archives);
    sk.put(SinkConfig.REJECTS_TOPIC, rejects);
    sk.put(SinkConfig.METRICS_INTERVAL_SECONDS, "0");
    sk.put(RegistrySettings.URL, registry.url());

    sink = new Sink(new SinkConfig(sk));
    sink.start();
    aggregator = new Aggregator(new AggregatorConfig(ag));
    aggregator.start();
    gateway = new Gateway(new GatewayConfig(gw));
    gateway.start();

    // The reference: the same points over Carbon plaintext, and one line the gateway rejects.
    badLine = "plain.bad not-a-number " + t0;
    try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
      OutputStream out = socket.getOutputStream();
      for (int i = 0; i < SERIES; i++) {
        for (int k = 0; k < POINTS; k++) {
          out.write(
              ("plain.s" + i + " " + value(i, k) + " " + (t0 + 10L * k) + "\n")
                  .getBytes(StandardCharsets.UTF_8));
        }
      }
      out.write((badLine + "\n").getBytes(StandardCharsets.UTF_8));
    }
    for (int i = 0; i < SERIES; i++) {
      awaitFinestArchive("plain.s" + i, i);
    }
  }

  @AfterAll
  static void stopPipeline() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (aggregator != null) {
      aggregator.close();
    }
    if (sink != null) {
      sink.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  @Order(1)
  void pointsFromConfluentsSerializerMakeTheSameFilesAsCarbonPlaintext() throws Exception {
    int id = produceWithNode(points, null, null, "node.s", null);

    // The schema Confluent's client registered is ours (the same parsing canonical form).
    assertThat(registry.versions(AvroSerde.valueSubject(points))).contains(id);
    assertThat(
            SchemaNormalization.parsingFingerprint64(
                new SchemaRegistryClient(registry.url(), null).schemaById(id)))
        .isEqualTo(SchemaNormalization.parsingFingerprint64(MetricPoint.getClassSchema()));
    for (int i = 0; i < SERIES; i++) {
      awaitSameFile("node.s" + i, "plain.s" + i, i);
    }
    assertThat(aggregator.metrics().counters().getOrDefault("rejected", 0L)).isZero();
    assertThat(rejectCounters(sink)).isEmpty();
  }

  @Test
  @Order(2)
  void aSecondCompatibleVersionRegisteredByConfluentsClientIsReadThroughSchemaResolution()
      throws Exception {
    String subject = AvroSerde.valueSubject(points);
    setCompatibility(registry.url(), subject, "BACKWARD");
    Path schema = work.resolve("with-host.avsc");
    Files.writeString(schema, WITH_HOST);
    List<Integer> before = registry.versions(subject);

    int id = produceWithNode(points, null, schema, "node2.s", "web01");

    assertThat(registry.versions(subject)).hasSize(before.size() + 1).endsWith(id);
    for (int i = 0; i < SERIES; i++) {
      awaitSameFile("node2.s" + i, "plain.s" + i, i);
    }
    assertThat(aggregator.metrics().counters().getOrDefault("rejected", 0L)).isZero();
  }

  @Test
  @Order(3)
  void confluentsDeserializerReadsOurPointsArchivesAndRejects() throws Exception {
    SchemaRegistryClient client = new SchemaRegistryClient(registry.url(), null);

    // carbon.points: the gateway's records and Confluent's own, both versions
    List<ConsumerRecord<String, MetricPoint>> ours = readToEnd(Topics.points(points, client));
    int pointCount = ours.size();
    assertThat(pointCount).isEqualTo(3 * SERIES * POINTS);
    Map<String, Map<String, Object>> theirs = readWithNode(points, pointCount);
    int withHost = 0;
    for (ConsumerRecord<String, MetricPoint> record : ours) {
      Map<String, Object> value = value(theirs, record);
      assertThat(value.get("metric")).isEqualTo(record.value().getMetric());
      assertThat(((Number) value.get("timestamp")).longValue())
          .isEqualTo(record.value().getTimestamp());
      assertThat(((Number) value.get("value")).doubleValue()).isEqualTo(record.value().getValue());
      if (record.value().getMetric().startsWith("node2.")) {
        assertThat(value).containsEntry("host", "web01");
        withHost++;
      } else {
        assertThat(value).containsOnlyKeys("metric", "timestamp", "value");
      }
    }
    assertThat(withHost).isEqualTo(SERIES * POINTS);

    // carbon.archives: every slot and raw point the aggregator wrote
    List<ConsumerRecord<String, ArchivePoint>> slots = readToEnd(Topics.archives(archives, client));
    int archiveCount = slots.size();
    assertThat(archiveCount).isGreaterThanOrEqualTo(3 * SERIES * POINTS);
    Map<String, Map<String, Object>> theirSlots = readWithNode(archives, archiveCount);
    for (ConsumerRecord<String, ArchivePoint> record : slots) {
      ArchivePoint slot = record.value();
      Map<String, Object> value = value(theirSlots, record);
      assertThat(value.get("metric")).isEqualTo(slot.getMetric());
      assertThat(((Number) value.get("archive")).intValue()).isEqualTo(slot.getArchive());
      assertThat(((Number) value.get("timestamp")).longValue()).isEqualTo(slot.getTimestamp());
      assertThat(((Number) value.get("value")).doubleValue()).isEqualTo(slot.getValue());
      assertThat(value.get("now") == null ? null : ((Number) value.get("now")).longValue())
          .isEqualTo(slot.getNow());
      @SuppressWarnings("unchecked")
      Map<String, Object> layout = (Map<String, Object>) value.get("layout");
      assertThat(layout.get("aggregationMethod"))
          .isEqualTo(slot.getLayout().getAggregationMethod());
      assertThat(((Number) layout.get("xFilesFactor")).floatValue())
          .isEqualTo(slot.getLayout().getXFilesFactor());
      List<String> retentions = new ArrayList<>();
      for (ArchiveRetention r : slot.getLayout().getArchives()) {
        retentions.add(r.getSecondsPerPoint() + ":" + r.getPoints());
      }
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> theirRetentions =
          (List<Map<String, Object>>) layout.get("archives");
      assertThat(
              theirRetentions.stream()
                  .map(r -> r.get("secondsPerPoint") + ":" + r.get("points"))
                  .toList())
          .isEqualTo(retentions);
    }

    // carbon.rejects: the gateway's reject of the bad line
    List<ConsumerRecord<String, Reject>> rejected = readToEnd(Topics.rejects(rejects, client));
    assertThat(rejected).hasSize(1);
    Reject reject = rejected.get(0).value();
    assertThat(new String(bytes(reject.getRaw()), StandardCharsets.UTF_8)).startsWith(badLine);
    Map<String, Object> theirReject = value(readWithNode(rejects, 1), rejected.get(0));
    assertThat(theirReject.get("raw")).isEqualTo(HexFormat.of().formatHex(bytes(reject.getRaw())));
    assertThat(theirReject.get("reason")).isEqualTo(reject.getReason());
    assertThat(theirReject.get("detail")).isEqualTo(reject.getDetail());
    assertThat(theirReject.get("protocol")).isEqualTo(reject.getProtocol());
    assertThat(theirReject.get("sourceAddress")).isEqualTo(reject.getSourceAddress());
    assertThat(
            theirReject.get("sourcePort") == null
                ? null
                : ((Number) theirReject.get("sourcePort")).intValue())
        .isEqualTo(reject.getSourcePort());
    assertThat(((Number) theirReject.get("arrivalTime")).longValue())
        .isEqualTo(reject.getArrivalTime());
  }

  @Test
  @Order(4)
  void bothClientsSeeTheRegistryRefuseAnIncompatibleSchema() throws Exception {
    String subject = AvroSerde.valueSubject(points);
    setCompatibility(registry.url(), subject, "BACKWARD");
    List<Integer> before = registry.versions(subject);
    String incompatible =
        MetricPoint.getClassSchema()
            .toString()
            .replace(
                "{\"name\":\"value\",\"type\":\"double\"}",
                "{\"name\":\"value\",\"type\":\"string\"}");
    assertThat(incompatible).contains("\"type\":\"string\"}]");
    Path file = work.resolve("incompatible.avsc");
    Files.writeString(file, incompatible);

    Map<String, Object> answer =
        Json.object(
            node(
                    "",
                    "register",
                    "--registry",
                    registry.url(),
                    "--subject",
                    subject,
                    "--schema",
                    file.toString())
                .strip());
    assertThat(((Number) answer.get("status")).intValue()).as("%s", answer).isEqualTo(409);
    assertThat(((Number) answer.get("errorCode")).intValue()).as("%s", answer).isEqualTo(409);

    SchemaRegistryClient client = new SchemaRegistryClient(registry.url(), null);
    assertThatThrownBy(() -> client.register(subject, new Schema.Parser().parse(incompatible)))
        .isInstanceOf(SerializationException.class)
        .isNotInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("HTTP 409")
        .hasMessageContaining("incompatible");
    assertThat(registry.versions(subject)).isEqualTo(before);
  }

  @Test
  @Order(5)
  void basicAuthWithBothClients() throws Exception {
    try (StubSchemaRegistry secured = new StubSchemaRegistry("graphite:s3cret")) {
      String topic = "auth-" + suffix;
      kafka.createTopics(1, topic);
      int id = produceWithNode(topic, "graphite:s3cret", null, "auth.s", null, secured.url());

      SchemaRegistryClient ours = new SchemaRegistryClient(secured.url(), "graphite:s3cret");
      assertThat(SchemaNormalization.parsingFingerprint64(ours.schemaById(id)))
          .isEqualTo(SchemaNormalization.parsingFingerprint64(MetricPoint.getClassSchema()));
      Topic<String, MetricPoint> withAuth = Topics.points(topic, ours);
      List<ConsumerRecord<String, MetricPoint>> read =
          KafkaRecords.consume(kafka.bootstrapServers(), withAuth, SERIES * POINTS, WAIT);
      assertThat(read).hasSize(SERIES * POINTS);
      assertThat(read.stream().map(r -> r.value().getMetric()).distinct()).hasSize(SERIES);
      for (ConsumerRecord<String, MetricPoint> r : read) {
        int series = r.value().getMetric().charAt(r.value().getMetric().length() - 1) - '0';
        int k = (int) ((r.value().getTimestamp() - t0) / 10);
        assertThat(r.value().getValue()).isEqualTo(value(series, k));
        assertThat(r.key()).isEqualTo(r.value().getMetric());
      }

      SchemaRegistryClient wrong = new SchemaRegistryClient(secured.url(), "graphite:wrong");
      assertThatThrownBy(() -> wrong.schemaById(id))
          .isInstanceOf(SerializationException.class)
          .isNotInstanceOf(RegistryUnavailableException.class)
          .hasMessageContaining("HTTP 401");
      Path schema = work.resolve("metric-point.avsc");
      Files.writeString(schema, MetricPoint.getClassSchema().toString());
      Map<String, Object> refused =
          Json.object(
              node(
                      "",
                      "register",
                      "--registry",
                      secured.url(),
                      "--user-info",
                      "graphite:wrong",
                      "--subject",
                      topic + "-value",
                      "--schema",
                      schema.toString())
                  .strip());
      assertThat(((Number) refused.get("status")).intValue()).as("%s", refused).isEqualTo(401);
    }
  }

  @Test
  @Order(6)
  void aRegistryRestartMidStreamLosesNothingAndRejectsNothing() throws Exception {
    // Confluent's serializer writes points with a version the services have not seen yet, to a
    // holding topic; the registry stops, and the records are put on the points topic byte for byte.
    String hold = "hold-" + suffix;
    kafka.createTopics(3, hold);
    Path schema = work.resolve("with-host.avsc");
    Files.writeString(schema, WITH_HOST.replace("\"host\"", "\"rack\""));
    int id = produceWithNode(hold, null, schema, "restart.s", "r7");
    assertThat(registry.versions(AvroSerde.valueSubject(hold))).containsExactly(id);
    long rejectedBefore = aggregator.metrics().counters().getOrDefault("rejected", 0L);

    registry.stop();
    try {
      copyRecords(hold, points, SERIES * POINTS);
      Thread.sleep(4000);
      assertThat(aggregator.metrics().counters().getOrDefault("rejected", 0L))
          .isEqualTo(rejectedBefore);
      assertThat(Files.exists(whisperFile("restart.s0"))).isFalse();
    } finally {
      registry.restart();
    }

    for (int i = 0; i < SERIES; i++) {
      awaitSameFile("restart.s" + i, "plain.s" + i, i);
    }
    assertThat(aggregator.metrics().counters().getOrDefault("rejected", 0L))
        .isEqualTo(rejectedBefore);
    assertThat(rejectCounters(sink)).isEmpty();
  }

  @Test
  @Order(7)
  void anUnknownIdIsRejectedWithItsReasonAndAGarbageAnsweringRegistryIsWaitedFor()
      throws Exception {
    String hold = "garbage-" + suffix;
    kafka.createTopics(3, hold);
    Path schema = work.resolve("with-dc.avsc");
    Files.writeString(schema, WITH_HOST.replace("\"host\"", "\"dc\""));
    produceWithNode(hold, null, schema, "garbage.s", "ams");
    SchemaRegistryClient client = new SchemaRegistryClient(registry.url(), null);
    Topic<String, Reject> rejectsTopic = Topics.rejects(rejects, client);
    int rejectsBefore = readToEnd(rejectsTopic).size();
    long rejectedBefore = aggregator.metrics().counters().getOrDefault("rejected", 0L);

    // One of Confluent's records with a schema id no registry assigned: rejected, with its bytes.
    byte[] unknown = firstValue(hold).clone();
    ByteBuffer.wrap(unknown, 1, 4).putInt(987_654);
    produceRaw(points, List.of(new ProducerRecord<>(points, "garbage.unknown", unknown)));
    Await.until(
        "the aggregator rejected the unknown schema id",
        WAIT,
        () -> readToEnd(rejectsTopic).size() > rejectsBefore);
    List<Reject> added =
        readToEnd(rejectsTopic).stream().skip(rejectsBefore).map(ConsumerRecord::value).toList();
    assertThat(added).hasSize(1);
    assertThat(added.get(0).getReason()).isEqualTo("unknown_schema");
    assertThat(added.get(0).getDetail()).contains("987654");
    assertThat(added.get(0).getProtocol()).isEqualTo("stream-aggregator");
    assertThat(bytes(added.get(0).getRaw())).isEqualTo(unknown);
    assertThat(aggregator.metrics().counters().get("rejects.unknown_schema")).isEqualTo(1L);

    // Records of a version new to the services while the registry answers 200 with an HTML page:
    // the aggregator waits (nothing rejected, nothing written) and carries on when it answers
    // properly.
    registry.garbage(true);
    try {
      copyRecords(hold, points, SERIES * POINTS);
      Thread.sleep(4000);
      assertThat(aggregator.metrics().counters().getOrDefault("rejected", 0L))
          .isEqualTo(rejectedBefore + 1);
      assertThat(Files.exists(whisperFile("garbage.s0"))).isFalse();
    } finally {
      registry.garbage(false);
    }
    for (int i = 0; i < SERIES; i++) {
      awaitSameFile("garbage.s" + i, "plain.s" + i, i);
    }
    assertThat(aggregator.metrics().counters().getOrDefault("rejected", 0L))
        .isEqualTo(rejectedBefore + 1);
    assertThat(readToEnd(rejectsTopic)).hasSize(rejectsBefore + 1);
    assertThat(rejectCounters(sink)).isEmpty();
  }

  @Test
  @Order(8)
  void theDocumentedNodeProducerIsTheOneThatRan() throws Exception {
    String doc = Files.readString(HOME.resolve("docs/PRODUCERS.md"));
    String source = Files.readString(NODE_SOURCES.resolve("metric-point-producer.js"));
    assertThat(doc).contains("```javascript\n" + source + "```");
    String packageJson = Files.readString(NODE_SOURCES.resolve("package.json"));
    for (String dependency : List.of("@confluentinc/schemaregistry", "kafkajs")) {
      Matcher pinned =
          Pattern.compile("\"" + Pattern.quote(dependency) + "\": \"([0-9.]+)\"")
              .matcher(packageJson);
      assertThat(pinned.find()).as(dependency + " pinned in package.json").isTrue();
      assertThat(doc).contains(dependency + "@" + pinned.group(1));
    }
  }

  // --- Node.js ---

  /**
   * Skips the whole class, saying why on the build's output too (a skip in @BeforeAll is not
   * listed).
   */
  private static void skipUnless(boolean condition, String why) {
    if (!condition) {
      System.err.println("ConfluentClientsIT skipped: " + why);
    }
    assumeTrue(condition, "skipping: " + why);
  }

  private static int nodeVersion() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("v")) {
        return 0;
      }
      return Integer.parseInt(out.substring(1, out.indexOf('.')));
    } catch (IOException | RuntimeException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /**
   * Copies the scripts and the lockfile into target/confluent-node and runs {@code npm ci} there
   * when the installed packages are not the locked ones; skips the test when npm is missing or
   * fails.
   */
  private static void installNodePackages() throws Exception {
    Files.createDirectories(NODE_DIR);
    for (String name :
        List.of("package.json", "package-lock.json", "metric-point-producer.js", "clients.js")) {
      Files.copy(
          NODE_SOURCES.resolve(name), NODE_DIR.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
    Path installedLock = NODE_DIR.resolve("node_modules/.installed-package-lock.json");
    byte[] lock = Files.readAllBytes(NODE_DIR.resolve("package-lock.json"));
    if (Files.exists(installedLock) && Arrays.equals(Files.readAllBytes(installedLock), lock)) {
      return;
    }
    String output;
    int exit;
    try {
      Process p =
          new ProcessBuilder(
                  "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
              .directory(NODE_DIR.toFile())
              .redirectErrorStream(true)
              .start();
      output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      exit = p.waitFor(5, TimeUnit.MINUTES) ? p.exitValue() : -1;
    } catch (IOException e) {
      output = e.toString();
      exit = -1;
    }
    skipUnless(
        exit == 0,
        "npm could not install the pinned Confluent packages"
            + " (apt-get install npm; the npm registry must be reachable): "
            + output.strip());
    Files.write(installedLock, lock);
  }

  /** Skips the class when the installed packages do not load on this Node.js, saying why. */
  private static void checkNodePackagesLoad() throws Exception {
    Process p =
        new ProcessBuilder("node", "-e", "require('./metric-point-producer')")
            .directory(NODE_DIR.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean loaded = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    skipUnless(
        loaded,
        "Confluent's npm packages do not load on Node.js " + nodeVersion() + ": " + output.strip());
  }

  /**
   * Runs clients.js with the arguments and {@code input} on stdin; returns stdout, fails on an
   * error.
   */
  private static String node(String input, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("node", NODE_DIR.resolve("clients.js").toString()));
    command.addAll(List.of(args));
    Path errors = Files.createTempFile(work, "node", ".err");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
    builder.environment().put("KAFKAJS_NO_PARTITIONER_WARNING", "1");
    Process p = builder.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("node " + args[0] + " still running:\n" + Files.readString(errors));
    }
    assertThat(p.exitValue())
        .as("node clients.js %s:\n%s%s", args[0], out, Files.readString(errors))
        .isZero();
    return out;
  }

  private static int produceWithNode(
      String topic, String userInfo, Path schema, String prefix, String extra) throws Exception {
    return produceWithNode(topic, userInfo, schema, prefix, extra, registry.url());
  }

  /**
   * Sends the reference points for series {@code prefix0..} through MetricPointProducer; with a
   * schema file, each point also carries {@code extra} in the schema's added field. Returns the id.
   */
  private static int produceWithNode(
      String topic, String userInfo, Path schema, String prefix, String extra, String registryUrl)
      throws Exception {
    String field =
        schema == null
            ? null
            : ((Map<?, ?>) ((List<?>) Json.object(Files.readString(schema)).get("fields")).get(3))
                .get("name")
                .toString();
    StringBuilder input = new StringBuilder();
    for (int i = 0; i < SERIES; i++) {
      for (int k = 0; k < POINTS; k++) {
        input
            .append("{\"metric\":\"")
            .append(prefix)
            .append(i)
            .append("\",\"timestamp\":")
            .append(t0 + 10L * k)
            .append(",\"value\":")
            .append(value(i, k));
        if (field != null) {
          input.append(",\"").append(field).append("\":\"").append(extra).append('"');
        }
        input.append("}\n");
      }
    }
    List<String> args =
        new ArrayList<>(
            List.of(
                "produce",
                "--brokers",
                kafka.bootstrapServers(),
                "--registry",
                registryUrl,
                "--topic",
                topic));
    if (userInfo != null) {
      args.addAll(List.of("--user-info", userInfo));
    }
    if (schema != null) {
      args.addAll(List.of("--schema", schema.toString()));
    }
    String out = node(input.toString(), args.toArray(String[]::new));
    Matcher id = Pattern.compile("schema-id (\\d+)").matcher(out);
    assertThat(id.find()).as(out).isTrue();
    return Integer.parseInt(id.group(1));
  }

  /**
   * Reads {@code count} records of a topic with Confluent's deserializer, by "partition@offset".
   */
  private static Map<String, Map<String, Object>> readWithNode(String topic, int count)
      throws Exception {
    String out =
        node(
            "",
            "read",
            "--brokers",
            kafka.bootstrapServers(),
            "--registry",
            registry.url(),
            "--topic",
            topic,
            "--count",
            String.valueOf(count),
            "--timeout-ms",
            "60000");
    Map<String, Map<String, Object>> byPosition = new HashMap<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        Map<String, Object> record = Json.object(line);
        @SuppressWarnings("unchecked")
        Map<String, Object> value = (Map<String, Object>) record.get("value");
        byPosition.put(record.get("partition") + "@" + record.get("offset"), value);
      }
    }
    assertThat(byPosition).hasSize(count);
    return byPosition;
  }

  private static Map<String, Object> value(
      Map<String, Map<String, Object>> byPosition, ConsumerRecord<?, ?> record) {
    Map<String, Object> value = byPosition.get(record.partition() + "@" + record.offset());
    assertThat(value)
        .as(
            "Confluent's deserializer read %s-%d@%d",
            record.topic(), record.partition(), record.offset())
        .isNotNull();
    return value;
  }

  // --- Kafka and the registry ---

  private static void setCompatibility(String url, String subject, String level) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url + "/config/" + subject))
                    .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                    .PUT(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"compatibility\":\"" + level + "\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  /** Every committed record of a topic, read without a consumer group up to its end offsets. */
  private static <V> List<ConsumerRecord<String, V>> readToEnd(Topic<String, V> topic) {
    try (KafkaConsumer<String, V> consumer =
        KafkaClients.consumer(
            kafka.bootstrapServers(),
            topic,
            Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic.name()).stream()
              .map(p -> new TopicPartition(topic.name(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, V>> out = new ArrayList<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        assertThat(System.nanoTime())
            .as("reading %s to its end", topic.name())
            .isLessThan(deadline);
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  private static List<ConsumerRecord<String, byte[]>> rawRecords(String topic, int count) {
    return KafkaRecords.consume(
        kafka.bootstrapServers(),
        new Topic<>(topic, Serdes.String(), Serdes.ByteArray()),
        count,
        WAIT);
  }

  private static byte[] firstValue(String topic) {
    return rawRecords(topic, 1).get(0).value();
  }

  /** Puts a topic's records on another, byte for byte, with their keys. */
  private static void copyRecords(String from, String to, int count) {
    List<ConsumerRecord<String, byte[]>> records = rawRecords(from, count);
    assertThat(records).hasSize(count);
    produceRaw(
        to, records.stream().map(r -> new ProducerRecord<>(to, r.key(), r.value())).toList());
  }

  private static void produceRaw(String topic, List<ProducerRecord<String, byte[]>> records) {
    try (KafkaProducer<String, byte[]> producer =
        KafkaClients.producer(
            kafka.bootstrapServers(),
            new StringSerializer(),
            new ByteArraySerializer(),
            Map.of())) {
      KafkaRecords.sendAll(producer, records);
    }
  }

  private static Map<String, Long> rejectCounters(Sink sink) {
    Map<String, Long> out = new HashMap<>();
    sink.metrics()
        .counters()
        .forEach(
            (k, v) -> {
              if (k.startsWith("rejects.") && v > 0) {
                out.put(k, v);
              }
            });
    return out;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }

  // --- Whisper files ---

  /** Value of point k of series i: distinct per series and point, exact in binary. */
  private static double value(int series, int k) {
    return series * 100 + k + 0.25;
  }

  private static Path whisperFile(String metric) {
    return dataDir.resolve("whisper").resolve(metric.replace('.', '/') + ".wsp");
  }

  private static void awaitFinestArchive(String metric, int series) throws Exception {
    List<Double> expected = new ArrayList<>();
    for (int k = 0; k < POINTS; k++) {
      expected.add(value(series, k));
    }
    String[] last = {"no file"};
    Await.until(
        metric + " holds its " + POINTS + " points",
        WAIT,
        Await.quietly(
            () -> {
              if (!Files.exists(whisperFile(metric))) {
                return false;
              }
              try (WhisperFile w = WhisperFile.openReadOnly(whisperFile(metric))) {
                Double[] values =
                    w.fetch(t0 - 1, t0 + 10L * POINTS - 1, System.currentTimeMillis() / 1000)
                        .values();
                last[0] = Arrays.toString(values);
                return Arrays.asList(values).equals(expected);
              }
            }),
        () -> last[0]);
  }

  /**
   * Every archive of both files over the points' ten minutes, as fetched at that archive's step.
   */
  private static List<String> archivesOf(String metric) throws IOException {
    List<String> out = new ArrayList<>();
    long now = System.currentTimeMillis() / 1000;
    try (WhisperFile w = WhisperFile.openReadOnly(whisperFile(metric))) {
      for (ArchiveSpec archive : w.layout().archives()) {
        out.add(
            archive
                + " "
                + Arrays.toString(
                    w.fetch(t0 - 1, t0 + 599, now, archive.secondsPerPoint()).values()));
      }
    }
    return out;
  }

  private static void awaitSameFile(String metric, String reference, int series) throws Exception {
    awaitFinestArchive(metric, series);
    List<String> expected = archivesOf(reference);
    assertThat(expected).hasSizeGreaterThan(1);
    assertThat(expected.get(1)).as("the reference holds a rollup").doesNotContain("[null, null");
    String[] last = {""};
    Await.until(
        metric + " holds what " + reference + " holds in every archive",
        WAIT,
        Await.quietly(
            () -> {
              List<String> actual = archivesOf(metric);
              last[0] = actual.toString();
              return actual.equals(expected);
            }),
        () -> last[0] + "\nexpected " + expected);
    try (WhisperFile a = WhisperFile.openReadOnly(whisperFile(metric));
        WhisperFile b = WhisperFile.openReadOnly(whisperFile(reference))) {
      assertThat(a.layout()).isEqualTo(b.layout());
    }
  }

  /** The JSON the Node.js driver prints. */
  private static final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String text) {
      try {
        return MAPPER.readValue(text, Map.class);
      } catch (IOException e) {
        throw new AssertionError("not a JSON object: " + text, e);
      }
    }
  }
}

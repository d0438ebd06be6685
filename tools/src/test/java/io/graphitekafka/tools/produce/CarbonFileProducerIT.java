package io.graphitekafka.tools.produce;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.KafkaRecords;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code graphite-kafka produce} against a real broker: every valid point of a file of lines or a
 * stream of pickle frames is on the points topic exactly once, as the gateway would have produced
 * it, and every bad line or frame is on the rejects topic with its reason and where it was.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CarbonFileProducerIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private static Map<String, Object> config(EmbeddedKafkaBroker kafka, String suffix) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProduceConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(ProduceConfig.POINTS_TOPIC, "points-" + suffix);
    props.put(ProduceConfig.REJECTS_TOPIC, "rejects-" + suffix);
    props.put(ProduceConfig.TIMEOUT_SECONDS, "30");
    return props;
  }

  @Test
  void producesEveryValidLineOfAFileOnceAndEveryBadLineToRejects(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(3, "points-" + suffix, "rejects-" + suffix);
    Path file = dir.resolve("backfill.txt");
    String longName = "x".repeat(300);
    Files.writeString(
        file,
        String.join(
            "\n",
            "servers.web01.cpu 1.5 1700000000",
            "servers.web01.cpu 2.5 1700000010",
            "disk.used;host=web01;dc=ams 42 1700000000", // tags are sorted, as by the gateway
            "servers.web02.cpu not-a-number 1700000000", // line 4: bad_value
            "servers.web02.cpu 3 1700000000 extra", // line 5: field_count
            "", // line 6: empty_line
            "servers.web02.mem nan 1700000000", // line 7: nan_value
            "servers..web02 1 1700000000", // line 8: invalid_name
            "servers.web03.cpu 7 -1", // now
            "servers.web03.crlf 8 1700000000\r",
            longName + " 1 1700000000", // line 11: longer than max.line.length
            "servers.web03.last 9 1700000020"), // no final newline
        StandardCharsets.UTF_8);
    Map<String, Object> props = config(kafka, suffix);
    props.put(ProduceConfig.INPUT, file.toString());
    props.put(ProduceConfig.MAX_LINE_LENGTH, "200");

    long before = System.currentTimeMillis() / 1000;
    CarbonFileProducer.Summary summary;
    try (InputStream in = Files.newInputStream(file)) {
      summary = new CarbonFileProducer(new ProduceConfig(props)).run(in, file.toString());
    }
    long after = System.currentTimeMillis() / 1000;

    assertThat(summary.failure()).isNull();
    assertThat(summary.points()).isEqualTo(6);
    assertThat(summary.rejects())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "bad_value",
                1L,
                "field_count",
                1L,
                "empty_line",
                1L,
                "nan_value",
                1L,
                "invalid_name",
                1L,
                "line_too_long",
                1L));
    assertThat(summary.exitCode()).isEqualTo(CarbonFileProducer.Summary.EXIT_REJECTS);
    assertThat(summary.describe())
        .contains("produced 6 points", "rejected 6", "bad_value 1", "rejects-" + suffix);

    List<ConsumerRecord<String, MetricPoint>> points =
        KafkaRecords.consume(kafka.bootstrapServers(), Topics.points("points-" + suffix), 6, WAIT);
    assertThat(points).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getMetric()));
    assertThat(points.stream().filter(r -> r.key().equals("servers.web03.cpu")).toList())
        .singleElement()
        .satisfies(r -> assertThat(r.value().getTimestamp()).isBetween(before, after));
    assertThat(points)
        .extracting(
            r ->
                r.key()
                    + " "
                    + r.value().getValue()
                    + " "
                    + (r.key().equals("servers.web03.cpu") ? "now" : r.value().getTimestamp()))
        .containsExactlyInAnyOrder(
            "servers.web01.cpu 1.5 1700000000",
            "servers.web01.cpu 2.5 1700000010",
            "disk.used;dc=ams;host=web01 42.0 1700000000",
            "servers.web03.cpu 7.0 now",
            "servers.web03.crlf 8.0 1700000000",
            "servers.web03.last 9.0 1700000020");

    List<ConsumerRecord<String, Reject>> rejects =
        KafkaRecords.consume(
            kafka.bootstrapServers(), Topics.rejects("rejects-" + suffix), 6, WAIT);
    assertThat(rejects)
        .extracting(r -> r.value().getReason() + " " + r.value().getSourceAddress())
        .containsExactlyInAnyOrder(
            "bad_value " + file + ":4",
            "field_count " + file + ":5",
            "empty_line " + file + ":6",
            "nan_value " + file + ":7",
            "invalid_name " + file + ":8",
            "line_too_long " + file + ":11");
    assertThat(rejects)
        .allSatisfy(
            r -> assertThat(r.value().getProtocol()).isEqualTo(CarbonFileProducer.PROTOCOL));
    assertThat(rejects.stream().filter(r -> r.value().getReason().equals("bad_value")).toList())
        .singleElement()
        .satisfies(
            r ->
                assertThat(StandardCharsets.UTF_8.decode(r.value().getRaw()).toString())
                    .isEqualTo("servers.web02.cpu not-a-number 1700000000"));
  }

  @Test
  void producesPickleFramesFromAStreamAndRejectsBadFramesWhole(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(3, "points-" + suffix, "rejects-" + suffix);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream stream = new DataOutputStream(bytes);
    frame(stream, resource("relay-p2")); // 6 points
    frame(stream, resource("evil-global-reduce-p2")); // refused whole: pickle_forbidden_opcode
    frame(stream, resource("shapes-p2")); // 2 points, 8 bad elements: one reject record
    stream.writeInt(2 << 20); // more than max.pickle.frame.length: skipped
    stream.write(new byte[2 << 20]);
    frame(stream, resource("mixed-p2")); // 4 points
    stream.writeInt(100); // truncated by the end of the input
    stream.write(resource("relay-p2"), 0, 10);
    Map<String, Object> props = config(kafka, suffix);
    props.put(ProduceConfig.FORMAT, "pickle");
    props.put(ProduceConfig.MAX_REJECTS, "100");

    CarbonFileProducer.Summary summary =
        new CarbonFileProducer(new ProduceConfig(props))
            .run(new ByteArrayInputStream(bytes.toByteArray()), "stdin");

    assertThat(summary.failure()).isNull();
    assertThat(summary.points()).isEqualTo(12);
    assertThat(summary.rejects())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "pickle_forbidden_opcode",
                1L,
                "pickle_shape",
                6L,
                "bad_value",
                2L,
                "pickle_too_large",
                1L,
                "bad_pickle",
                1L));
    assertThat(summary.exitCode()).as("rejects within max.rejects").isZero();

    List<ConsumerRecord<String, MetricPoint>> points =
        KafkaRecords.consume(kafka.bootstrapServers(), Topics.points("points-" + suffix), 12, WAIT);
    assertThat(points)
        .extracting(ConsumerRecord::key)
        .containsExactlyInAnyOrder(
            "carbon.agents.host-a.cpuUsage",
            "servers.web01.load",
            "servers.web01.big",
            "servers.café.über",
            "tagged;dc=ams;env=prod",
            "servers.web01.inf",
            "shape.ok",
            "shape.ok.last",
            "mixed.list.list",
            "mixed.tuple.list",
            "mixed.list.tuple",
            "mixed.tuple.tuple");
    assertThat(points.stream().filter(r -> r.key().equals("servers.web01.load")).toList())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.value().getTimestamp()).isEqualTo(1700000010L);
              assertThat(r.value().getValue()).isEqualTo(2.0);
            });

    // one reject record per bad frame, at the frame's byte offset in the stream
    List<ConsumerRecord<String, Reject>> rejects =
        KafkaRecords.consume(
            kafka.bootstrapServers(), Topics.rejects("rejects-" + suffix), 4, WAIT);
    assertThat(rejects)
        .extracting(r -> r.value().getReason().toString())
        .containsExactlyInAnyOrder(
            "pickle_forbidden_opcode", "pickle_shape", "pickle_too_large", "bad_pickle");
    assertThat(rejects)
        .allSatisfy(r -> assertThat(r.value().getSourceAddress().toString()).matches("stdin@\\d+"));
  }

  private static byte[] resource(String name) throws Exception {
    try (InputStream in =
        CarbonFileProducerIT.class.getResourceAsStream("/carbon/pickles/" + name + ".pickle")) {
      return in.readAllBytes();
    }
  }

  private static void frame(DataOutputStream out, byte[] pickle) throws Exception {
    out.writeInt(pickle.length);
    out.write(pickle);
  }
}

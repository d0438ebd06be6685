package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.ChildProcesses;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/graphite-kafka produce} as a script runs it: a real child process reading standard
 * input or a file, its exit status and summary, and the records read back from the broker.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class ProduceCommandIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  /** Runs the command with {@code stdin} as its input; returns its exit status and output. */
  private static Result run(byte[] stdin, String... args) throws Exception {
    Process p = ChildProcesses.launcher(HOME, "-Xmx256m", args).start();
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (Exception e) {
                return e.toString();
              }
            });
    p.getOutputStream().write(stdin);
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError("produce did not finish: " + output.getNow(""));
    }
    return new Result(p.exitValue(), output.get(30, TimeUnit.SECONDS));
  }

  private record Result(int exit, String output) {}

  @Test
  void linesOnStandardInputArePointsAndABadLineMakesTheExitStatusThree(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix);
    String input =
        "script.a 1 1700000000\nscript.b;z=1;a=2 2 1700000000\nscript.c 3 1700000000\n"
            + "script.d oops 1700000000\n";

    Result result =
        run(
            input.getBytes(StandardCharsets.UTF_8),
            "produce",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--topic",
            "points-" + suffix,
            "--rejects-topic",
            "rejects-" + suffix,
            "-");

    assertThat(result.exit()).as(result.output()).isEqualTo(3);
    assertThat(result.output())
        .contains("produced 3 points from stdin", "rejected 1 (bad_value 1)");
    assertThat(consume(kafka, Topics.points("points-" + suffix), 3))
        .extracting(r -> r.key() + "=" + r.value().getValue())
        .containsExactlyInAnyOrder("script.a=1.0", "script.b;a=2;z=1=2.0", "script.c=3.0");
    assertThat(consume(kafka, Topics.rejects("rejects-" + suffix), 1))
        .extracting(r -> r.value().getReason() + " " + r.value().getSourceAddress())
        .containsExactly("bad_value stdin:4");
  }

  @Test
  void pickleFramesFromAFileArePointsAndTheExitStatusIsZero(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix);
    Path file = dir.resolve("relay.pickles");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    for (int frame = 0; frame < 3; frame++) {
      byte[] pickle =
          pickle(
              List.of("relay.f" + frame + ".x", "relay.f" + frame + ".y"),
              1700000000L + frame,
              frame + 0.5);
      out.writeInt(pickle.length);
      out.write(pickle);
    }
    Files.write(file, bytes.toByteArray());

    Result result =
        run(
            new byte[0],
            "produce",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--topic",
            "points-" + suffix,
            "--rejects-topic",
            "rejects-" + suffix,
            "--format",
            "pickle",
            file.toString());

    assertThat(result.exit()).as(result.output()).isZero();
    assertThat(result.output()).contains("produced 6 points from " + file, "no rejects");
    assertThat(consume(kafka, Topics.points("points-" + suffix), 6))
        .extracting(r -> r.key() + " " + r.value().getTimestamp() + " " + r.value().getValue())
        .containsExactlyInAnyOrder(
            "relay.f0.x 1700000000 0.5", "relay.f0.y 1700000000 0.5",
            "relay.f1.x 1700000001 1.5", "relay.f1.y 1700000001 1.5",
            "relay.f2.x 1700000002 2.5", "relay.f2.y 1700000002 2.5");
  }

  /**
   * A protocol-0 pickle of {@code [(name, (timestamp, value)), ...]}, the shape carbon-relay sends:
   * MARK LIST, then per element MARK STRING MARK INT FLOAT TUPLE TUPLE APPEND, and STOP.
   */
  private static byte[] pickle(List<String> names, long timestamp, double value) {
    StringBuilder s = new StringBuilder("(l");
    for (String name : names) {
      s.append("(S'")
          .append(name)
          .append("'\n(I")
          .append(timestamp)
          .append("\nF")
          .append(value)
          .append("\ntta");
    }
    return s.append('.').toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static <V> List<ConsumerRecord<String, V>> consume(
      EmbeddedKafkaBroker kafka, Topic<String, V> topic, int expected) {
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            topic.keySerde().deserializer(),
            topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // one more poll, so that a duplicate beyond the expected count is seen too
      consumer.poll(Duration.ofMillis(500)).forEach(out::add);
    }
    return out;
  }
}

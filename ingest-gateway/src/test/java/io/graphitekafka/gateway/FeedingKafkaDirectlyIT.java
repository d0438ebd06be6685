package io.graphitekafka.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.KafkaRecords;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The two ways the docs tell producers to feed raw Carbon lines through Kafka: the kcat one-liner
 * (Debian's kcat, run for real) and the Telegraf example config (read, and its output format sent).
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeedingKafkaDirectlyIT {

  private static final Path TELEGRAF_EXAMPLE =
      Path.of(System.getProperty("graphite.kafka.home", ".."))
          .resolve("docs/examples/telegraf-carbon-lines.conf");

  @Test
  void theKcatOneLinerFeedsTheLinesTopic(EmbeddedKafkaBroker kafka) throws Exception {
    Path kcat = Path.of("/usr/bin/kcat");
    Assumptions.assumeTrue(Files.isExecutable(kcat), "kcat is not installed (Debian package kcat)");
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix, "lines-" + suffix);

    // the README's one-liner, with this test's broker and topic:
    //   echo "demo.cpu.user 42 $(date +%s)" | kcat -P -b localhost:9092 -t carbon.lines
    Process p =
        new ProcessBuilder(
                kcat.toString(), "-P", "-b", kafka.bootstrapServers(), "-t", "lines-" + suffix)
            .redirectErrorStream(true)
            .start();
    p.getOutputStream()
        .write(
            ("kcat.cpu.user 42 1700000000\nkcat.cpu.system 7 1700000000\n")
                .getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    try (Gateway gateway = new Gateway(new GatewayConfig(GatewayIT.baseConfig(kafka, suffix)))) {
      gateway.start();
      List<ConsumerRecord<String, MetricPoint>> points =
          KafkaRecords.consume(
              kafka.bootstrapServers(),
              Topics.points("points-" + suffix),
              2,
              java.time.Duration.ofSeconds(30));
      assertThat(points)
          .extracting(r -> r.value().getMetric() + "=" + r.value().getValue())
          .containsExactlyInAnyOrder("kcat.cpu.user=42.0", "kcat.cpu.system=7.0");
    }
  }

  @Test
  void theTelegrafExampleWritesWhatTheLinesReceiverReads(EmbeddedKafkaBroker kafka)
      throws Exception {
    String config = Files.readString(TELEGRAF_EXAMPLE);
    assertThat(setting(config, "topic")).isEqualTo("\"carbon.lines\"");
    assertThat(setting(config, "data_format")).isEqualTo("\"graphite\"");
    assertThat(setting(config, "graphite_tag_support")).isEqualTo("true");
    assertThat(config).contains("[[outputs.kafka]]");

    // Telegraf's graphite serializer with tag support writes name;tag=value lines, several fields
    // of one metric per record value, newline-terminated.
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, "points-" + suffix, "rejects-" + suffix, "lines-" + suffix);
    String telegrafValue =
        "cpu_usage_idle;cpu=cpu-total;host=web01 98.5 1700000000\n"
            + "cpu_usage_user;cpu=cpu-total;host=web01 1.25 1700000000\n";
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  "lines-" + suffix, telegrafValue.getBytes(StandardCharsets.UTF_8)))
          .get();
    }
    try (Gateway gateway = new Gateway(new GatewayConfig(GatewayIT.baseConfig(kafka, suffix)))) {
      gateway.start();
      List<ConsumerRecord<String, MetricPoint>> points =
          KafkaRecords.consume(
              kafka.bootstrapServers(),
              Topics.points("points-" + suffix),
              2,
              java.time.Duration.ofSeconds(30));
      assertThat(points)
          .extracting(ConsumerRecord::key)
          .containsExactlyInAnyOrder(
              "cpu_usage_idle;cpu=cpu-total;host=web01", "cpu_usage_user;cpu=cpu-total;host=web01");
    }
  }

  /** The value of {@code key = value} in a TOML file, comments and whitespace aside. */
  private static String setting(String toml, String key) {
    Matcher m =
        Pattern.compile("(?m)^\\s*" + Pattern.quote(key) + "\\s*=\\s*([^#\\n]*?)\\s*(#.*)?$")
            .matcher(toml);
    assertThat(m.find()).as("%s in the Telegraf example", key).isTrue();
    return m.group(1);
  }
}

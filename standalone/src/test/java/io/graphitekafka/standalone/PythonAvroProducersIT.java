package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.graphitekafka.aggregator.Aggregator;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.StubSchemaRegistry;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.testing.KafkaClients;
import io.graphitekafka.testing.KafkaRecords;
import io.graphitekafka.whisper.WhisperFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Producers that write {@code MetricPoint}s to Kafka themselves, with an Avro implementation that
 * is not ours: Debian's python3-avro encodes the bodies and {@code
 * src/test/python/encode_points.py} builds each wire format's header by hand (the single-object
 * fingerprint, or the Confluent id it registered over the registry's REST API). The values go
 * straight onto the points topic; the aggregator and the sink, both configured with the registry,
 * must put every point in the files, read back by our reader and by Debian's whisper-fetch.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class PythonAvroProducersIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final Path SCRIPT = HOME.resolve("standalone/src/test/python/encode_points.py");
  private static final Path SCHEMA = HOME.resolve("schemas/src/main/avro/MetricPoint.avsc");
  private static final int SERIES = 4;
  private static final int POINTS = 12;

  @TempDir Path work;

  @BeforeAll
  static void needsPythonAvro() throws Exception {
    boolean present =
        Files.isExecutable(PYTHON)
            && new ProcessBuilder(PYTHON.toString(), "-c", "import avro.io, avro.schema")
                    .redirectErrorStream(true)
                    .start()
                    .waitFor()
                == 0;
    assumeTrue(
        present, "skipping: Debian's python3-avro is not installed (apt-get install python3-avro)");
  }

  @Test
  void pointsEncodedByPythonAvroReachTheFilesInBothWireFormats(EmbeddedKafkaBroker kafka)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String points = "points-" + suffix;
    String archives = "archives-" + suffix;
    String rejects = "rejects-" + suffix;
    kafka.createTopics(3, points, archives, rejects);
    long now = System.currentTimeMillis() / 1000;
    long t0 = now - Math.floorMod(now, 600) - 600;

    try (StubSchemaRegistry registry = new StubSchemaRegistry(null)) {
      List<byte[]> single = encode(lines("py.single", t0), "single-object");
      List<byte[]> confluent =
          encode(lines("py.confluent", t0), "confluent", registry.url(), points + "-value");
      assertThat(single.get(0)[0]).isEqualTo((byte) 0xC3);
      assertThat(confluent.get(0)[0]).isZero();
      assertThat(registry.versions(points + "-value")).hasSize(1);
      produce(kafka, points, single);
      produce(kafka, points, confluent);

      Path dataDir = work.resolve("data");
      Map<String, Object> aggregator = new HashMap<>();
      aggregator.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      aggregator.put(AggregatorConfig.APPLICATION_ID, "python-avro-" + suffix);
      aggregator.put(AggregatorConfig.STATE_DIR, work.resolve("streams").toString());
      aggregator.put(AggregatorConfig.CONF_DIR, HOME.resolve("conf").toString());
      aggregator.put(AggregatorConfig.POINTS_TOPIC, points);
      aggregator.put(AggregatorConfig.ARCHIVES_TOPIC, archives);
      aggregator.put(AggregatorConfig.REJECTS_TOPIC, rejects);
      aggregator.put(AggregatorConfig.METRIC_INTERVAL_SECONDS, 0);
      aggregator.put(RegistrySettings.URL, registry.url());
      Map<String, Object> sink = new HashMap<>();
      sink.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      sink.put(SinkConfig.DATA_DIR, dataDir.toString());
      sink.put(SinkConfig.GROUP_ID, "sink-python-avro-" + suffix);
      sink.put(SinkConfig.ARCHIVES_TOPIC, archives);
      sink.put(SinkConfig.REJECTS_TOPIC, rejects);
      sink.put(SinkConfig.METRICS_INTERVAL_SECONDS, "0");
      sink.put(RegistrySettings.URL, registry.url());

      try (Aggregator a = new Aggregator(new AggregatorConfig(aggregator));
          Sink s = new Sink(new SinkConfig(sink))) {
        s.start();
        a.start();
        for (String prefix : List.of("py.single", "py.confluent")) {
          for (int i = 0; i < SERIES; i++) {
            awaitSeries(dataDir, prefix + ".s" + i, t0, i);
          }
        }
        assertThat(a.metrics().counters())
            .containsEntry("metricsReceived", (long) 2 * SERIES * POINTS);
        assertThat(a.metrics().counters().getOrDefault("rejected", 0L)).isZero();
      }
      // The aggregator wrote archive points in Confluent's format, registered under <topic>-value.
      assertThat(registry.versions(archives + "-value")).hasSize(1);
      for (String prefix : List.of("py.single", "py.confluent")) {
        readWithReferenceWhisperFetch(dataDir, prefix + ".s1", t0, 1);
      }
    }
  }

  /** Value of point k of series i: distinct per series and point, exact in binary. */
  private static double value(int series, int k) {
    return series * 100 + k + 0.25;
  }

  private static String lines(String prefix, long t0) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < SERIES; i++) {
      for (int k = 0; k < POINTS; k++) {
        out.append(prefix)
            .append(".s")
            .append(i)
            .append(' ')
            .append(value(i, k))
            .append(' ')
            .append(t0 + 10L * k)
            .append('\n');
      }
    }
    return out.toString();
  }

  private static List<byte[]> encode(String input, String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of(PYTHON.toString(), SCRIPT.toString(), SCHEMA.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("encode_points.py " + String.join(" ", args)).isZero();
    List<byte[]> values = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        values.add(HexFormat.of().parseHex(line.strip()));
      }
    }
    assertThat(values).hasSize(SERIES * POINTS);
    return values;
  }

  /** Sends raw values keyed by their series name, read back from the value the script wrote. */
  private static void produce(EmbeddedKafkaBroker kafka, String topic, List<byte[]> values) {
    try (KafkaProducer<String, byte[]> producer =
        KafkaClients.producer(
            kafka.bootstrapServers(),
            new StringSerializer(),
            new ByteArraySerializer(),
            Map.of())) {
      KafkaRecords.sendAll(
          producer, values.stream().map(v -> new ProducerRecord<>(topic, metricOf(v), v)).toList());
    }
  }

  /**
   * The metric field: after the 10- or 5-byte header, a zig-zag varint length (< 64 here) and
   * UTF-8.
   */
  private static String metricOf(byte[] value) {
    int header = value[0] == 0 ? 5 : 10;
    int length = (value[header] & 0xff) >>> 1;
    return new String(value, header + 1, length, StandardCharsets.UTF_8);
  }

  private static void awaitSeries(Path dataDir, String metric, long t0, int series)
      throws Exception {
    Path file = dataDir.resolve("whisper").resolve(metric.replace('.', '/') + ".wsp");
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    String last = "no file";
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        try (WhisperFile w = WhisperFile.openReadOnly(file)) {
          Double[] values =
              w.fetch(t0 - 1, t0 + 10L * POINTS - 1, System.currentTimeMillis() / 1000).values();
          List<Double> expected = new ArrayList<>();
          for (int k = 0; k < POINTS; k++) {
            expected.add(value(series, k));
          }
          if (Arrays.asList(values).equals(expected)) {
            return;
          }
          last = Arrays.toString(values);
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError(metric + " never held its " + POINTS + " points: " + last);
  }

  private static void readWithReferenceWhisperFetch(
      Path dataDir, String metric, long t0, int series) throws Exception {
    Path tool = Path.of("/usr/bin/whisper-fetch");
    if (!Files.isExecutable(tool)) {
      System.err.println("skipping the whisper-fetch check: python3-whisper is not installed");
      return;
    }
    Path file = dataDir.resolve("whisper").resolve(metric.replace('.', '/') + ".wsp");
    Process fetch =
        new ProcessBuilder(
                tool.toString(),
                "--from=" + (t0 - 1),
                "--until=" + (t0 + 10L * (POINTS - 1)),
                file.toString())
            .redirectErrorStream(true)
            .start();
    String text = new String(fetch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(fetch.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(fetch.exitValue()).as(text).isZero();
    for (int k = 0; k < POINTS; k++) {
      assertThat(text).contains(String.format("%d\t%.6f", t0 + 10L * k, value(series, k)));
    }
  }
}

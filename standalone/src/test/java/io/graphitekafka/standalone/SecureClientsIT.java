package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.Aggregator;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.whisper.WhisperFile;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every service's Kafka clients against a broker that only speaks SASL/SCRAM over TLS, configured
 * the way an operator does it: Kafka client settings under the {@code kafka.} prefix.
 */
class SecureClientsIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();

  @TempDir Path dataDir;

  @Test
  void aLineTravelsTheWholePipelineOverSaslScramAndTls() throws Exception {
    try (EmbeddedKafkaBroker kafka =
        EmbeddedKafkaBroker.builder().saslScram("graphite", "pipeline-secret").build()) {
      kafka.start();
      kafka.createTopics(
          2,
          Topics.DEFAULT_POINTS,
          Topics.DEFAULT_ARCHIVES,
          Topics.DEFAULT_LINES,
          Topics.DEFAULT_REJECTS);
      Map<String, Object> security = new HashMap<>();
      kafka.clientProperties().forEach((k, v) -> security.put("kafka." + k, v));

      Map<String, Object> sinkProps = new HashMap<>(security);
      sinkProps.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      sinkProps.put(SinkConfig.DATA_DIR, dataDir.toString());
      Map<String, Object> aggProps = new HashMap<>(security);
      aggProps.put(AggregatorConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      aggProps.put(AggregatorConfig.CONF_DIR, HOME.resolve("conf").toString());
      aggProps.put(AggregatorConfig.STATE_DIR, dataDir.resolve("state").toString());
      Map<String, Object> gwProps = new HashMap<>(security);
      gwProps.put(GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      gwProps.put(GatewayConfig.BIND_ADDRESS, "127.0.0.1");
      gwProps.put(GatewayConfig.CARBON_PORT, 0);
      gwProps.put(GatewayConfig.PICKLE_PORT, -1);

      try (Sink sink = new Sink(new SinkConfig(sinkProps));
          Aggregator aggregator = new Aggregator(new AggregatorConfig(aggProps));
          Gateway gateway = new Gateway(new GatewayConfig(gwProps))) {
        sink.start();
        aggregator.start();
        gateway.start();
        long now = System.currentTimeMillis() / 1000;
        try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
          OutputStream out = socket.getOutputStream();
          out.write(("secure.path.value 7 " + now + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Path file = dataDir.resolve("whisper/secure/path/value.wsp");
        Double seen = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (seen == null && System.nanoTime() < deadline) {
          Thread.sleep(250);
          if (Files.exists(file)) {
            try (WhisperFile w = WhisperFile.openReadOnly(file)) {
              seen = w.fetch(now - 10, now, System.currentTimeMillis() / 1000, 10).values()[0];
            } catch (java.io.IOException e) {
              // being created
            }
          }
        }
        assertThat(seen).as("the point, written through SASL_SSL clients only").isEqualTo(7.0);
      }
    }
  }
}

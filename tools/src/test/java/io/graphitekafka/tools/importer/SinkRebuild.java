package io.graphitekafka.tools.importer;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.testing.KafkaProbe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** Runs a sink over a topic into a fresh data directory until it has committed every record. */
final class SinkRebuild {

  private SinkRebuild() {}

  static void rebuild(EmbeddedKafkaBroker kafka, String topic, Path dataDir, long records)
      throws Exception {
    String group = "rebuild-" + UUID.randomUUID();
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, group);
    props.put(SinkConfig.ARCHIVES_TOPIC, topic);
    try (Sink sink = new Sink(new SinkConfig(props));
        KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      sink.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long committed = 0;
      while (committed < records && System.nanoTime() < deadline) {
        Thread.sleep(200);
        committed = KafkaProbe.sum(probe.committed(group, topic));
      }
      assertThat(committed).as("records the sink committed").isEqualTo(records);
    }
  }
}

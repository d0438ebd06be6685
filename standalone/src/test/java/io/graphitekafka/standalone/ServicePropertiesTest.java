package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.whisper.FillMode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Service settings passed through standalone's configuration under the service's prefix. */
class ServicePropertiesTest {

  @Test
  void prefixedSettingsReachTheirServiceAndWinOverDerivedOnesButNotTheBroker() throws Exception {
    StandaloneConfig config =
        new StandaloneConfig(
            Main.options(
                "standalone",
                "--config",
                write(
                    "sink.fill.mode=sparse\nsink.data.dir=/elsewhere\nsink.bootstrap.servers=remote:9092\n"
                        + "gateway.max.connections=7\naggregator.grace.seconds=30\n")));
    Map<String, Object> derived = new HashMap<>(Map.of(SinkConfig.DATA_DIR, "/data"));

    Map<String, Object> sink =
        Standalone.serviceProperties(config, "sink.", derived, "127.0.0.1:9092");
    Map<String, Object> gateway = Standalone.serviceProperties(config, "gateway.", Map.of(), "b:1");

    assertThat(new SinkConfig(sink).fillMode()).isEqualTo(FillMode.SPARSE);
    assertThat(sink)
        .containsEntry(SinkConfig.DATA_DIR, "/elsewhere")
        .containsEntry("bootstrap.servers", "127.0.0.1:9092")
        .doesNotContainKey("max.connections")
        .doesNotContainKey("grace.seconds");
    assertThat(gateway)
        .containsEntry("max.connections", "7")
        .containsEntry("bootstrap.servers", "b:1")
        .doesNotContainKey("fill.mode");
  }

  private static String write(String text) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("standalone", ".properties");
    java.nio.file.Files.writeString(file, text);
    file.toFile().deleteOnExit();
    return file.toString();
  }
}

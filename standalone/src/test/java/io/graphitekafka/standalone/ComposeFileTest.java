package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml as Compose itself reads it: Debian's docker-compose validates it without an
 * engine.
 */
class ComposeFileTest {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();

  @Test
  void composeValidatesTheReferenceDeployment() throws Exception {
    Path tool = Path.of("/usr/bin/docker-compose");
    Assumptions.assumeTrue(
        Files.isExecutable(tool),
        "docker-compose is not installed (Debian package docker-compose); .ci/run installs it");
    Process p =
        new ProcessBuilder(
                tool.toString(),
                "-f",
                HOME.resolve("docker-compose.yml").toString(),
                "config",
                "--services")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(List.of(out.strip().split("\\s+")))
        .containsExactlyInAnyOrder(
            "kafka1",
            "kafka2",
            "kafka3",
            "schema-registry",
            "topics",
            "gateway",
            "aggregator1",
            "aggregator2",
            "storage1-sink",
            "storage2-sink",
            "storage1-web",
            "storage2-web",
            "graphite-web");
  }
}

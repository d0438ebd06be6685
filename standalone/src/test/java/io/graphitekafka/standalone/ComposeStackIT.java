package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The reference deployment itself: docker-compose.yml brought up with Testcontainers, a line sent
 * to the gateway, and the point read back through the front graphite-web's render API. Skipped
 * where no Docker engine runs; ClusterTopologyIT proves the same topology with local processes
 * everywhere.
 */
class ComposeStackIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();

  @Test
  void aLineSentToTheGatewayIsRenderedByTheFrontGraphiteWeb() throws Exception {
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      docker = false;
    }
    Assumptions.assumeTrue(docker, "no Docker engine here; ClusterTopologyIT covers the topology");

    try (ComposeContainer stack =
        new ComposeContainer(HOME.resolve("docker-compose.yml").toFile())
            .withBuild(true)
            .withExposedService("gateway", 2003, Wait.forListeningPort())
            .withExposedService(
                "graphite-web",
                8080,
                Wait.forHttp("/metrics/find?query=*").withStartupTimeout(Duration.ofMinutes(5)))) {
      stack.start();
      String gatewayHost = stack.getServiceHost("gateway", 2003);
      int gatewayPort = stack.getServicePort("gateway", 2003);
      long now = System.currentTimeMillis() / 1000;
      try (Socket socket = new Socket(gatewayHost, gatewayPort)) {
        OutputStream out = socket.getOutputStream();
        out.write(("compose.check.value 42 " + now + "\n").getBytes(StandardCharsets.UTF_8));
      }
      URI render =
          URI.create(
              "http://"
                  + stack.getServiceHost("graphite-web", 8080)
                  + ":"
                  + stack.getServicePort("graphite-web", 8080)
                  + "/render?format=json&target=compose.check.value&from=-5min");
      HttpClient http = HttpClient.newHttpClient();
      String body = "";
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (System.nanoTime() < deadline && !body.contains("42.0")) {
        body =
            http.send(HttpRequest.newBuilder(render).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        Thread.sleep(1000);
      }
      assertThat(body).contains("\"target\": \"compose.check.value\"").contains("42.0");
    }
  }
}

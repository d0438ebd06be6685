package io.graphitekafka.sink.tags;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.graphitekafka.sink.metrics.SinkStats;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 200 that is not graphite-web's answer (a wrong URL, a proxy's page) registers nothing: the
 * names stay in the journal and are posted again until graphite-web's own answer, the list of the
 * names tagged, comes back.
 */
class TagRegistrarAnswerTest {

  @TempDir Path dir;

  @Test
  void aTwoHundredWithoutGraphiteWebsAnswerIsAFailureAndTheNamesArePostedAgain() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          String answer =
              requests.incrementAndGet() <= 3
                  ? "<html><body>Welcome to nginx!</body></html>"
                  : "[\"a;x=1\", \"b;x=2\"]";
          byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, bytes.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    SinkStats stats = SinkStats.create();
    TagRegistrar registrar =
        new TagRegistrar(
            "http://127.0.0.1:" + server.getAddress().getPort(),
            dir,
            100,
            100,
            false,
            Duration.ofSeconds(5),
            200,
            stats);
    try {
      registrar.creating("a;x=1");
      registrar.creating("b;x=2");
      registrar.flushed(false);
      registrar.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (stats.metrics().counters().getOrDefault("tagsRegistered", 0L) < 2
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(stats.metrics().counters().get("tagsRegistered")).isEqualTo(2);
      assertThat(stats.metrics().counters().get("tagErrors")).isEqualTo(3);
      assertThat(requests.get()).isEqualTo(4);
      assertThat(stats.metrics().gauges().get("tagsPending")).isZero();
    } finally {
      registrar.close();
      server.stop(0);
    }
  }
}

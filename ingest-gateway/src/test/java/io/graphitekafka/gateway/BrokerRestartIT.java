package io.graphitekafka.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.KafkaRecords;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker goes away in the middle of a TCP stream and comes back: the gateway stops reading
 * (backpressure) instead of dropping, the idempotent producer retries without duplicates, and every
 * line the client wrote reaches the points topic exactly once.
 */
class BrokerRestartIT {

  private static final int LINES = 150_000;

  @Test
  @Timeout(180)
  void everyLineArrivesExactlyOnceAcrossABrokerRestart() throws Exception {
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build()) {
      kafka.start();
      kafka.createTopics(4, "carbon.points", "carbon.rejects");
      Map<String, Object> props = new HashMap<>();
      props.put(GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      props.put(GatewayConfig.BIND_ADDRESS, "127.0.0.1");
      props.put(GatewayConfig.CARBON_PORT, "0");
      props.put(GatewayConfig.PICKLE_PORT, "-1");
      props.put(GatewayConfig.LINES_ENABLED, "false");
      props.put(GatewayConfig.METRIC_INTERVAL_SECONDS, "0");
      // a small buffer so the outage reaches the pause level and the sockets stop being read
      props.put(GatewayConfig.PAUSE_BYTES, Integer.toString(512 * 1024));
      props.put(GatewayConfig.RESUME_BYTES, Integer.toString(128 * 1024));
      props.put("kafka.reconnect.backoff.max.ms", "200");
      props.put("kafka.retry.backoff.max.ms", "200");

      Gateway gateway = new Gateway(new GatewayConfig(props));
      gateway.start();
      AtomicInteger written = new AtomicInteger();
      AtomicReference<Throwable> clientError = new AtomicReference<>();
      Thread client =
          new Thread(
              () -> {
                try (Socket socket = new Socket("127.0.0.1", gateway.carbonPort())) {
                  OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                  for (int i = 0; i < LINES; i++) {
                    out.write(
                        ("restart.series"
                                + (i % 500)
                                + " "
                                + i
                                + " "
                                + (1_700_000_000L + i / 500)
                                + "\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    written.incrementAndGet();
                    if (i % 2000 == 1999) {
                      out.flush();
                      Thread.sleep(20);
                    }
                  }
                  out.flush();
                } catch (Throwable t) {
                  clientError.set(t);
                }
              },
              "carbon-client");
      client.start();

      while (written.get() < LINES / 3) {
        Thread.sleep(5);
      }
      kafka.stop();
      Thread.sleep(3000);
      long pausedWhileDown = gateway.flow().isPaused() ? 1 : 0;
      kafka.start();
      client.join(120_000);
      assertThat(clientError.get()).isNull();
      assertThat(written.get()).isEqualTo(LINES);

      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (gateway.metrics().counters().getOrDefault(GatewayStats.METRICS_RECEIVED, 0L) < LINES
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      gateway.close();

      List<ConsumerRecord<String, MetricPoint>> records =
          KafkaRecords.consume(
              kafka.bootstrapServers(),
              Topics.points("carbon.points"),
              LINES,
              Duration.ofSeconds(90));
      boolean[] seen = new boolean[LINES];
      int duplicates = 0;
      for (ConsumerRecord<String, MetricPoint> r : records) {
        int i = (int) r.value().getValue();
        assertThat(r.key()).isEqualTo("restart.series" + (i % 500));
        if (seen[i]) {
          duplicates++;
        }
        seen[i] = true;
      }
      int missing = 0;
      StringBuilder missingValues = new StringBuilder();
      for (int i = 0; i < LINES; i++) {
        if (!seen[i]) {
          missing++;
          if (missing <= 20) {
            missingValues.append(i).append(' ');
          }
        }
      }
      assertThat(missing)
          .as("missing %s; counters %s", missingValues, gateway.metrics().counters())
          .isZero();
      assertThat(duplicates).as("duplicates").isZero();
      assertThat(missing).as("missing").isZero();
      assertThat(records).hasSize(LINES);
      assertThat(pausedWhileDown).as("reading paused while the broker was down").isEqualTo(1);
      Map<String, Long> counters = gateway.metrics().counters();
      assertThat(counters.get(GatewayStats.BACKPRESSURE_MILLIS)).isPositive();
      assertThat(counters.getOrDefault(GatewayStats.PRODUCE_ERRORS, 0L)).isZero();
      assertThat(counters.getOrDefault(GatewayStats.SHUTDOWN_UNFLUSHED, 0L)).isZero();
    }
  }
}

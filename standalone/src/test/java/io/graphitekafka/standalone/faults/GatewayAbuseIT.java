package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile clients against a real {@code bin/graphite-kafka gateway} process over real sockets: a
 * connection flood past {@code max.connections}, slowloris senders against {@code
 * idle.timeout.seconds}, and UDP datagrams of the largest size the network allows. In each, what
 * the gateway accepted is read back from Kafka and from its Prometheus endpoint.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class GatewayAbuseIT {

  private static final String RECEIVED = "graphite_kafka_relays_metricsReceived_total";
  private static final String ACTIVE = "graphite_kafka_relays_activeConnections";
  private static final String REFUSED = "graphite_kafka_relays_connectionsRefused_total";
  private static final String IDLE = "graphite_kafka_relays_idleTimeouts_total";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long TS = 1_700_000_000L;

  @TempDir Path dir;

  private record Gateway(Service service, int carbonPort, String points) {}

  private Gateway start(EmbeddedKafkaBroker kafka, Services services, Map<String, String> extra)
      throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String points = "abuse-points-" + suffix;
    kafka.createTopics(2, points, "abuse-rejects-" + suffix);
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put("bind.address", "127.0.0.1");
    settings.put("carbon.port", "0");
    settings.put("pickle.port", "-1");
    settings.put("lines.enabled", "false");
    settings.put("topic.points", points);
    settings.put("topic.rejects", "abuse-rejects-" + suffix);
    settings.putAll(extra);
    Service s = services.start("gateway-" + suffix, "gateway", settings);
    String ready = services.linesOf(s.name(), "gateway ready").get(0);
    return new Gateway(
        s, Integer.parseInt(ready.substring(ready.lastIndexOf(' ') + 1).trim()), points);
  }

  @Test
  void connectionFloodPastTheLimitIsRefusedAndCountedWhileOpenConnectionsKeepWorking(
      EmbeddedKafkaBroker kafka) throws Exception {
    int limit = 20;
    int flood = 500;
    try (Services services = new Services(dir)) {
      Gateway g = start(kafka, services, Map.of("max.connections", Integer.toString(limit)));
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < limit; i++) {
          Socket s = new Socket("127.0.0.1", g.carbonPort());
          held.add(s);
          send(s, "flood.held.c" + i + " 1 " + TS + "\n");
        }
        awaitMetric(g, RECEIVED, limit);
        awaitMetric(g, ACTIVE, limit);

        // the flood: every connection past the limit is closed by the gateway, its line never read
        int closedByGateway = 0;
        for (int i = 0; i < flood; i++) {
          try (Socket s = new Socket("127.0.0.1", g.carbonPort())) {
            s.setSoTimeout(10_000);
            try {
              send(s, "flood.excess.c" + i + " 1 " + TS + "\n");
              if (s.getInputStream().read() < 0) {
                closedByGateway++;
              }
            } catch (SocketTimeoutException e) {
              // left open: counted as not refused
            } catch (IOException e) {
              closedByGateway++; // reset: closed with our line unread
            }
          }
        }
        assertThat(closedByGateway).as("flood connections closed by the gateway").isEqualTo(flood);
        awaitMetric(g, REFUSED, flood);

        // the connections that were open before the flood still work
        for (int i = 0; i < limit; i++) {
          send(held.get(i), "flood.held.c" + i + " 2 " + (TS + 60) + "\n");
        }
        awaitMetric(g, RECEIVED, 2 * limit);

        // the limit recovers: close half, and as many new connections are served, one more is not
        for (int i = 0; i < limit / 2; i++) {
          held.remove(0).close();
        }
        awaitMetric(g, ACTIVE, limit / 2);
        for (int i = 0; i < limit / 2; i++) {
          Socket s = new Socket("127.0.0.1", g.carbonPort());
          held.add(s);
          send(s, "flood.later.c" + i + " 3 " + TS + "\n");
        }
        awaitMetric(g, RECEIVED, 2 * limit + limit / 2);
        try (Socket s = new Socket("127.0.0.1", g.carbonPort())) {
          s.setSoTimeout(10_000);
          assertThat(readOrClosed(s)).as("one past the limit again").isTrue();
        }
        awaitMetric(g, REFUSED, flood + 1);
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      List<String> names = metricNames(kafka, g.points());
      assertThat(names)
          .hasSize(2 * limit + limit / 2)
          .noneMatch(n -> n.startsWith("flood.excess."));
      assertThat(Prometheus.value(g.service().metrics(), RECEIVED))
          .isEqualTo(2 * limit + limit / 2);
      System.out.printf(
          "abuse flood: %d connections past a limit of %d refused and counted; %d points"
              + " from the %d open connections all arrived%n",
          flood, limit, names.size(), limit);
    }
  }

  @Test
  void slowlorisSendersAreClosedByTheIdleTimeoutWhileANormalClientIsServed(
      EmbeddedKafkaBroker kafka) throws Exception {
    int silent = 6;
    int tricklers = 4;
    try (Services services = new Services(dir)) {
      Gateway g =
          start(
              kafka,
              services,
              Map.of(
                  "idle.timeout.seconds",
                  "2",
                  "max.connections",
                  Integer.toString(silent + tricklers + 1)));
      List<Socket> slow = new ArrayList<>();
      List<Long> closedAfterMillis = new ArrayList<>();
      AtomicReference<Exception> trickleError = new AtomicReference<>();
      try (Socket normal = new Socket("127.0.0.1", g.carbonPort())) {
        long started = System.nanoTime();
        for (int i = 0; i < silent; i++) {
          Socket s = new Socket("127.0.0.1", g.carbonPort());
          slow.add(s);
          send(s, "slowloris.partial.line.without.its.end"); // then nothing
        }
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < tricklers; i++) {
          Socket s = new Socket("127.0.0.1", g.carbonPort());
          slow.add(s);
          // one byte of a line that never ends every 300 ms: never idle at the byte level
          Thread t =
              new Thread(
                  () -> {
                    try {
                      OutputStream out = s.getOutputStream();
                      while (!s.isClosed()) {
                        out.write('a');
                        out.flush();
                        Thread.sleep(300);
                      }
                    } catch (IOException e) {
                      // closed by the gateway
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                      trickleError.set(e);
                    }
                  },
                  "trickler-" + i);
          t.setDaemon(true);
          t.start();
          threads.add(t);
        }

        // the normal client sends a complete line every 500 ms meanwhile
        int sent = 0;
        List<Socket> open = new ArrayList<>(slow);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
          send(normal, "slowloris.normal " + sent + " " + (TS + 10L * sent) + "\n");
          sent++;
          Thread.sleep(500);
          for (Socket s : new ArrayList<>(open)) {
            if (closedByPeer(s)) {
              open.remove(s);
              closedAfterMillis.add((System.nanoTime() - started) / 1_000_000);
            }
          }
        }
        assertThat(open).as("slowloris connections still open after 20 s").isEmpty();
        for (int i = 0; i < 6; i++) { // the normal client goes on after they are gone
          send(normal, "slowloris.normal " + sent + " " + (TS + 10L * sent) + "\n");
          sent++;
          Thread.sleep(300);
        }
        awaitMetric(g, RECEIVED, sent);
        normal.setSoTimeout(500);
        assertThat(closedByPeer(normal)).as("the normal client's connection").isFalse();
        assertThat(Prometheus.value(g.service().metrics(), IDLE)).isEqualTo(silent + tricklers);
        for (Thread t : threads) {
          t.join(5_000);
        }
        assertThat(trickleError.get()).isNull();
        System.out.printf(
            "abuse slowloris: %d silent and %d trickling connections closed after %s ms;"
                + " the normal client's %d lines all arrived%n",
            silent, tricklers, closedAfterMillis, sent);
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
      assertThat(closedAfterMillis).allSatisfy(ms -> assertThat(ms).isGreaterThanOrEqualTo(1_500));
    }
  }

  @Test
  void largestUdpDatagramsAreReadWholeAndAnOversizedLineIsRejectedAlone(EmbeddedKafkaBroker kafka)
      throws Exception {
    int udpPort;
    try (DatagramSocket probe = new DatagramSocket(0)) {
      udpPort = probe.getLocalPort();
    }
    int maxUdpPayload = 65_507; // IPv4: 65,535 less the IP and UDP headers
    try (Services services = new Services(dir);
        DatagramSocket udp = new DatagramSocket()) {
      Gateway g =
          start(
              kafka,
              services,
              Map.of("udp.port", Integer.toString(udpPort), "udp.bind.address", "127.0.0.1"));
      InetSocketAddress to = new InetSocketAddress("127.0.0.1", udpPort);

      // 1: a datagram of the largest size, full of valid lines: every line arrives
      StringBuilder full = new StringBuilder();
      int lines = 0;
      while (true) {
        String line = String.format("udp.full.l%05d 1 %d%n", lines, TS);
        if (full.length() + line.length() > maxUdpPayload) {
          break;
        }
        full.append(line);
        lines++;
      }
      byte[] first = full.toString().getBytes(StandardCharsets.US_ASCII);
      udp.send(new DatagramPacket(first, first.length, to));
      awaitMetric(g, RECEIVED, lines);

      // 2: a datagram of the largest size holding one line longer than max.line.length (16,384), a
      // point Carbon's grammar would accept, and then a valid line: the long line alone is rejected
      String after = "udp.after.long 2 " + TS + "\n";
      String longLine =
          "udp.long" + " ".repeat(maxUdpPayload - 30 - after.length()) + "3 " + TS + "\n";
      byte[] second = (longLine + after).getBytes(StandardCharsets.US_ASCII);
      assertThat(second.length).isLessThanOrEqualTo(maxUdpPayload).isGreaterThan(60_000);
      udp.send(new DatagramPacket(second, second.length, to));
      awaitMetric(g, "graphite_kafka_relays_rejects_line_too_long_total", 1);

      // 3: the next datagram is processed as usual
      byte[] third = ("udp.next 4 " + TS + "\n").getBytes(StandardCharsets.US_ASCII);
      udp.send(new DatagramPacket(third, third.length, to));
      awaitMetric(g, RECEIVED, lines + 2);

      // nothing larger can be sent: the network stack refuses it before it reaches the gateway
      byte[] tooLarge = new byte[maxUdpPayload + 1];
      assertThatThrownBy(() -> udp.send(new DatagramPacket(tooLarge, tooLarge.length, to)))
          .isInstanceOf(IOException.class);

      List<String> names = metricNames(kafka, g.points());
      assertThat(names)
          .hasSize(lines + 2)
          .contains("udp.after.long", "udp.next")
          .doesNotContain("udp.long");
      System.out.printf(
          "abuse udp: %d-byte datagram with %d lines read whole; a %d-byte line rejected"
              + " as line_too_long, the line after it and the next datagram accepted%n",
          first.length, lines, longLine.length() - 1);
    }
  }

  private static void send(Socket s, String text) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /**
   * Whether the peer has closed the connection (EOF or reset), waiting at most the socket timeout.
   */
  private static boolean readOrClosed(Socket s) {
    try {
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Whether the gateway has closed {@code s}, looking for at most 20 ms. */
  private static boolean closedByPeer(Socket s) throws IOException {
    int timeout = s.getSoTimeout();
    s.setSoTimeout(20);
    try {
      InputStream in = s.getInputStream();
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    } finally {
      if (!s.isClosed()) {
        s.setSoTimeout(timeout);
      }
    }
  }

  private static void awaitMetric(Gateway g, String name, double value)
      throws InterruptedException {
    AtomicReference<Double> last = new AtomicReference<>();
    Await.until(
        name + " = " + value,
        WAIT,
        Await.quietly(
            () -> {
              last.set(Prometheus.value(g.service().metrics(), name));
              return last.get() == value;
            }),
        () -> name + " is " + last.get());
  }

  private static List<String> metricNames(EmbeddedKafkaBroker kafka, String topic)
      throws Exception {
    try (KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      Deserializer<MetricPoint> decode = Topics.points(topic).valueSerde().deserializer();
      List<String> out = new ArrayList<>();
      for (Rec r : probe.readAll(topic, false)) {
        out.add(decode.deserialize(topic, r.value()).getMetric().toString());
      }
      return out;
    }
  }
}

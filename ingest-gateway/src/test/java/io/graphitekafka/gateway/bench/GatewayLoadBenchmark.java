package io.graphitekafka.gateway.bench;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.gateway.GatewayStats;
import io.graphitekafka.gateway.load.LoadGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load through the real broker: the deterministic load generator writes plaintext lines to the
 * gateway over 1 and 8 connections, and the clock stops when Kafka has acknowledged (acks=all) every
 * point. If {@code carbon-c-relay} is installed, the same input is sent through it to a counting TCP
 * sink on loopback, for comparison. Run by hand (see the module README), not by the build.
 *
 * <p>Arguments: {@code [totalPoints] [partitions]}, default 4,000,000 and 12.
 */
public final class GatewayLoadBenchmark {

  private GatewayLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    long total = args.length > 0 ? Long.parseLong(args[0]) : 4_000_000L;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder()
        .brokerProperty("num.io.threads", "2").brokerProperty("num.network.threads", "2").build()) {
      kafka.start();
      kafka.createTopics(partitions, "carbon.points", "carbon.rejects");
      Map<String, Object> props = new HashMap<>();
      props.put(GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      props.put(GatewayConfig.BIND_ADDRESS, "127.0.0.1");
      props.put(GatewayConfig.CARBON_PORT, "0");
      props.put(GatewayConfig.PICKLE_PORT, "-1");
      props.put(GatewayConfig.LINES_ENABLED, "false");
      props.put(GatewayConfig.METRIC_INTERVAL_SECONDS, "0");
      try (Gateway gateway = new Gateway(new GatewayConfig(props))) {
        gateway.start();
        // warm-up: JIT, producer connections, partition leaders
        runGateway(gateway, 2, Math.min(total / 4, 500_000), "warm-up");
        for (int connections : new int[] {1, 8}) {
          runGateway(gateway, connections, total, connections + " connection(s)");
        }
      }
    }
    for (int connections : new int[] {1, 8}) {
      runCarbonCRelay(connections, total);
    }
  }

  private static void runGateway(Gateway gateway, int connections, long total, String label)
      throws Exception {
    long before = produced(gateway);
    long start = System.nanoTime();
    LoadGenerator.Result sent = new LoadGenerator(LoadGenerator.Spec.plaintext("127.0.0.1",
        gateway.carbonPort(), connections, 1000 * connections, total / connections / 1000)).run();
    long target = before + sent.points();
    while (produced(gateway) < target) {
      Thread.sleep(1);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("gateway %-16s %,d points acknowledged by Kafka in %.2f s: %,.0f points/s"
            + " (client wrote at %,.0f points/s; backpressure %d ms)%n", label, sent.points(),
        seconds, sent.points() / seconds, sent.pointsPerSecond(),
        gateway.metrics().counters().get(GatewayStats.BACKPRESSURE_MILLIS));
  }

  private static long produced(Gateway gateway) {
    return gateway.metrics().counters().getOrDefault(GatewayStats.POINTS_PRODUCED, 0L);
  }

  /** carbon-c-relay listening on a free port and forwarding everything to a counting sink. */
  private static void runCarbonCRelay(int connections, long total) throws Exception {
    Path binary = Path.of("/usr/bin/carbon-c-relay");
    if (!Files.isExecutable(binary)) {
      System.out.println("carbon-c-relay not installed; skipping the comparison");
      return;
    }
    try (ServerSocket sink = new ServerSocket(0); ServerSocket probe = new ServerSocket(0)) {
      int relayPort = probe.getLocalPort();
      probe.close();
      AtomicLong lines = new AtomicLong();
      Thread accept = new Thread(() -> {
        while (!sink.isClosed()) {
          try {
            Socket s = sink.accept();
            Thread reader = new Thread(() -> count(s, lines));
            reader.setDaemon(true);
            reader.start();
          } catch (IOException e) {
            return;
          }
        }
      });
      accept.setDaemon(true);
      accept.start();
      Path conf = Files.createTempFile("relay", ".conf");
      Files.writeString(conf, "cluster sink forward 127.0.0.1:" + sink.getLocalPort() + ";\n"
          + "match * send to sink stop;\n");
      Process relay = new ProcessBuilder(binary.toString(), "-f", conf.toString(), "-p",
          Integer.toString(relayPort), "-w", "2", "-q", "200000", "-b", "10000", "-s")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try {
        Thread.sleep(1000);
        long start = System.nanoTime();
        LoadGenerator.Result sent = new LoadGenerator(LoadGenerator.Spec.plaintext("127.0.0.1",
            relayPort, connections, 1000 * connections, total / connections / 1000)).run();
        // stop waiting once nothing has arrived for 10 s: the relay dropped the rest
        long last = -1;
        long lastChange = System.nanoTime();
        long end = lastChange;
        while (lines.get() < sent.points() && System.nanoTime() - lastChange < 10_000_000_000L) {
          long now = lines.get();
          if (now != last) {
            last = now;
            lastChange = System.nanoTime();
            end = lastChange;
          }
          Thread.sleep(1);
        }
        double seconds = ((lines.get() >= sent.points() ? System.nanoTime() : end) - start) / 1e9;
        System.out.printf("carbon-c-relay %-9s %,d of %,d points forwarded to the sink in %.2f s:"
            + " %,.0f points/s%n", connections + " conn", lines.get(), sent.points(), seconds,
            lines.get() / seconds);
      } finally {
        relay.destroy();
        relay.waitFor();
        Files.deleteIfExists(conf);
      }
    }
  }

  private static void count(Socket socket, AtomicLong lines) {
    byte[] buf = new byte[1 << 16];
    try (socket; InputStream in = socket.getInputStream()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        long c = 0;
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            c++;
          }
        }
        lines.addAndGet(c);
      }
    } catch (IOException e) {
      // relay closed the connection
    }
  }
}

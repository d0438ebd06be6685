package io.graphitekafka.tools.bench;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.tools.load.LoadGenerator;
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
 * gateway over 1 and 8 connections, and the clock stops when Kafka has acknowledged (acks=all)
 * every point. If {@code carbon-c-relay} is installed, the same input is sent through it to a
 * counting TCP sink on loopback, for comparison. Run by hand (see the module README), not by the
 * build.
 *
 * <p>Arguments: {@code [totalPoints] [partitions]}, default 4,000,000 and 12. Properties: {@code
 * bench.set.<key>=<value>} sets any gateway key (e.g. {@code -Dbench.set.kafka.linger.ms=20}),
 * {@code bench.gatewayOnly} and {@code bench.relayOnly} run one side only.
 */
public final class GatewayLoadBenchmark {

  private GatewayLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    long total = args.length > 0 ? Long.parseLong(args[0]) : 4_000_000L;
    int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 12;
    if (!Boolean.getBoolean("bench.relayOnly")) {
      runGateways(total, partitions);
    }
    if (!Boolean.getBoolean("bench.gatewayOnly")) {
      for (int connections : new int[] {1, 8}) {
        runCarbonCRelay(connections, total);
      }
    }
  }

  private static void runGateways(long total, int partitions) throws Exception {
    try (EmbeddedKafkaBroker kafka =
        EmbeddedKafkaBroker.builder()
            .brokerProperty("num.io.threads", "2")
            .brokerProperty("num.network.threads", "2")
            .build()) {
      kafka.start();
      kafka.createTopics(partitions, "carbon.points", "carbon.rejects");
      Map<String, Object> props = new HashMap<>();
      props.put(GatewayConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
      props.put(GatewayConfig.BIND_ADDRESS, "127.0.0.1");
      props.put(GatewayConfig.CARBON_PORT, "0");
      props.put(GatewayConfig.PICKLE_PORT, "-1");
      props.put(GatewayConfig.LINES_ENABLED, "false");
      props.put(GatewayConfig.METRIC_INTERVAL_SECONDS, "0");
      // any gateway setting, e.g. -Dbench.set.kafka.linger.ms=20
      System.getProperties().stringPropertyNames().stream()
          .filter(k -> k.startsWith("bench.set."))
          .forEach(k -> props.put(k.substring("bench.set.".length()), System.getProperty(k)));
      try (Gateway gateway = new Gateway(new GatewayConfig(props))) {
        gateway.start();
        // warm-up: JIT, producer connections, partition leaders
        runGateway(gateway, 2, Math.min(total / 4, 500_000), "warm-up");
        for (int connections : new int[] {1, 8}) {
          runGateway(gateway, connections, total, connections + " connection(s)");
        }
      }
    }
  }

  private static void runGateway(Gateway gateway, int connections, long total, String label)
      throws Exception {
    long before = produced(gateway);
    long start = System.nanoTime();
    LoadGenerator.Result sent =
        new LoadGenerator(
                LoadGenerator.Spec.plaintext(
                    "127.0.0.1",
                    gateway.carbonPort(),
                    connections,
                    1000 * connections,
                    total / connections / 1000))
            .run();
    long target = before + sent.points();
    while (produced(gateway) < target) {
      Thread.sleep(2);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "gateway %-16s %,d points acknowledged by Kafka in %.2f s: %,.0f points/s"
            + " (client wrote at %,.0f points/s; backpressure %d ms)%n",
        label,
        sent.points(),
        seconds,
        sent.points() / seconds,
        sent.pointsPerSecond(),
        gateway.metrics().counters().get(GatewayStats.BACKPRESSURE_MILLIS));
    if (!label.equals("warm-up")) {
      System.out.printf(
          "BENCH gateway connections=%d points=%d seconds=%.3f pps=%.0f clientpps=%.0f%n",
          connections, sent.points(), seconds, sent.points() / seconds, sent.pointsPerSecond());
    }
  }

  private static long produced(Gateway gateway) {
    return gateway.metrics().counters().getOrDefault(GatewayStats.POINTS_PRODUCED, 0L);
  }

  /**
   * carbon-c-relay listening on a free port and forwarding everything to a counting sink. Its own
   * statistics go every second to a second listener, so drops are seen instead of guessed.
   */
  private static void runCarbonCRelay(int connections, long total) throws Exception {
    Path binary = Path.of("/usr/bin/carbon-c-relay");
    if (!Files.isExecutable(binary)) {
      System.out.println("carbon-c-relay not installed; skipping the comparison");
      return;
    }
    try (ServerSocket sink = new ServerSocket(0);
        ServerSocket stats = new ServerSocket(0);
        ServerSocket probe = new ServerSocket(0)) {
      int relayPort = probe.getLocalPort();
      probe.close();
      AtomicLong lines = new AtomicLong();
      Map<String, Long> counters = new java.util.concurrent.ConcurrentHashMap<>();
      accept(sink, s -> count(s, lines));
      accept(stats, s -> collect(s, counters));
      Path conf = Files.createTempFile("relay", ".conf");
      Path relayLog = Files.createTempFile("relay", ".log");
      Files.writeString(
          conf,
          "cluster sink forward 127.0.0.1:"
              + sink.getLocalPort()
              + ";\n"
              + "cluster stats forward 127.0.0.1:"
              + stats.getLocalPort()
              + ";\n"
              + "statistics submit every 1 seconds prefix with bench.relay send to stats stop;\n"
              + "match * send to sink stop;\n");
      // -q: a queue as large as the input, up to 1,000,000 points; -L 15: stall clients as long as
      // the relay allows before dropping, the closest it has to backpressure; -w 2: a worker per
      // core
      long queue = Math.min(Math.max(total, 25_000), 1_000_000);
      Process relay =
          new ProcessBuilder(
                  binary.toString(),
                  "-f",
                  conf.toString(),
                  "-p",
                  Integer.toString(relayPort),
                  "-w",
                  "2",
                  "-q",
                  Long.toString(queue),
                  "-L",
                  "15",
                  "-U",
                  "1048576",
                  "-E",
                  "-H",
                  "bench")
              .redirectErrorStream(true)
              .redirectOutput(relayLog.toFile())
              .start();
      try {
        waitForPort(relayPort);
        long start = System.nanoTime();
        LoadGenerator.Spec spec =
            LoadGenerator.Spec.plaintext(
                "127.0.0.1",
                relayPort,
                connections,
                1000 * connections,
                total / connections / 1000);
        LoadGenerator.Result sent;
        try {
          sent = new LoadGenerator(spec).run();
        } catch (IOException e) {
          // the relay closed a connection: report what it forwarded until then
          Thread.sleep(5000);
          System.out.printf(
              "carbon-c-relay %-9s closed a client connection (%s) after forwarding %,d of"
                  + " %,d points; its log: %s%n",
              connections + " conn",
              e.getMessage(),
              lines.get(),
              spec.totalPoints(),
              String.join(
                  "\n  ",
                  Files.readAllLines(relayLog).stream()
                      .filter(l -> !l.isBlank())
                      .skip(Math.max(0, Files.readAllLines(relayLog).size() - 8))
                      .toList()));
          System.out.printf(
              "BENCH relay connections=%d sent=%d forwarded=%d seconds=0 pps=0 dropped=%d"
                  + " failed=1%n",
              connections, spec.totalPoints(), lines.get(), dropped(counters));
          return;
        }
        // done when every point reached the sink, or when the relay's counters account for the rest
        // as dropped, or when nothing has arrived for 10 s
        long last = -1;
        long lastChange = System.nanoTime();
        long end = lastChange;
        while (lines.get() < sent.points()
            && lines.get() + dropped(counters) < sent.points()
            && System.nanoTime() - lastChange < 10_000_000_000L) {
          long now = lines.get();
          if (now != last) {
            last = now;
            lastChange = System.nanoTime();
            end = lastChange;
          }
          Thread.sleep(2);
        }
        if (lines.get() >= sent.points()) {
          end = System.nanoTime();
        }
        double seconds = (end - start) / 1e9;
        Thread.sleep(2500); // one more statistics interval
        System.out.printf(
            "carbon-c-relay %-9s %,d of %,d points forwarded to the sink in %.2f s:"
                + " %,.0f points/s (client wrote at %,.0f points/s; relay counters: dropped %d,"
                + " received %d, sent %d)%n",
            connections + " conn",
            lines.get(),
            sent.points(),
            seconds,
            lines.get() / seconds,
            sent.pointsPerSecond(),
            dropped(counters),
            counter(counters, "metricsReceived"),
            counter(counters, "metricsSent"));
        System.out.printf(
            "BENCH relay connections=%d sent=%d forwarded=%d seconds=%.3f pps=%.0f"
                + " dropped=%d%n",
            connections,
            sent.points(),
            lines.get(),
            seconds,
            lines.get() / seconds,
            dropped(counters));
      } finally {
        relay.destroy();
        relay.waitFor();
        Files.deleteIfExists(conf);
        if (lines.get() >= total) {
          Files.deleteIfExists(relayLog);
        }
      }
    }
  }

  private static void waitForPort(int port) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("carbon-c-relay did not listen on " + port);
  }

  private static void accept(ServerSocket server, java.util.function.Consumer<Socket> reader) {
    Thread accept =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  Thread t = new Thread(() -> reader.accept(s), "relay-listener");
                  t.setDaemon(true);
                  t.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    accept.setDaemon(true);
    accept.start();
  }

  /** The relay's running counter of metrics dropped (its statistics), 0 before the first report. */
  private static long dropped(Map<String, Long> counters) {
    return counter(counters, "metricsDropped");
  }

  private static long counter(Map<String, Long> counters, String name) {
    return counters.getOrDefault(name, 0L);
  }

  /** Keeps the latest value of each {@code bench.relay.<name>} statistic. */
  private static void collect(Socket socket, Map<String, Long> counters) {
    try (socket;
        java.io.BufferedReader in =
            new java.io.BufferedReader(
                new java.io.InputStreamReader(
                    socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] f = line.split(" ");
        if (f.length == 3 && f[0].startsWith("bench.relay.")) {
          try {
            counters.put(f[0].substring("bench.relay.".length()), (long) Double.parseDouble(f[1]));
          } catch (NumberFormatException e) {
            // not a number: ignore
          }
        }
      }
    } catch (IOException e) {
      // relay closed the connection
    }
  }

  private static void count(Socket socket, AtomicLong lines) {
    byte[] buf = new byte[1 << 16];
    try (socket;
        InputStream in = socket.getInputStream()) {
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

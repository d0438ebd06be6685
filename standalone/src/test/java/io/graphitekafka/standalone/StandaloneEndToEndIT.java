package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.graphitekafka.testing.ChildProcesses;
import io.graphitekafka.whisper.FetchResult;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline through {@code bin/graphite-kafka standalone} as an operator runs it: a real
 * process, a real broker inside it, lines over a real TCP socket, and the Whisper files read back
 * from disk.
 */
class StandaloneEndToEndIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();

  @TempDir Path dataDir;
  @TempDir Path confDir;

  private Process process;
  private Thread reader;
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stop() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void linesSentOverTcpBecomeWhisperFilesWithEveryArchiveRolledUp() throws Exception {
    Files.writeString(
        confDir.resolve("storage-schemas.conf"),
        """
        # two schemas: a short fine one for e2e.fast.*, and the shipped default for the rest
        [fast]
        pattern = ^e2e\\.fast\\.
        retentions = 5s:10m,30s:1h

        [default]
        pattern = .*
        retentions = 10s:6h,1m:7d,10m:5y
        """);
    Files.writeString(
        confDir.resolve("storage-aggregation.conf"),
        """
        [max]
        pattern = \\.max$
        xFilesFactor = 0.1
        aggregationMethod = max

        [default]
        pattern = .*
        xFilesFactor = 0.5
        aggregationMethod = average
        """);
    int carbonPort = freePort();
    int kafkaPort = freePort();
    int metricsPort = freePort();
    start(carbonPort, kafkaPort, metricsPort);
    assertListensOnLoopbackOnly(carbonPort, kafkaPort, metricsPort);

    long now = System.currentTimeMillis() / 1000;
    long t10m =
        now - Math.floorMod(now, 600) - 600; // a whole 10-minute interval, fully in the past
    long t1m = now - Math.floorMod(now, 60) - 120; // a whole minute for the fast schema
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 60; i++) { // every 10 s over the 10 minutes
      lines.append("e2e.default.avg ").append(i).append(' ').append(t10m + 10L * i).append('\n');
      lines
          .append("e2e.default.peak.max ")
          .append(i % 7)
          .append(' ')
          .append(t10m + 10L * i)
          .append('\n');
      if (i == 30) {
        lines.append("this line is not carbon\n").append("e2e.bad nan ").append(now).append('\n');
      }
    }
    for (int i = 0; i < 12; i++) { // every 5 s over one minute
      lines.append("e2e.fast.reqs ").append(i * 2.5).append(' ').append(t1m + 5L * i).append('\n');
    }
    try (Socket socket = new Socket("127.0.0.1", carbonPort)) {
      OutputStream out = socket.getOutputStream();
      out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    Path avg = dataDir.resolve("whisper/e2e/default/avg.wsp");
    Path max = dataDir.resolve("whisper/e2e/default/peak/max.wsp");
    Path fast = dataDir.resolve("whisper/e2e/fast/reqs.wsp");

    // avg: 10 s slots hold i; each minute is the mean of its six slots; the 10 minutes the mean of
    // those.
    awaitArchive(avg, 10, t10m, t10m + 600, i -> (double) i);
    awaitArchive(avg, 60, t10m, t10m + 600, m -> 6 * m + 2.5);
    awaitArchive(avg, 600, t10m, t10m + 600, x -> 29.5);
    // max: the largest of i % 7 per minute and per 10 minutes.
    awaitArchive(
        max,
        60,
        t10m,
        t10m + 600,
        m -> {
          double best = 0;
          for (int j = 0; j < 6; j++) {
            best = Math.max(best, (6 * m + j) % 7);
          }
          return best;
        });
    awaitArchive(max, 600, t10m, t10m + 600, x -> 6.0);
    // fast schema: 5 s slots, then 30 s averages.
    awaitArchive(fast, 5, t1m, t1m + 60, i -> i * 2.5);
    awaitArchive(fast, 30, t1m, t1m + 60, h -> h == 0 ? 6.25 : 21.25);

    try (WhisperFile file = WhisperFile.openReadOnly(max)) {
      assertThat(file.layout().method().carbonName()).isEqualTo("max");
      assertThat(file.layout().xFilesFactor()).isEqualTo(0.1f);
      assertThat(file.layout().archives()).hasSize(3);
    }
    try (WhisperFile file = WhisperFile.openReadOnly(fast)) {
      assertThat(file.layout().archives())
          .extracting(a -> a.secondsPerPoint())
          .containsExactly(5, 30);
    }
    assertThat(dataDir.resolve("whisper/e2e/bad.wsp")).doesNotExist();

    readWithReferenceWhisperFetch(avg, t10m);

    // every service's counters on the one Prometheus endpoint
    String metrics =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    assertThat(metrics)
        .contains(
            "graphite_kafka_relays_metricsReceived_total 132.0\n",
            "graphite_kafka_relays_rejects_field_count_total 1.0\n",
            "graphite_kafka_relays_rejects_nan_value_total 1.0\n",
            "graphite_kafka_aggregator_metricsReceived_total 132.0\n",
            "graphite_kafka_agents_committedPoints_total",
            // carbon's process gauges, under each role
            "graphite_kafka_agents_cpuUsage ",
            "graphite_kafka_agents_memUsage ",
            "graphite_kafka_relays_cpuUsage ",
            "graphite_kafka_aggregator_memUsage ");

    process
        .toHandle()
        .destroy(); // SIGTERM; Process.destroy() would also close our end of its output
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stops within 60 s of SIGTERM").isTrue();
    assertThat(process.exitValue())
        .isIn(0, 143); // 143: the JVM's status after SIGTERM and its hooks
    reader.join(10_000);
    assertThat(String.join("\n", output)).contains("stopped");
  }

  /** Waits until archive {@code step} of {@code file} holds {@code expected(k)} for each slot k. */
  private void awaitArchive(
      Path file, int step, long from, long until, java.util.function.IntToDoubleFunction expected)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "no file";
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        try (WhisperFile whisper = WhisperFile.openReadOnly(file)) {
          long now = System.currentTimeMillis() / 1000;
          FetchResult r = whisper.fetch(from - 1, until - 1, now, step);
          List<Double> want = new ArrayList<>();
          for (int k = 0; k < (until - from) / step; k++) {
            want.add(expected.applyAsDouble(k));
          }
          List<Double> got = java.util.Arrays.asList(r.values());
          if (r.fromInterval() == from && got.equals(want)) {
            return;
          }
          last = "from " + r.fromInterval() + " got " + got + " want " + want;
        } catch (IOException e) {
          last = e.toString();
        }
      }
      if (!process.isAlive()) {
        fail("standalone exited early:\n" + String.join("\n", output));
      }
      Thread.sleep(250);
    }
    fail(
        file + " archive " + step + " s never matched: " + last + "\n" + String.join("\n", output));
  }

  /** whisper-fetch from Debian's python3-whisper, when installed, must read our file too. */
  private void readWithReferenceWhisperFetch(Path file, long from) throws Exception {
    Path tool = Path.of("/usr/bin/whisper-fetch");
    if (!Files.isExecutable(tool)) {
      System.err.println("skipping the whisper-fetch check: python3-whisper is not installed");
      return;
    }
    Process fetch =
        new ProcessBuilder(
                tool.toString(), "--from=" + (from - 1), "--until=" + (from + 50), file.toString())
            .redirectErrorStream(true)
            .start();
    String text = new String(fetch.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(fetch.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(fetch.exitValue()).as(text).isZero();
    assertThat(text)
        .contains(from + "\t0.000000", (from + 10) + "\t1.000000", (from + 50) + "\t5.000000");
  }

  private void start(int carbonPort, int kafkaPort, int metricsPort) throws Exception {
    ProcessBuilder builder =
        ChildProcesses.launcher(
            HOME,
            "",
            "standalone",
            "--data-dir",
            dataDir.toString(),
            "--conf-dir",
            confDir.toString(),
            "--carbon-port",
            Integer.toString(carbonPort),
            "--kafka-port",
            Integer.toString(kafkaPort),
            "--udp-port",
            Integer.toString(freePort()),
            "--pickle-port",
            Integer.toString(freePort()),
            "--metrics-port",
            Integer.toString(metricsPort),
            "--partitions",
            "3");
    process = builder.start();
    // wait as a script does, for the first line with the word "ready": it must be the launcher's
    // own
    reader =
        ChildProcesses.awaitReady(
            "standalone",
            process,
            output,
            "",
            line -> READY.matcher(line).find(),
            Duration.ofSeconds(180));
    List<String> readyLines;
    synchronized (output) {
      readyLines = output.stream().filter(line -> READY.matcher(line).find()).toList();
    }
    assertThat(readyLines).as(String.join("\n", output)).isNotEmpty();
    assertThat(readyLines.get(0)).startsWith("graphite-kafka ready: ");
  }

  private static final java.util.regex.Pattern READY =
      java.util.regex.Pattern.compile("\\bready\\b");

  /**
   * Without {@code --bind}, every port of the standalone process answers on 127.0.0.1 and refuses a
   * connection to the same port on the host's other addresses.
   */
  private static void assertListensOnLoopbackOnly(int... ports) throws IOException {
    java.net.InetAddress external = null;
    for (java.net.NetworkInterface nic :
        java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
          if (a instanceof java.net.Inet4Address) {
            external = a;
          }
        }
      }
    }
    for (int port : ports) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        assertThat(s.isConnected()).isTrue();
      }
      if (external == null) {
        System.err.println("skipping the non-loopback check: this host has no other IPv4 address");
        continue;
      }
      java.net.InetAddress address = external;
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> {
                try (Socket s = new Socket()) {
                  s.connect(new java.net.InetSocketAddress(address, port), 5_000);
                }
              })
          .as("port %d on %s", port, address)
          .isInstanceOf(java.net.ConnectException.class);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

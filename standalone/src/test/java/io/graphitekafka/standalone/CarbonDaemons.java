package io.graphitekafka.standalone;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Debian's carbon daemons as the reference in a test: a carbon-cache, and optionally a
 * carbon-aggregator in front of it, each its own process on one {@code carbon.conf}, writing
 * Whisper files under {@code dir/whisper}. Also reads a Whisper file's slots, whatever their ring
 * position, for comparisons with carbon's files.
 */
public final class CarbonDaemons implements AutoCloseable {

  static final Path CARBON_CACHE = Path.of("/usr/bin/carbon-cache");
  static final Path CARBON_AGGREGATOR = Path.of("/usr/bin/carbon-aggregator");

  private final Path dir;
  private final Path conf;
  private final List<Process> processes = new ArrayList<>();
  private final int linePort;
  private final int picklePort;
  private final int aggregatorLinePort;

  /**
   * Writes {@code carbon.conf} and copies {@code confFiles} (storage-schemas.conf, rule files...)
   * from {@code confSource}.
   *
   * @param aggregatorSettings extra {@code [aggregator]} settings, such as {@code FORWARD_ALL}
   */
  CarbonDaemons(Path dir, Path confSource, List<String> confFiles, List<String> aggregatorSettings)
      throws IOException {
    this.dir = dir;
    this.conf = Files.createDirectories(dir.resolve("conf"));
    for (String file : confFiles) {
      Files.copy(confSource.resolve(file), conf.resolve(file));
    }
    Files.createDirectories(dir.resolve("whisper"));
    Files.createDirectories(dir.resolve("log"));
    this.linePort = freePort();
    this.picklePort = freePort();
    this.aggregatorLinePort = freePort();
    List<String> lines = new ArrayList<>();
    lines.addAll(
        List.of(
            "[cache]",
            "STORAGE_DIR = " + dir,
            "LOCAL_DATA_DIR = " + dir.resolve("whisper"),
            "WHITELISTS_DIR = " + dir.resolve("lists"),
            "CONF_DIR = " + conf,
            "LOG_DIR = " + dir.resolve("log"),
            "PID_DIR = " + dir,
            "ENABLE_LOGROTATION = False",
            "USER =",
            "MAX_CACHE_SIZE = inf",
            "MAX_UPDATES_PER_SECOND = inf",
            "MAX_CREATES_PER_MINUTE = inf",
            "LINE_RECEIVER_INTERFACE = 127.0.0.1",
            "LINE_RECEIVER_PORT = " + linePort,
            "ENABLE_UDP_LISTENER = False",
            "PICKLE_RECEIVER_INTERFACE = 127.0.0.1",
            "PICKLE_RECEIVER_PORT = " + picklePort,
            "CACHE_QUERY_INTERFACE = 127.0.0.1",
            "CACHE_QUERY_PORT = " + freePort(),
            "CARBON_METRIC_INTERVAL = 0",
            "ENABLE_TAGS = True",
            "GRAPHITE_URL = http://127.0.0.1:" + freePort(),
            "",
            "[aggregator]",
            "LINE_RECEIVER_INTERFACE = 127.0.0.1",
            "LINE_RECEIVER_PORT = " + aggregatorLinePort,
            "PICKLE_RECEIVER_INTERFACE = 127.0.0.1",
            "PICKLE_RECEIVER_PORT = " + freePort(),
            "DESTINATIONS = 127.0.0.1:" + picklePort,
            "MAX_QUEUE_SIZE = 1000000",
            "CARBON_METRIC_INTERVAL = 0",
            "LOG_AGGREGATOR_MISSES = False"));
    lines.addAll(aggregatorSettings);
    lines.add("");
    Files.writeString(conf.resolve("carbon.conf"), String.join("\n", lines));
  }

  /** Starts carbon-cache; returns its plaintext port. */
  int startCache() throws Exception {
    start(CARBON_CACHE, "carbon-cache");
    awaitListening(linePort, "carbon-cache");
    return linePort;
  }

  /** Starts carbon-aggregator, relaying to the cache; returns its plaintext port. */
  int startAggregator() throws Exception {
    start(CARBON_AGGREGATOR, "carbon-aggregator");
    awaitListening(aggregatorLinePort, "carbon-aggregator");
    return aggregatorLinePort;
  }

  /** Where carbon-cache writes its files. */
  Path whisperDir() {
    return dir.resolve("whisper");
  }

  private void start(Path program, String name) throws IOException {
    processes.add(
        new ProcessBuilder(
                program.toString(),
                "--config=" + conf.resolve("carbon.conf"),
                "--nodaemon",
                "--logfile=" + dir.resolve("log/" + name + ".log"),
                "start")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".out").toFile())
            .start());
  }

  private static void awaitListening(int port, String name) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(name + " does not listen on " + port);
        }
        Thread.sleep(200);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  /** Per archive, each non-empty slot's timestamp and value bits, whatever its ring position. */
  public static List<Map<Long, Long>> slots(byte[] file) {
    List<Map<Long, Long>> out = new ArrayList<>();
    if (file.length < 16) {
      return out;
    }
    ByteBuffer buf = ByteBuffer.wrap(file);
    int count = buf.getInt(12);
    for (int a = 0; a < count; a++) {
      int info = 16 + 12 * a;
      int offset = buf.getInt(info);
      int points = buf.getInt(info + 8);
      Map<Long, Long> slots = new TreeMap<>();
      for (int i = 0; i < points && offset + 12L * (i + 1) <= file.length; i++) {
        long ts = Integer.toUnsignedLong(buf.getInt(offset + 12 * i));
        long bits = buf.getLong(offset + 12 * i + 4);
        if (ts != 0) {
          slots.put(ts, bits);
        }
      }
      out.add(slots);
    }
    return out;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

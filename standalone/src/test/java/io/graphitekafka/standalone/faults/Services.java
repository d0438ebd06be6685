package io.graphitekafka.standalone.faults;

import io.graphitekafka.testing.ChildProcesses;
import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Starts services as separate {@code bin/graphite-kafka <service> --config FILE} processes, as an
 * operator runs them, keeps their output for failure messages, and stops whatever is still running
 * on close.
 */
final class Services implements AutoCloseable {

  static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();

  private final Path dir;
  private final List<Service> started = Collections.synchronizedList(new ArrayList<>());
  private final List<String> output = Collections.synchronizedList(new ArrayList<>());

  Services(Path dir) {
    this.dir = dir;
  }

  /** A running service process. */
  record Service(String name, Process process, int metricsPort) {
    long pid() {
      return process.pid();
    }

    /** SIGKILL: no shutdown hook, no flush, no commit. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + " survived SIGKILL");
      }
    }

    Map<String, Double> metrics() throws IOException, InterruptedException {
      return Prometheus.scrape(metricsPort);
    }
  }

  /**
   * Starts {@code service} with {@code settings} in a properties file plus a free Prometheus port,
   * and waits for its ready line.
   */
  Service start(String name, String service, Map<String, String> settings) throws Exception {
    int metricsPort = freePort();
    Map<String, String> all = new LinkedHashMap<>(settings);
    all.putIfAbsent("metrics.http.port", Integer.toString(metricsPort));
    all.putIfAbsent("metrics.http.bind", "127.0.0.1");
    all.putIfAbsent("carbon.metric.interval.seconds", "0"); // no self-metrics series in the files
    Path config = dir.resolve(name + ".properties");
    Properties p = new Properties();
    all.forEach(p::setProperty);
    try (Writer out = Files.newBufferedWriter(config)) {
      p.store(out, null);
    }
    Process process =
        ChildProcesses.launcher(
                HOME,
                "-Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
                service,
                "--config",
                config.toString())
            .start();
    Service s = new Service(name, process, Integer.parseInt(all.get("metrics.http.port")));
    started.add(s);
    ChildProcesses.awaitReady(
        name,
        process,
        output,
        name + ": ",
        line -> line.startsWith("graphite-kafka ") && line.contains(" ready"),
        Duration.ofSeconds(120));
    return s;
  }

  /**
   * Runs several {@link #start} calls at once, so the JVMs start side by side; results in list
   * order.
   */
  static List<Service> together(List<Callable<Service>> starts) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(starts.size());
    try {
      List<Service> out = new ArrayList<>();
      for (Future<Service> f : pool.invokeAll(starts)) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Exception cause) {
            throw cause;
          }
          throw (Error) e.getCause();
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** The recent output of every process, for failure messages. */
  String log() {
    return ChildProcesses.recent(output);
  }

  /** Output lines of {@code name} containing {@code text}. */
  List<String> linesOf(String name, String text) {
    synchronized (output) {
      return output.stream().filter(l -> l.startsWith(name + ": ") && l.contains(text)).toList();
    }
  }

  /** SIGTERM to every process still running, then SIGKILL to any that does not stop in 30 s. */
  @Override
  public void close() {
    for (Service s : started) {
      s.process().toHandle().destroy();
    }
    for (Service s : started) {
      try {
        if (!s.process().waitFor(30, TimeUnit.SECONDS)) {
          s.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        s.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

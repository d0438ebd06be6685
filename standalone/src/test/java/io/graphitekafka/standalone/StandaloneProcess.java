package io.graphitekafka.standalone;

import io.graphitekafka.testing.ChildProcesses;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bin/graphite-kafka standalone} as the process a comparison with carbon runs beside: on
 * loopback, free ports, a data and a conf dir of the test's.
 */
final class StandaloneProcess {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath();

  private StandaloneProcess() {}

  /**
   * Starts it and waits for its ready line; its output goes to {@code output}.
   *
   * @param metricsPort the Prometheus endpoint's port, -1 for none
   * @return its Carbon plaintext port
   */
  static int start(
      Path dataDir, Path conf, int metricsPort, List<Process> processes, List<String> output)
      throws Exception {
    return start(dataDir, conf, metricsPort, CarbonDaemons.freePort(), processes, output);
  }

  /**
   * Starts it with its carbonlink port at {@code carbonlinkPort} and {@code more} arguments, and
   * waits for its ready line; its output goes to {@code output}.
   *
   * @param metricsPort the Prometheus endpoint's port, -1 for none
   * @return its Carbon plaintext port
   */
  static int start(
      Path dataDir,
      Path conf,
      int metricsPort,
      int carbonlinkPort,
      List<Process> processes,
      List<String> output,
      String... more)
      throws Exception {
    int carbon = CarbonDaemons.freePort();
    List<String> args =
        new ArrayList<>(
            List.of(
                "standalone",
                "--data-dir",
                dataDir.toString(),
                "--conf-dir",
                conf.toString(),
                "--bind",
                "127.0.0.1",
                "--carbon-port",
                Integer.toString(carbon),
                "--udp-port",
                Integer.toString(carbon),
                "--pickle-port",
                Integer.toString(CarbonDaemons.freePort()),
                "--kafka-port",
                Integer.toString(CarbonDaemons.freePort()),
                "--metrics-port",
                Integer.toString(metricsPort),
                "--carbonlink-port",
                Integer.toString(carbonlinkPort)));
    args.addAll(List.of(more));
    Process p = ChildProcesses.launcher(HOME, "", args.toArray(new String[0])).start();
    processes.add(p);
    ChildProcesses.awaitReady(
        "standalone",
        p,
        output,
        "",
        line -> line.startsWith("graphite-kafka ") && line.contains(" ready"),
        Duration.ofSeconds(180));
    return carbon;
  }
}

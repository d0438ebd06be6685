package io.graphitekafka.standalone;

import io.graphitekafka.aggregator.Aggregator;
import io.graphitekafka.aggregator.AggregatorReset;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.tools.importer.ImportConfig;
import io.graphitekafka.tools.importer.WhisperImporter;
import io.graphitekafka.tools.load.LoadGenerator;
import io.graphitekafka.tools.produce.CarbonFileProducer;
import io.graphitekafka.tools.produce.ProduceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code bin/graphite-kafka}: one command with a subcommand per service. Every flag maps to a key
 * of the service's properties file ({@code --config FILE}); flags win over the file.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * The installation directory: {@code -Dgraphite.kafka.home}, set by bin/graphite-kafka, or the
   * cwd.
   */
  static Path home() {
    return Path.of(System.getProperty("graphite.kafka.home", "."));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine line = Commands.commandLine();
    PrintWriter outWriter = new PrintWriter(out, true);
    PrintWriter errWriter = new PrintWriter(err, true);
    line.setOut(outWriter);
    line.setErr(errWriter);
    if (args.length == 0) {
      line.usage(outWriter);
      return 2;
    }
    ParseResult parsed;
    try {
      parsed = line.parseArgs(args);
    } catch (ParameterException e) {
      return refuse(e, line, errWriter);
    }
    Integer helped = CommandLine.executeHelpRequest(parsed);
    outWriter.flush();
    if (helped != null) {
      return helped;
    }
    ParseResult sub = parsed.subcommand();
    if (sub == null) {
      line.usage(outWriter);
      return 2;
    }
    if (sub.commandSpec().name().equals(Commands.COMPLETION)) {
      out.print(AutoComplete.bash(Commands.NAME, line));
      out.flush();
      return 0;
    }
    Commands.Command command = Commands.find(sub.commandSpec().name());
    Map<String, String> props;
    try {
      props = Commands.properties(command, sub);
    } catch (IOException e) {
      err.println("graphite-kafka " + command.name() + ": " + e.getMessage());
      return 2;
    }
    return start(command, props, out, err);
  }

  /**
   * Reports a command line that does not parse, with the nearest flags or commands to a mistyped
   * one; exit status 2.
   */
  private static int refuse(ParameterException e, CommandLine top, PrintWriter err) {
    CommandLine failed = e.getCommandLine();
    String where = failed.getCommandSpec().qualifiedName(" ");
    if (e instanceof UnmatchedArgumentException unmatched
        && failed == top
        && !unmatched.getUnmatched().isEmpty()
        && !unmatched.getUnmatched().get(0).startsWith("-")) {
      err.println(where + ": unknown command '" + unmatched.getUnmatched().get(0) + "'");
    } else {
      err.println(where + ": " + e.getMessage());
    }
    if (e instanceof UnmatchedArgumentException unmatched) {
      unmatched.printSuggestions(err);
    }
    err.println("Run '" + where + " --help' for usage.");
    err.flush();
    return 2;
  }

  private static int start(
      Commands.Command command, Map<String, String> props, PrintStream out, PrintStream err) {
    try {
      switch (command.name()) {
        case "standalone":
          return runStandalone(new StandaloneConfig(props), out);
        case "gateway":
          return runGateway(new GatewayConfig(props), out);
        case "aggregator":
          return runAggregator(new AggregatorConfig(props), out);
        case "sink":
          return runSink(new SinkConfig(props), out);
        case "loadgen":
          return runLoadgen(new LoadgenConfig(props), out);
        case "import":
          return runImport(new ImportConfig(props), out, err);
        case "produce":
          return runProduce(new ProduceConfig(props), out, err);
        case "aggregator-reset":
          return runAggregatorReset(props, out);
        default:
          throw new AssertionError(command.name());
      }
    } catch (ConfigException e) {
      err.println(
          "graphite-kafka "
              + command.name()
              + ": invalid configuration"
              + Commands.flagsNamedIn(command, e.getMessage())
              + ": "
              + e.getMessage());
      return 2;
    } catch (Exception e) {
      log.error("graphite-kafka {} failed", command.name(), e);
      err.println("graphite-kafka " + command.name() + ": " + e);
      return 1;
    }
  }

  /** The properties {@code args} (a command line, command first) give that command; for tests. */
  static Map<String, String> options(String... args) throws IOException {
    ParseResult parsed = Commands.commandLine().parseArgs(args);
    return Commands.properties(Commands.find(args[0]), parsed.subcommand());
  }

  /** How a service starts; it stops through its {@link AutoCloseable#close()}. */
  @FunctionalInterface
  private interface Starter {
    void start() throws Exception;
  }

  /**
   * Starts a service, prints its one {@code ready} line, and blocks until a signal has stopped it
   * or the service has failed on its own (exit status 1). Shutdown runs in a hook so that SIGTERM
   * and Ctrl-C both flush before the JVM exits.
   */
  private static int serve(
      Starter start,
      AutoCloseable stop,
      Supplier<String> ready,
      Supplier<Throwable> failure,
      PrintStream out)
      throws Exception {
    CountDownLatch done = onShutdown(stop);
    start.start();
    out.println(ready.get());
    out.flush();
    while (!done.await(1, TimeUnit.SECONDS)) {
      Throwable failed = failure.get();
      if (failed != null) {
        log.error("stopping after a fatal error", failed);
        stop.close();
        return 1;
      }
    }
    return 0;
  }

  private static int serve(
      Starter start, AutoCloseable stop, Supplier<String> ready, PrintStream out) throws Exception {
    return serve(start, stop, ready, () -> null, out);
  }

  private static int runStandalone(StandaloneConfig config, PrintStream out) throws Exception {
    Standalone standalone = new Standalone(config);
    return serve(
        standalone::start, standalone, () -> "graphite-kafka ready: " + standalone.describe(), out);
  }

  private static int runGateway(GatewayConfig config, PrintStream out) throws Exception {
    Gateway gateway = new Gateway(config);
    return serve(
        gateway::start,
        gateway,
        () -> "graphite-kafka gateway ready: plaintext port " + gateway.carbonPort(),
        out);
  }

  private static int runAggregator(AggregatorConfig config, PrintStream out) throws Exception {
    Aggregator aggregator = new Aggregator(config);
    return serve(
        aggregator::start,
        aggregator,
        () -> "graphite-kafka aggregator ready",
        () ->
            aggregator.state() == KafkaStreams.State.ERROR
                ? new IllegalStateException("the Kafka Streams client is in state ERROR")
                : null,
        out);
  }

  private static int runSink(SinkConfig config, PrintStream out) throws Exception {
    Sink sink = new Sink(config);
    return serve(
        sink::start,
        sink,
        () -> "graphite-kafka sink ready: writing under " + config.whisperDir(),
        sink::failure,
        out);
  }

  private static int runLoadgen(LoadgenConfig config, PrintStream out) throws Exception {
    LoadGenerator.Spec spec = config.spec();
    LoadGenerator.Result r = new LoadGenerator(spec).run();
    out.printf(
        java.util.Locale.ROOT,
        "sent %d points (%d bytes) in %.3f s: %.0f points/s"
            + " (%s, %d connection(s), first byte at %d ms)%n",
        r.points(),
        r.bytes(),
        r.nanos() / 1e9,
        r.pointsPerSecond(),
        spec.protocol().name().toLowerCase(java.util.Locale.ROOT),
        spec.connections(),
        r.startEpochMillis());
    return 0;
  }

  private static int runImport(ImportConfig config, PrintStream out, PrintStream err)
      throws Exception {
    WhisperImporter.Summary summary = new WhisperImporter(config, err).run();
    out.println(summary.describe());
    return summary.failures().isEmpty() ? 0 : 1;
  }

  /**
   * Exit status: 0 all produced, 3 some input rejected (beyond --max-rejects), 1 a Kafka failure.
   */
  private static int runProduce(ProduceConfig config, PrintStream out, PrintStream err)
      throws IOException {
    String input = config.input();
    CarbonFileProducer.Summary summary;
    if (input.equals(ProduceConfig.STDIN)) {
      summary = new CarbonFileProducer(config).run(System.in, "stdin");
    } else {
      Path file = Path.of(input);
      if (!Files.isReadable(file)) {
        err.println("graphite-kafka produce: cannot read " + file);
        return 2;
      }
      try (InputStream in = Files.newInputStream(file)) {
        summary = new CarbonFileProducer(config).run(in, input);
      }
    }
    out.println(summary.describe());
    return summary.exitCode();
  }

  private static int runAggregatorReset(Map<String, String> props, PrintStream out) {
    Map<String, String> settings = new HashMap<>(props);
    String dryRun = settings.remove(Commands.RESET_DRY_RUN);
    boolean dry =
        dryRun != null
            && (Boolean)
                ConfigDef.parseType(Commands.RESET_DRY_RUN, dryRun, ConfigDef.Type.BOOLEAN);
    int status = AggregatorReset.run(new AggregatorConfig(settings), dry);
    if (status == 0) {
      out.println(
          dry
              ? "graphite-kafka aggregator-reset: dry run only; nothing was changed"
              : "graphite-kafka aggregator-reset: done; the next start reprocesses every point on the topic");
    }
    return status;
  }

  /** Runs {@code close} on SIGTERM/SIGINT; the returned latch opens once it has finished. */
  private static CountDownLatch onShutdown(AutoCloseable close) {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    close.close();
                  } catch (Exception e) {
                    log.error("error while stopping", e);
                  } finally {
                    // log4j's own shutdown hook is disabled (log4j2.xml) so that stopping is logged
                    // to the end
                    org.apache.logging.log4j.LogManager.shutdown();
                    done.countDown();
                  }
                },
                "graphite-kafka-shutdown"));
    return done;
  }
}

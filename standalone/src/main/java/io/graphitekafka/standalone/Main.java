package io.graphitekafka.standalone;

import io.graphitekafka.aggregator.Aggregator;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.aggregator.AggregatorReset;
import io.graphitekafka.gateway.Gateway;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.tools.load.LoadGenerator;
import io.graphitekafka.tools.produce.CarbonFileProducer;
import io.graphitekafka.tools.produce.ProduceConfig;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.tools.importer.ImportConfig;
import io.graphitekafka.tools.importer.WhisperImporter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/graphite-kafka}: one command with a subcommand per service. Every flag maps to a key of the
 * service's properties file ({@code --config FILE}); flags win over the file.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  /**
   * A subcommand: its flags, each mapped to the config key it sets, and the key its one positional
   * argument sets (null when it takes none).
   */
  private record Command(String name, String synopsis, Map<String, String> flags, String positional) {
    Command(String name, String synopsis, Map<String, String> flags) {
      this(name, synopsis, flags, null);
    }
  }

  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  /** {@code aggregator-reset --dry-run true}: only print what the reset tool would do. */
  private static final String RESET_DRY_RUN = "reset.dry.run";

  static {
    add(new Command("standalone", "run an embedded Kafka broker and every service in one process",
        flags("data-dir", StandaloneConfig.DATA_DIR, "conf-dir", StandaloneConfig.CONF_DIR,
            "bind", StandaloneConfig.BIND_ADDRESS, "carbon-port", StandaloneConfig.CARBON_PORT,
            "udp-port", StandaloneConfig.UDP_PORT, "pickle-port", StandaloneConfig.PICKLE_PORT,
            "kafka-port", StandaloneConfig.BROKER_PORT, "partitions", StandaloneConfig.PARTITIONS,
            "metrics-port", StandaloneConfig.METRICS_PORT, "graphite-url", StandaloneConfig.GRAPHITE_URL)));
    add(new Command("gateway", "accept Carbon input and produce points to Kafka",
        flags("bootstrap-servers", GatewayConfig.BOOTSTRAP_SERVERS, "bind", GatewayConfig.BIND_ADDRESS,
            "carbon-port", GatewayConfig.CARBON_PORT, "udp-port", GatewayConfig.UDP_PORT,
            "pickle-port", GatewayConfig.PICKLE_PORT,
            "schema-registry-url", GatewayConfig.SCHEMA_REGISTRY_URL)));
    add(new Command("aggregator", "roll points up into archive points (Kafka Streams)",
        flags("bootstrap-servers", AggregatorConfig.BOOTSTRAP_SERVERS,
            "conf-dir", AggregatorConfig.CONF_DIR,
            "schema-registry-url", AggregatorConfig.SCHEMA_REGISTRY_URL)));
    add(new Command("sink", "write archive points into Whisper files",
        flags("bootstrap-servers", SinkConfig.BOOTSTRAP_SERVERS, "data-dir", SinkConfig.DATA_DIR,
            "group", SinkConfig.GROUP_ID, "partitions", SinkConfig.PARTITIONS,
            "replay-from", SinkConfig.REPLAY_FROM, "graphite-url", SinkConfig.GRAPHITE_URL,
            "schema-registry-url", RegistrySettings.URL)));
    add(new Command("loadgen", "send deterministic Carbon plaintext or pickle load and report points/s",
        flags("host", LoadgenConfig.HOST, "port", LoadgenConfig.PORT, "protocol", LoadgenConfig.PROTOCOL,
            "connections", LoadgenConfig.CONNECTIONS, "series", LoadgenConfig.SERIES,
            "points-per-series", LoadgenConfig.POINTS_PER_SERIES, "rate", LoadgenConfig.RATE,
            "timestamps", LoadgenConfig.TIMESTAMPS, "step", LoadgenConfig.STEP, "seed", LoadgenConfig.SEED,
            "prefix", LoadgenConfig.PREFIX)));
    add(new Command("import", "produce an existing Whisper tree to carbon.archives (migration)",
        flags("whisper-dir", ImportConfig.WHISPER_DIR, "bootstrap-servers", ImportConfig.BOOTSTRAP_SERVERS,
            "rate", ImportConfig.RATE, "state-file", ImportConfig.STATE_FILE,
            "tag-names", ImportConfig.TAG_NAMES_FILE, "tag-names-from", ImportConfig.TAG_NAMES_FROM,
            "schema-registry-url", RegistrySettings.URL)));
    add(new Command("produce", "produce Carbon lines or pickle from FILE or stdin (-) to carbon.points",
        flags("bootstrap-servers", ProduceConfig.BOOTSTRAP_SERVERS, "topic", ProduceConfig.POINTS_TOPIC,
            "rejects-topic", ProduceConfig.REJECTS_TOPIC, "format", ProduceConfig.FORMAT,
            "max-rejects", ProduceConfig.MAX_REJECTS, "timeout", ProduceConfig.TIMEOUT_SECONDS,
            "schema-registry-url", ProduceConfig.SCHEMA_REGISTRY_URL),
        ProduceConfig.INPUT));
    add(new Command("aggregator-reset",
        "make the stopped aggregators reprocess carbon.points from the earliest (Streams reset tool)",
        flags("bootstrap-servers", AggregatorConfig.BOOTSTRAP_SERVERS,
            "conf-dir", AggregatorConfig.CONF_DIR, "dry-run", RESET_DRY_RUN)));
  }

  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** The installation directory: {@code -Dgraphite.kafka.home}, set by bin/graphite-kafka, or the cwd. */
  static Path home() {
    return Path.of(System.getProperty("graphite.kafka.home", "."));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
      usage(out);
      return args.length == 0 ? 2 : 0;
    }
    Command command = COMMANDS.get(args[0]);
    if (command == null) {
      err.println("graphite-kafka: unknown command '" + args[0] + "'");
      usage(err);
      return 2;
    }
    Map<String, String> props;
    try {
      props = parse(command, args);
    } catch (IllegalArgumentException | IOException e) {
      err.println("graphite-kafka " + command.name() + ": " + e.getMessage());
      return 2;
    }
    if (props == null) {
      usage(command, out);
      return 0;
    }
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
      err.println("graphite-kafka " + command.name() + ": invalid configuration: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      log.error("graphite-kafka {} failed", command.name(), e);
      err.println("graphite-kafka " + command.name() + ": " + e);
      return 1;
    }
  }

  /** The properties {@code args} (a command line, command first) give that command; for tests. */
  static Map<String, String> options(String... args) throws IOException {
    return parse(COMMANDS.get(args[0]), args);
  }

  /** Reads {@code --config FILE} then the flags; returns null when help was asked for. */
  private static Map<String, String> parse(Command command, String[] args) throws IOException {
    Map<String, String> fromFlags = new HashMap<>();
    Path configFile = null;
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return null;
      }
      if (!arg.startsWith("--")) {
        if (command.positional() == null || fromFlags.containsKey(command.positional())) {
          throw new IllegalArgumentException("unexpected argument '" + arg + "'");
        }
        fromFlags.put(command.positional(), arg);
        continue;
      }
      String name = arg.substring(2);
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("--" + name + " needs a value");
      }
      if (name.equals("config")) {
        configFile = Path.of(value);
        continue;
      }
      String key = command.flags().get(name);
      if (key == null) {
        throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
      }
      fromFlags.put(key, value);
    }
    Map<String, String> props = new HashMap<>();
    if (configFile != null) {
      Properties file = new Properties();
      try (InputStream in = Files.newInputStream(configFile)) {
        file.load(in);
      } catch (IOException e) {
        throw new IOException("cannot read config file " + configFile + ": " + e.getMessage(), e);
      }
      file.stringPropertyNames().forEach(k -> props.put(k, file.getProperty(k).trim()));
    }
    props.putAll(fromFlags);
    return props;
  }

  /** How a service starts; it stops through its {@link AutoCloseable#close()}. */
  @FunctionalInterface
  private interface Starter {
    void start() throws Exception;
  }

  /**
   * Starts a service, prints its one {@code ready} line, and blocks until a signal has stopped it or the
   * service has failed on its own (exit status 1). Shutdown runs in a hook so that SIGTERM and Ctrl-C
   * both flush before the JVM exits.
   */
  private static int serve(Starter start, AutoCloseable stop, Supplier<String> ready,
      Supplier<Throwable> failure, PrintStream out) throws Exception {
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

  private static int serve(Starter start, AutoCloseable stop, Supplier<String> ready, PrintStream out)
      throws Exception {
    return serve(start, stop, ready, () -> null, out);
  }

  private static int runStandalone(StandaloneConfig config, PrintStream out) throws Exception {
    Standalone standalone = new Standalone(config);
    return serve(standalone::start, standalone,
        () -> "graphite-kafka ready: " + standalone.describe(), out);
  }

  private static int runGateway(GatewayConfig config, PrintStream out) throws Exception {
    Gateway gateway = new Gateway(config);
    return serve(gateway::start, gateway,
        () -> "graphite-kafka gateway ready: plaintext port " + gateway.carbonPort(), out);
  }

  private static int runAggregator(AggregatorConfig config, PrintStream out) throws Exception {
    Aggregator aggregator = new Aggregator(config);
    return serve(aggregator::start, aggregator, () -> "graphite-kafka aggregator ready",
        () -> aggregator.state() == KafkaStreams.State.ERROR ? new IllegalStateException("the Kafka Streams client is in state ERROR") : null, out);
  }

  private static int runSink(SinkConfig config, PrintStream out) throws Exception {
    Sink sink = new Sink(config);
    return serve(sink::start, sink,
        () -> "graphite-kafka sink ready: writing under " + config.whisperDir(), sink::failure, out);
  }

  private static int runLoadgen(LoadgenConfig config, PrintStream out) throws Exception {
    LoadGenerator.Spec spec = config.spec();
    LoadGenerator.Result r = new LoadGenerator(spec).run();
    out.printf(java.util.Locale.ROOT, "sent %d points (%d bytes) in %.3f s: %.0f points/s"
            + " (%s, %d connection(s), first byte at %d ms)%n", r.points(), r.bytes(), r.nanos() / 1e9,
        r.pointsPerSecond(), spec.protocol().name().toLowerCase(java.util.Locale.ROOT),
        spec.connections(), r.startEpochMillis());
    return 0;
  }

  private static int runImport(ImportConfig config, PrintStream out, PrintStream err) throws Exception {
    WhisperImporter.Summary summary = new WhisperImporter(config, err).run();
    out.println(summary.describe());
    return summary.failures().isEmpty() ? 0 : 1;
  }

  /** Exit status: 0 all produced, 3 some input rejected (beyond --max-rejects), 1 a Kafka failure. */
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
    String dryRun = settings.remove(RESET_DRY_RUN);
    if (dryRun != null && !dryRun.equals("true") && !dryRun.equals("false")) {
      throw new ConfigException("--dry-run", dryRun, "expected true or false");
    }
    boolean dry = "true".equals(dryRun);
    int status = AggregatorReset.run(new AggregatorConfig(settings), dry);
    if (status == 0) {
      out.println(dry ? "graphite-kafka aggregator-reset: dry run only; nothing was changed"
          : "graphite-kafka aggregator-reset: done; the next start reprocesses every point on the topic");
    }
    return status;
  }

  /** Runs {@code close} on SIGTERM/SIGINT; the returned latch opens once it has finished. */
  private static CountDownLatch onShutdown(AutoCloseable close) {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        close.close();
      } catch (Exception e) {
        log.error("error while stopping", e);
      } finally {
        // log4j's own shutdown hook is disabled (log4j2.xml) so that stopping is logged to the end
        org.apache.logging.log4j.LogManager.shutdown();
        done.countDown();
      }
    }, "graphite-kafka-shutdown"));
    return done;
  }

  private static void usage(PrintStream out) {
    out.println("usage: graphite-kafka <command> [options]");
    out.println();
    for (Command c : COMMANDS.values()) {
      out.printf("  %-11s %s%n", c.name(), c.synopsis());
    }
    out.println();
    out.println("Run 'graphite-kafka <command> --help' for a command's options.");
  }

  private static void usage(Command command, PrintStream out) {
    out.println("usage: graphite-kafka " + command.name() + " [--config FILE] [options]"
        + (command.positional() == null ? "" : " [FILE|-]"));
    out.println(command.synopsis());
    out.println();
    out.println("  --config FILE   a properties file; the flags below win over its keys");
    command.flags().forEach((flag, key) -> out.printf("  --%-14s sets %s%n", flag + " V", key));
  }

  private static void add(Command c) {
    COMMANDS.put(c.name(), c);
  }

  private static Map<String, String> flags(String... pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }
}

package io.graphitekafka.standalone;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.tools.importer.ImportConfig;
import io.graphitekafka.tools.produce.ProduceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The command line of {@code bin/graphite-kafka}: the subcommands, each flag and the config key it
 * sets, how {@code --config FILE} and the flags combine, and the usage text. {@link Main} runs what
 * this parses.
 */
final class Commands {

  /**
   * A subcommand: its flags, each mapped to the config key it sets, and the key its one positional
   * argument sets (null when it takes none).
   */
  record Command(String name, String synopsis, Map<String, String> flags, String positional) {
    Command(String name, String synopsis, Map<String, String> flags) {
      this(name, synopsis, flags, null);
    }
  }

  private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

  /** {@code aggregator-reset --dry-run true}: only print what the reset tool would do. */
  static final String RESET_DRY_RUN = "reset.dry.run";

  static {
    add(
        new Command(
            "standalone",
            "run an embedded Kafka broker and every service in one process",
            flags(
                "data-dir",
                StandaloneConfig.DATA_DIR,
                "conf-dir",
                StandaloneConfig.CONF_DIR,
                "bind",
                StandaloneConfig.BIND_ADDRESS,
                "carbon-port",
                StandaloneConfig.CARBON_PORT,
                "udp-port",
                StandaloneConfig.UDP_PORT,
                "pickle-port",
                StandaloneConfig.PICKLE_PORT,
                "kafka-port",
                StandaloneConfig.BROKER_PORT,
                "partitions",
                StandaloneConfig.PARTITIONS,
                "metrics-port",
                StandaloneConfig.METRICS_PORT,
                "graphite-url",
                StandaloneConfig.GRAPHITE_URL)));
    add(
        new Command(
            "gateway",
            "accept Carbon input and produce points to Kafka",
            flags(
                "bootstrap-servers",
                GatewayConfig.BOOTSTRAP_SERVERS,
                "bind",
                GatewayConfig.BIND_ADDRESS,
                "carbon-port",
                GatewayConfig.CARBON_PORT,
                "udp-port",
                GatewayConfig.UDP_PORT,
                "pickle-port",
                GatewayConfig.PICKLE_PORT,
                "schema-registry-url",
                GatewayConfig.SCHEMA_REGISTRY_URL)));
    add(
        new Command(
            "aggregator",
            "roll points up into archive points (Kafka Streams)",
            flags(
                "bootstrap-servers",
                AggregatorConfig.BOOTSTRAP_SERVERS,
                "conf-dir",
                AggregatorConfig.CONF_DIR,
                "schema-registry-url",
                AggregatorConfig.SCHEMA_REGISTRY_URL)));
    add(
        new Command(
            "sink",
            "write archive points into Whisper files",
            flags(
                "bootstrap-servers",
                SinkConfig.BOOTSTRAP_SERVERS,
                "data-dir",
                SinkConfig.DATA_DIR,
                "group",
                SinkConfig.GROUP_ID,
                "partitions",
                SinkConfig.PARTITIONS,
                "replay-from",
                SinkConfig.REPLAY_FROM,
                "graphite-url",
                SinkConfig.GRAPHITE_URL,
                "schema-registry-url",
                RegistrySettings.URL)));
    add(
        new Command(
            "loadgen",
            "send deterministic Carbon plaintext or pickle load and report points/s",
            flags(
                "host",
                LoadgenConfig.HOST,
                "port",
                LoadgenConfig.PORT,
                "protocol",
                LoadgenConfig.PROTOCOL,
                "connections",
                LoadgenConfig.CONNECTIONS,
                "series",
                LoadgenConfig.SERIES,
                "points-per-series",
                LoadgenConfig.POINTS_PER_SERIES,
                "rate",
                LoadgenConfig.RATE,
                "timestamps",
                LoadgenConfig.TIMESTAMPS,
                "step",
                LoadgenConfig.STEP,
                "seed",
                LoadgenConfig.SEED,
                "prefix",
                LoadgenConfig.PREFIX)));
    add(
        new Command(
            "import",
            "produce an existing Whisper tree to carbon.archives (migration)",
            flags(
                "whisper-dir",
                ImportConfig.WHISPER_DIR,
                "bootstrap-servers",
                ImportConfig.BOOTSTRAP_SERVERS,
                "rate",
                ImportConfig.RATE,
                "state-file",
                ImportConfig.STATE_FILE,
                "tag-names",
                ImportConfig.TAG_NAMES_FILE,
                "tag-names-from",
                ImportConfig.TAG_NAMES_FROM,
                "schema-registry-url",
                RegistrySettings.URL)));
    add(
        new Command(
            "produce",
            "produce Carbon lines or pickle from FILE or stdin (-) to carbon.points",
            flags(
                "bootstrap-servers",
                ProduceConfig.BOOTSTRAP_SERVERS,
                "topic",
                ProduceConfig.POINTS_TOPIC,
                "rejects-topic",
                ProduceConfig.REJECTS_TOPIC,
                "format",
                ProduceConfig.FORMAT,
                "max-rejects",
                ProduceConfig.MAX_REJECTS,
                "timeout",
                ProduceConfig.TIMEOUT_SECONDS,
                "schema-registry-url",
                ProduceConfig.SCHEMA_REGISTRY_URL),
            ProduceConfig.INPUT));
    add(
        new Command(
            "aggregator-reset",
            "make the stopped aggregators reprocess carbon.points from the earliest (Streams reset tool)",
            flags(
                "bootstrap-servers",
                AggregatorConfig.BOOTSTRAP_SERVERS,
                "conf-dir",
                AggregatorConfig.CONF_DIR,
                "dry-run",
                RESET_DRY_RUN)));
  }

  private Commands() {}

  /** The command of that name, or null. */
  static Command find(String name) {
    return COMMANDS.get(name);
  }

  /** Reads {@code --config FILE} then the flags; returns null when help was asked for. */
  static Map<String, String> parse(Command command, String[] args) throws IOException {
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

  /** The list of commands. */
  static void usage(PrintStream out) {
    out.println("usage: graphite-kafka <command> [options]");
    out.println();
    for (Command c : COMMANDS.values()) {
      out.printf("  %-11s %s%n", c.name(), c.synopsis());
    }
    out.println();
    out.println("Run 'graphite-kafka <command> --help' for a command's options.");
  }

  /** One command's flags and the keys they set. */
  static void usage(Command command, PrintStream out) {
    out.println(
        "usage: graphite-kafka "
            + command.name()
            + " [--config FILE] [options]"
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

package io.graphitekafka.standalone;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.gateway.GatewayConfig;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.tools.importer.ImportConfig;
import io.graphitekafka.tools.produce.ProduceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The command line of {@code bin/graphite-kafka}: the subcommands, each flag and the config key it
 * sets, and how {@code --config FILE} and the flags combine. The parsing, help, suggestions and
 * completion are picocli's; each command's help lists every key of its configuration from the
 * {@link ConfigDef} that defines it. {@link Main} runs what this parses.
 */
final class Commands {

  /** The name the help and the completion script use. */
  static final String NAME = "graphite-kafka";

  /** The subcommand that prints a bash completion script. */
  static final String COMPLETION = "completion";

  /** {@code aggregator-reset --dry-run true}: only print what the reset tool would do. */
  static final String RESET_DRY_RUN = "reset.dry.run";

  private static final ConfigDef RESET_DEF =
      new ConfigDef(AggregatorConfig.CONFIG_DEF)
          .define(
              RESET_DRY_RUN,
              Type.BOOLEAN,
              false,
              Importance.HIGH,
              "Only print what the reset would do; change nothing.");

  /**
   * A subcommand: its flags, each mapped to the config key it sets, the key its one positional
   * argument sets (null when it takes none), and the definition of every key it reads.
   */
  record Command(
      String name,
      String synopsis,
      ConfigDef keys,
      Map<String, String> flags,
      String positional,
      String keysNote) {

    /** The same command with one more flag; the key must be one of {@link #keys}. */
    Command flag(String flag, String key) {
      Map<String, String> more = new LinkedHashMap<>(flags);
      more.put(flag, key);
      return new Command(name, synopsis, keys, more, positional, keysNote);
    }
  }

  /** Every subcommand, in the order the help lists them. */
  static final List<Command> COMMANDS =
      List.of(
          command(
                  "standalone",
                  "run an embedded Kafka broker and every service in one process",
                  StandaloneConfig.CONFIG_DEF)
              .flag("data-dir", StandaloneConfig.DATA_DIR)
              .flag("conf-dir", StandaloneConfig.CONF_DIR)
              .flag("bind", StandaloneConfig.BIND_ADDRESS)
              .flag("carbon-port", StandaloneConfig.CARBON_PORT)
              .flag("udp-port", StandaloneConfig.UDP_PORT)
              .flag("pickle-port", StandaloneConfig.PICKLE_PORT)
              .flag("kafka-port", StandaloneConfig.BROKER_PORT)
              .flag("partitions", StandaloneConfig.PARTITIONS)
              .flag("metrics-port", StandaloneConfig.METRICS_PORT)
              .flag("carbonlink-port", StandaloneConfig.CARBONLINK_PORT)
              .flag("graphite-url", StandaloneConfig.GRAPHITE_URL),
          command(
                  "gateway",
                  "accept Carbon input and produce points to Kafka",
                  GatewayConfig.CONFIG_DEF)
              .flag("bootstrap-servers", GatewayConfig.BOOTSTRAP_SERVERS)
              .flag("bind", GatewayConfig.BIND_ADDRESS)
              .flag("carbon-port", GatewayConfig.CARBON_PORT)
              .flag("udp-port", GatewayConfig.UDP_PORT)
              .flag("pickle-port", GatewayConfig.PICKLE_PORT)
              .flag("schema-registry-url", GatewayConfig.SCHEMA_REGISTRY_URL),
          command(
                  "aggregator",
                  "roll points up into archive points (Kafka Streams)",
                  AggregatorConfig.CONFIG_DEF)
              .flag("bootstrap-servers", AggregatorConfig.BOOTSTRAP_SERVERS)
              .flag("conf-dir", AggregatorConfig.CONF_DIR)
              .flag("schema-registry-url", AggregatorConfig.SCHEMA_REGISTRY_URL),
          command("sink", "write archive points into Whisper files", SinkConfig.CONFIG_DEF)
              .flag("bootstrap-servers", SinkConfig.BOOTSTRAP_SERVERS)
              .flag("data-dir", SinkConfig.DATA_DIR)
              .flag("group", SinkConfig.GROUP_ID)
              .flag("partitions", SinkConfig.PARTITIONS)
              .flag("replay-from", SinkConfig.REPLAY_FROM)
              .flag("graphite-url", SinkConfig.GRAPHITE_URL)
              .flag("schema-registry-url", RegistrySettings.URL),
          command(
                  "loadgen",
                  "send deterministic Carbon plaintext or pickle load and report points/s",
                  LoadgenConfig.CONFIG_DEF)
              .flag("host", LoadgenConfig.HOST)
              .flag("port", LoadgenConfig.PORT)
              .flag("protocol", LoadgenConfig.PROTOCOL)
              .flag("connections", LoadgenConfig.CONNECTIONS)
              .flag("series", LoadgenConfig.SERIES)
              .flag("points-per-series", LoadgenConfig.POINTS_PER_SERIES)
              .flag("rate", LoadgenConfig.RATE)
              .flag("timestamps", LoadgenConfig.TIMESTAMPS)
              .flag("step", LoadgenConfig.STEP)
              .flag("seed", LoadgenConfig.SEED)
              .flag("prefix", LoadgenConfig.PREFIX),
          command(
                  "import",
                  "produce an existing Whisper tree to carbon.archives (migration)",
                  ImportConfig.CONFIG_DEF)
              .flag("whisper-dir", ImportConfig.WHISPER_DIR)
              .flag("bootstrap-servers", ImportConfig.BOOTSTRAP_SERVERS)
              .flag("rate", ImportConfig.RATE)
              .flag("state-file", ImportConfig.STATE_FILE)
              .flag("tag-names", ImportConfig.TAG_NAMES_FILE)
              .flag("tag-names-from", ImportConfig.TAG_NAMES_FROM)
              .flag("schema-registry-url", RegistrySettings.URL),
          new Command(
                  "produce",
                  "produce Carbon lines or pickle from FILE or stdin (-) to carbon.points",
                  ProduceConfig.CONFIG_DEF,
                  Map.of(),
                  ProduceConfig.INPUT,
                  "")
              .flag("bootstrap-servers", ProduceConfig.BOOTSTRAP_SERVERS)
              .flag("topic", ProduceConfig.POINTS_TOPIC)
              .flag("rejects-topic", ProduceConfig.REJECTS_TOPIC)
              .flag("format", ProduceConfig.FORMAT)
              .flag("max-rejects", ProduceConfig.MAX_REJECTS)
              .flag("timeout", ProduceConfig.TIMEOUT_SECONDS)
              .flag("schema-registry-url", ProduceConfig.SCHEMA_REGISTRY_URL),
          command(
                  "aggregator-reset",
                  "make the stopped aggregators reprocess carbon.points from the earliest"
                      + " (Streams reset tool)",
                  RESET_DEF)
              .flag("bootstrap-servers", AggregatorConfig.BOOTSTRAP_SERVERS)
              .flag("conf-dir", AggregatorConfig.CONF_DIR)
              .flag("dry-run", RESET_DRY_RUN));

  private Commands() {}

  private static Command command(String name, String synopsis, ConfigDef keys) {
    String note =
        name.equals("standalone")
            ? "Any service's own key also works here with the service's prefix: gateway., aggregator."
                + " or sink. (say sink.fill.mode=sparse); 'graphite-kafka <service> --help' lists them."
            : "";
    return new Command(name, synopsis, keys, Map.of(), null, note);
  }

  /** The command of that name, or null. */
  static Command find(String name) {
    return COMMANDS.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * The whole command line: every subcommand, {@code help}, {@code completion}, {@code --version}.
   */
  static CommandLine commandLine() {
    CommandSpec top =
        CommandSpec.create()
            .name(NAME)
            .mixinStandardHelpOptions(true)
            .versionProvider(Commands::version);
    top.usageMessage()
        .description("Carbon-compatible ingestion, roll-up and Whisper storage on Kafka.")
        .footer(
            "",
            "Run '" + NAME + " <command> --help' for a command's options and configuration keys.");
    CommandLine line = new CommandLine(top);
    for (Command command : COMMANDS) {
      line.addSubcommand(command.name(), new CommandLine(spec(command)));
    }
    line.addSubcommand("help", new CommandLine.HelpCommand());
    CommandSpec completion = CommandSpec.create().name(COMPLETION).mixinStandardHelpOptions(true);
    completion
        .usageMessage()
        .description("print a bash completion script: source <(" + NAME + " " + COMPLETION + ")");
    line.addSubcommand(COMPLETION, new CommandLine(completion));
    line.setOverwrittenOptionsAllowed(true);
    line.setUsageHelpWidth(100);
    return line;
  }

  private static CommandSpec spec(Command command) {
    CommandSpec spec = CommandSpec.create().name(command.name()).mixinStandardHelpOptions(true);
    spec.usageMessage()
        .description(escape(command.synopsis()))
        .sortOptions(false)
        .sectionKeys(ConfigKeysHelp.withKeysSection(spec.usageMessage().sectionKeys()))
        .sectionMap(
            ConfigKeysHelp.withKeysSection(
                spec.usageMessage().sectionMap(), command.keys(), command.keysNote()));
    spec.addOption(
        OptionSpec.builder("--config")
            .type(String.class)
            .arity("1")
            .paramLabel("FILE")
            .description("A properties file of the keys below; the flags win over its keys.")
            .build());
    command.flags().forEach((flag, key) -> spec.addOption(option(command.keys(), flag, key)));
    if (command.positional() != null) {
      spec.addPositional(
          PositionalParamSpec.builder()
              .index("0")
              .arity("0..1")
              .paramLabel("FILE|-")
              .description(escape(ConfigKeysHelp.describe(command.keys(), command.positional())))
              .build());
    }
    return spec;
  }

  /**
   * The flag {@code --flag} for {@code key}: its value is checked against the key's definition as
   * it is parsed, so that a bad value is reported with the flag's name. A boolean flag alone means
   * true.
   */
  private static OptionSpec option(ConfigDef keys, String flag, String key) {
    boolean bool = keys.configKeys().get(key).type == Type.BOOLEAN;
    OptionSpec.Builder option =
        OptionSpec.builder("--" + flag)
            .type(String.class)
            .paramLabel(ConfigKeysHelp.label(key))
            .arity(bool ? "0..1" : "1")
            .converters(value -> ConfigKeysHelp.checked(keys, key, value))
            .description(escape(ConfigKeysHelp.describe(keys, key)));
    if (bool) {
      option.fallbackValue("true");
    }
    return option.build();
  }

  /** Picocli formats descriptions with {@link String#format} and expands {@code ${...}} in them. */
  private static String escape(String text) {
    return text.replace("%", "%%").replace("${", "$${");
  }

  private static String[] version() throws IOException {
    Properties p = new Properties();
    try (InputStream in = Commands.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    }
    return new String[] {NAME + " " + p.getProperty("version", "(unknown version)")};
  }

  /**
   * The properties a parsed subcommand gives its service: the keys of {@code --config FILE}, then
   * the flags, which win.
   */
  static Map<String, String> properties(Command command, ParseResult parsed) throws IOException {
    Map<String, String> props = new HashMap<>();
    String configFile = parsed.matchedOptionValue("--config", null);
    if (configFile != null) {
      props.putAll(readConfigFile(Path.of(configFile)));
    }
    for (OptionSpec option : parsed.matchedOptions()) {
      String key = command.flags().get(option.longestName().substring(2));
      if (key != null) {
        props.put(key, option.getValue());
      }
    }
    if (command.positional() != null && parsed.hasMatchedPositional(0)) {
      props.put(command.positional(), parsed.matchedPositional(0).getValue());
    }
    return props;
  }

  /**
   * {@code " (--partitions)"} when a config error's message is about the key a flag sets (Kafka's
   * "Invalid value V for configuration K: ..."), so that the message names the flag too; else
   * empty.
   */
  static String flagsNamedIn(Command command, String message) {
    return command.flags().entrySet().stream()
        .filter(f -> message.contains("for configuration " + f.getValue() + ":"))
        .map(f -> " (--" + f.getKey() + ")")
        .findFirst()
        .orElse("");
  }

  private static Map<String, String> readConfigFile(Path file) throws IOException {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      properties.load(in);
    } catch (IOException e) {
      throw new IOException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> props = new HashMap<>();
    properties.stringPropertyNames().forEach(k -> props.put(k, properties.getProperty(k).trim()));
    return props;
  }
}

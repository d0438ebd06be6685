package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;
import org.junit.jupiter.api.Test;

class CommandsTest {

  /**
   * Every flag of every command and the key it set in the hand-written parser this one replaced:
   * "command flag key", the positional argument as {@code <positional>}.
   */
  private static final List<String> FLAGS_BEFORE =
      List.of(
          "standalone data-dir data.dir",
          "standalone conf-dir conf.dir",
          "standalone bind bind.address",
          "standalone carbon-port carbon.port",
          "standalone udp-port udp.port",
          "standalone pickle-port pickle.port",
          "standalone kafka-port broker.port",
          "standalone partitions partitions",
          "standalone metrics-port metrics.http.port",
          "standalone carbonlink-port carbonlink.port",
          "standalone graphite-url graphite.url",
          "gateway bootstrap-servers bootstrap.servers",
          "gateway bind bind.address",
          "gateway carbon-port carbon.port",
          "gateway udp-port udp.port",
          "gateway pickle-port pickle.port",
          "gateway schema-registry-url schema.registry.url",
          "aggregator bootstrap-servers bootstrap.servers",
          "aggregator conf-dir conf.dir",
          "aggregator schema-registry-url schema.registry.url",
          "sink bootstrap-servers bootstrap.servers",
          "sink data-dir data.dir",
          "sink group group.id",
          "sink partitions partitions",
          "sink replay-from replay.from",
          "sink graphite-url graphite.url",
          "sink schema-registry-url schema.registry.url",
          "loadgen host host",
          "loadgen port port",
          "loadgen protocol protocol",
          "loadgen connections connections",
          "loadgen series series",
          "loadgen points-per-series points.per.series",
          "loadgen rate rate",
          "loadgen timestamps timestamps",
          "loadgen step step",
          "loadgen seed seed",
          "loadgen prefix prefix",
          "import whisper-dir whisper.dir",
          "import bootstrap-servers bootstrap.servers",
          "import rate rate.points.per.second",
          "import state-file state.file",
          "import tag-names tag.names.file",
          "import tag-names-from tag.names.from",
          "import schema-registry-url schema.registry.url",
          "produce bootstrap-servers bootstrap.servers",
          "produce topic topic.points",
          "produce rejects-topic topic.rejects",
          "produce format format",
          "produce max-rejects max.rejects",
          "produce timeout timeout.seconds",
          "produce schema-registry-url schema.registry.url",
          "produce <positional> input",
          "aggregator-reset bootstrap-servers bootstrap.servers",
          "aggregator-reset conf-dir conf.dir",
          "aggregator-reset dry-run reset.dry.run");

  private final Captured captured = new Captured();
  private final ByteArrayOutputStream out = captured.out;
  private final ByteArrayOutputStream err = captured.err;

  private int run(String... args) {
    return captured.run(args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void everyCommandKeepsItsFlagsAndTheKeysTheySet() {
    List<String> now = new ArrayList<>();
    for (Commands.Command command : Commands.COMMANDS) {
      command.flags().forEach((flag, key) -> now.add(command.name() + " " + flag + " " + key));
      if (command.positional() != null) {
        now.add(command.name() + " <positional> " + command.positional());
      }
    }
    assertThat(now).containsExactlyInAnyOrderElementsOf(FLAGS_BEFORE);
  }

  @Test
  void eachFlagOnTheCommandLineSetsItsKey() throws Exception {
    for (String row : FLAGS_BEFORE) {
      String[] f = row.split(" ");
      String value = sampleValue(Commands.find(f[0]).keys(), f[2]);
      Map<String, String> props =
          f[1].equals("<positional>")
              ? Main.options(f[0], value)
              : Main.options(f[0], "--" + f[1], value);
      assertThat(props).as(row).containsExactly(Map.entry(f[2], value));
    }
  }

  @Test
  void everyFlagSetsAKeyItsCommandDefines() {
    for (Commands.Command command : Commands.COMMANDS) {
      assertThat(command.keys().names()).as(command.name()).containsAll(command.flags().values());
    }
  }

  @Test
  void aBooleanFlagAloneMeansTrueAndTakesAnExplicitValue() throws Exception {
    assertThat(Main.options("aggregator-reset", "--dry-run"))
        .containsEntry(Commands.RESET_DRY_RUN, "true");
    assertThat(Main.options("aggregator-reset", "--dry-run", "false"))
        .containsEntry(Commands.RESET_DRY_RUN, "false");
  }

  @Test
  void theLastOfARepeatedFlagWins() throws Exception {
    assertThat(Main.options("sink", "--group", "a", "--group", "b")).containsEntry("group.id", "b");
  }

  @Test
  void eachCommandsHelpListsEveryKeyOfItsConfigurationWithItsDefault() {
    for (Commands.Command command : Commands.COMMANDS) {
      out.reset();
      assertThat(run(command.name(), "--help")).as(command.name()).isZero();
      String help = out();
      for (ConfigKey key : command.keys().configKeys().values()) {
        String text =
            key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
        String shown =
            !key.hasDefault() ? "(required)" : text == null || text.isEmpty() ? "(empty)" : text;
        assertThat(help).as(command.name()).contains("  " + key.name + " = " + shown);
        String firstWords = key.documentation.strip().split("\\s+")[0];
        assertThat(help).as(command.name() + " " + key.name).contains(firstWords);
      }
      command.flags().keySet().forEach(flag -> assertThat(help).contains("--" + flag));
    }
  }

  @Test
  void sinkHelpDescribesEachFlagWithItsKeyAndDefault() {
    assertThat(run("sink", "--help")).isZero();
    assertThat(out())
        .contains("--data-dir=<data.dir>")
        .contains("--group=<group.id>")
        .contains("fill.mode = ")
        .contains("kafka.<setting>");
  }

  @Test
  void versionPrintsTheProjectVersion() {
    assertThat(run("--version")).isZero();
    assertThat(out().strip()).matches("graphite-kafka \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }

  @Test
  void aMistypedFlagOrCommandGetsTheNearestOne() {
    assertThat(run("sink", "--data-dri", "/d")).isEqualTo(2);
    assertThat(err())
        .contains("Unknown option")
        .contains("'--data-dri'")
        .contains("Possible solutions: --data-dir");
    err.reset();
    assertThat(run("sinc")).isEqualTo(2);
    assertThat(err()).contains("unknown command 'sinc'").contains("sink");
  }

  @Test
  void aBadValueNamesTheFlagTheValueAndWhatWasExpected() {
    assertThat(run("standalone", "--carbon-port", "two")).isEqualTo(2);
    assertThat(err())
        .contains("--carbon-port")
        .contains("'two'")
        .contains("carbon.port")
        .containsIgnoringCase("number");
    err.reset();
    assertThat(run("loadgen", "--protocol", "udp")).isEqualTo(2);
    assertThat(err()).contains("--protocol").contains("'udp'").contains("plaintext, pickle");
    err.reset();
    assertThat(run("gateway", "--udp-port", "65536")).isEqualTo(2);
    assertThat(err()).contains("--udp-port").contains("'65536'").contains("65535");
  }

  @Test
  void completionPrintsABashScriptWithEveryCommandAndFlag() {
    assertThat(run("completion")).isZero();
    assertThat(out())
        .contains("complete -F")
        .contains("aggregator-reset")
        .contains("--replay-from");
  }

  @Test
  void noCommandAtAllPrintsTheUsageWithExitStatus2() {
    assertThat(run()).isEqualTo(2);
    assertThat(out()).contains("Usage: graphite-kafka").contains("sink");
  }

  @Test
  void helpWithoutACommandListsEveryCommand() {
    assertThat(run("help")).isZero();
    for (Commands.Command command : Commands.COMMANDS) {
      assertThat(out()).contains(command.name());
    }
    assertThat(out()).contains("completion");
  }

  /** A value {@code key} accepts: its default, or a plain word where it has none. */
  private static String sampleValue(ConfigDef keys, String key) {
    ConfigKey def = keys.configKeys().get(key);
    if (key.equals("replay.from")) {
      return "earliest";
    }
    String text = def.hasDefault() ? ConfigDef.convertToString(def.defaultValue, def.type) : null;
    return text == null || text.isEmpty() ? "x" : text;
  }
}

package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

  private final Captured captured = new Captured();
  private final ByteArrayOutputStream out = captured.out;
  private final ByteArrayOutputStream err = captured.err;

  private int run(String... args) {
    return captured.run(args);
  }

  @Test
  void flagsWinOverTheConfigFileAndMapToItsKeys(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sink.properties");
    Files.writeString(
        file, "data.dir = /from/file\ngroup.id = from-file\nkafka.fetch.max.bytes = 1048576\n");

    var props =
        Main.options(
            "sink", "--config", file.toString(), "--data-dir", "/from/flag", "--partitions=0-5,9");

    assertThat(props)
        .containsEntry("data.dir", "/from/flag")
        .containsEntry("group.id", "from-file")
        .containsEntry("partitions", "0-5,9")
        .containsEntry("kafka.fetch.max.bytes", "1048576");
  }

  @Test
  void rejectsUnknownCommandsAndOptionsWithExitCode2() {
    assertThat(run("relay")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'relay'");
    assertThat(run("gateway", "--bogus", "1")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Unknown option")
        .contains("'--bogus'");
    assertThat(run("sink", "--data-dir")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Missing required parameter for option '--data-dir'");
  }

  @Test
  void reportsAnInvalidValueByKeyBeforeStartingAnything() {
    assertThat(run("sink", "--partitions", "3-1")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--partitions")
        .contains("3-1")
        .contains("0-5,9");
    assertThat(run("standalone", "--carbon-port", "70000")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--carbon-port")
        .contains("'70000'")
        .contains("carbon.port")
        .contains("65535");
  }

  @Test
  void aMistypedKafkaSettingIsRefusedBeforeStartingAnything(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("typo.properties");
    Files.writeString(file, "kafka.max.poll.record = 10\n");
    assertThat(run("sink", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("kafka.max.poll.record")
        .contains("did you mean kafka.max.poll.records?");
    Files.writeString(file, "kafka.group.id = x\n");
    assertThat(run("gateway", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("kafka.group.id");
    Files.writeString(file, "kafka.consumer.max.poll.record = 10\n");
    assertThat(run("gateway", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("did you mean kafka.consumer.max.poll.records?");
    Files.writeString(file, "kafka.num.stream.thread = 2\n");
    assertThat(run("aggregator", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("did you mean kafka.num.stream.threads?");
    Files.writeString(file, "kafka.linger.msec = 5\n");
    assertThat(run("produce", "--config", file.toString(), "/no/such/input")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("did you mean kafka.linger.ms?");
  }

  @Test
  void missingConfigFileIsAClearError() {
    assertThat(run("aggregator", "--config", "/no/such/file.properties")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("/no/such/file.properties");
  }

  @Test
  void helpListsEveryCommandAndEachCommandsFlags() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("standalone", "gateway", "aggregator", "sink");
    out.reset();
    assertThat(run("standalone", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "--data-dir",
            "--conf-dir",
            "--carbon-port",
            "--udp-port",
            "--pickle-port",
            "--kafka-port",
            "--partitions");
  }

  @Test
  void produceTakesTheInputAsItsOnePositionalArgument(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("produce.properties");
    Files.writeString(file, "kafka.security.protocol = SASL_SSL\ntopic.points = from-file\n");

    assertThat(
            Main.options(
                "produce",
                "--config",
                file.toString(),
                "backfill.txt",
                "--format",
                "pickle",
                "--topic",
                "points-x",
                "--max-rejects=5"))
        .containsEntry("input", "backfill.txt")
        .containsEntry("format", "pickle")
        .containsEntry("topic.points", "points-x")
        .containsEntry("max.rejects", "5")
        .containsEntry("kafka.security.protocol", "SASL_SSL");
    assertThat(Main.options("produce", "-")).containsEntry("input", "-");
    assertThat(Main.options("produce")).doesNotContainKey("input");
  }

  @Test
  void produceRefusesASecondInputAnUnknownFormatAndAMissingFile(@TempDir Path dir) {
    assertThat(run("produce", "a.txt", "b.txt")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Unmatched argument at index 2: 'b.txt'");
    assertThat(run("produce", "--format", "json", "-")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("format").contains("json");
    assertThat(run("produce", dir.resolve("missing.txt").toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("cannot read")
        .contains("missing.txt");
    // the other commands still take no positional argument
    assertThat(run("sink", "extra")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("Unmatched argument at index 1: 'extra'");
  }

  @Test
  void produceHelpShowsTheInputAndEveryFlag() {
    assertThat(run("produce", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "[FILE|-]",
            "--format",
            "--topic",
            "--rejects-topic",
            "--bootstrap-servers",
            "--max-rejects",
            "--timeout",
            "--schema-registry-url");
    out.reset();
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("produce");
  }

  @Test
  void aggregatorResetReadsTheAggregatorsConfigAndRefusesABadDryRunValue(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("aggregator.properties");
    Files.writeString(file, "application.id = agg-a\nkafka.security.protocol = SASL_SSL\n");
    assertThat(Main.options("aggregator-reset", "--config", file.toString(), "--dry-run", "true"))
        .containsEntry("application.id", "agg-a")
        .containsEntry("reset.dry.run", "true")
        .containsEntry("kafka.security.protocol", "SASL_SSL");
    assertThat(run("aggregator-reset", "--dry-run", "maybe")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--dry-run")
        .contains("'maybe'")
        .contains("true or false");
    Files.writeString(file, "reset.dry.run = maybe\n");
    err.reset();
    assertThat(run("aggregator-reset", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("reset.dry.run").contains("maybe");
  }
}

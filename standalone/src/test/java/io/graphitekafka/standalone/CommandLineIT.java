package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.graphitekafka.testing.ChildProcesses;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/graphite-kafka} as a user runs it: help, version, mistakes, completion. */
class CommandLineIT {

  private static final Path HOME =
      Path.of(System.getProperty("graphite.kafka.home", "..")).toAbsolutePath().normalize();

  /** The exit status and the output (errors merged) of {@code bin/graphite-kafka args}. */
  private record Run(int status, String output) {}

  private static Run launch(String... args) throws Exception {
    Process p = ChildProcesses.launcher(HOME, "-Xmx64m -XX:TieredStopAtLevel=1", args).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
    return new Run(p.exitValue(), output);
  }

  @Test
  void sinkHelpListsEveryKeyWithItsDefault() throws Exception {
    Run run = launch("sink", "--help");

    assertThat(run.status()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("Usage: graphite-kafka sink")
        .contains("--replay-from=<replay.from>")
        .contains("  bootstrap.servers = localhost:9092")
        .contains("  group.id = graphite-kafka-sink")
        .contains("  fill.mode = fallocate")
        .contains("  kafka.<setting>");
  }

  @Test
  void versionPrintsTheProjectVersion() throws Exception {
    Run run = launch("--version");

    assertThat(run.status()).as(run.output()).isZero();
    assertThat(run.output().strip()).matches("graphite-kafka \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }

  @Test
  void aMistypedFlagIsAnsweredWithTheNearestOneAndExitStatus2() throws Exception {
    Run run = launch("standalone", "--carbon-prot", "2003");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.output())
        .contains("Unknown option")
        .contains("'--carbon-prot'")
        .contains("Possible solutions: --carbon-port");
  }

  @Test
  void aBadValueNamesTheFlagTheValueAndWhatWasExpectedWithExitStatus2() throws Exception {
    Run run = launch("gateway", "--carbon-port", "http");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.output())
        .contains("--carbon-port")
        .contains("'http'")
        .contains("carbon.port")
        .containsIgnoringCase("not a number");
  }

  @Test
  void theCompletionScriptCompletesSubcommandsAndFlagsInBash(@TempDir Path dir) throws Exception {
    assumeThat(ChildProcesses.succeeds("bash", "-c", "complete -p >/dev/null"))
        .as("bash with programmable completion")
        .isTrue();
    Run script = launch("completion");
    assertThat(script.status()).as(script.output()).isZero();
    Path file = dir.resolve("graphite-kafka.bash");
    Files.writeString(file, script.output());

    String flags =
        ChildProcesses.run(
            new ProcessBuilder(
                "bash",
                "-c",
                "source \"$1\"; COMP_WORDS=(graphite-kafka sink --rep); COMP_CWORD=2;"
                    + " _complete_graphite-kafka 2>/dev/null; echo \"${COMPREPLY[@]}\"",
                "-",
                file.toString()),
            java.time.Duration.ofSeconds(30));
    assertThat(flags.strip()).isEqualTo("--replay-from");
    String commands =
        ChildProcesses.run(
            new ProcessBuilder(
                "bash",
                "-c",
                "source \"$1\"; COMP_WORDS=(graphite-kafka ag); COMP_CWORD=1;"
                    + " _complete_graphite-kafka 2>/dev/null; echo \"${COMPREPLY[@]}\"",
                "-",
                file.toString()),
            java.time.Duration.ofSeconds(30));
    assertThat(commands.strip().split(" "))
        .containsExactlyInAnyOrder("aggregator", "aggregator-reset");
  }
}

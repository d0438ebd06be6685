package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.python.PythonRegex;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Arbitrary text through every config parser: each either accepts it or says why with an
 * IllegalArgumentException; nothing else escapes and nothing hangs.
 */
class ConfigParsersFuzzTest {

  // generous for a loaded CI machine; a real hang (catastrophic backtracking, a loop) never
  // finishes
  private static final Duration LIMIT = Duration.ofSeconds(15);

  @Provide
  Arbitrary<String> configText() {
    Arbitrary<String> lines =
        Arbitraries.oneOf(
            Arbitraries.of(
                "[schema]",
                "[DEFAULT]",
                "[",
                "]",
                "pattern = .*",
                "pattern = ^a\\.b$",
                "pattern = (?P<x>a)",
                "pattern = [",
                "pattern = %(x)s",
                "pattern = 100%",
                "retentions = 10s:6h",
                "retentions = 60:1440,1h:1y",
                "retentions = 1h:1m",
                "retentions = 10x:1d",
                "retentions =",
                "xFilesFactor = 0.5",
                "xFilesFactor = nan",
                "xFilesFactor = 2",
                "aggregationMethod = max",
                "aggregationMethod = median",
                "  continued",
                "# comment",
                "; comment",
                "key: value",
                ""),
            Arbitraries.strings().ofMaxLength(40));
    return lines.list().ofMaxSize(30).map(l -> String.join("\n", l));
  }

  @Provide
  Arbitrary<String> retentionText() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withChars("0123456789smhdwy:,.-_ xS").ofMaxLength(40),
        Arbitraries.strings().ofMaxLength(40));
  }

  @Provide
  Arbitrary<String> regexText() {
    return Arbitraries.oneOf(
        Arbitraries.strings()
            .withChars("ab.*+?()[]{}|^$\\dwsPZz<>=!:,#-0123456789")
            .ofMaxLength(30),
        Arbitraries.strings().ofMaxLength(30));
  }

  @Property(tries = 400)
  void storageSchemasAcceptOrExplain(@ForAll("configText") String text) {
    onlyIllegalArgument(t -> StorageSchemas.parse(t, "fuzz").match("a.b.c"), text);
  }

  @Property(tries = 400)
  void storageAggregationAcceptsOrExplains(@ForAll("configText") String text) {
    onlyIllegalArgument(t -> StorageAggregation.parse(t, "fuzz").match("a.b.max"), text);
  }

  @Property(tries = 400)
  void iniParserAcceptsOrExplains(@ForAll("configText") String text) {
    onlyIllegalArgument(t -> CarbonConfigParser.parse(t, "fuzz"), text);
  }

  @Property(tries = 600)
  void retentionsAcceptOrExplain(@ForAll("retentionText") String text) {
    onlyIllegalArgument(
        t -> {
          for (ArchiveSpec a : Retentions.parse(t)) {
            assertThat(a.points()).isPositive();
          }
        },
        text);
  }

  @Property(tries = 600)
  void pythonRegexTranslatesOrExplains(@ForAll("regexText") String text) {
    onlyIllegalArgument(t -> PythonRegex.compile(t).matcher("abc.def;x=1").find(), text);
  }

  /** Runs {@code parse} on its own thread: it must finish in time, throwing nothing but IAE. */
  private static void onlyIllegalArgument(Consumer<String> parse, String text) {
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread worker =
        new Thread(
            () -> {
              try {
                parse.accept(text);
                outcome.complete(null);
              } catch (Throwable t) {
                outcome.complete(t);
              }
            },
            "fuzz-parse");
    worker.setDaemon(true);
    worker.start();
    Throwable thrown;
    try {
      thrown = outcome.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("parsing did not finish within " + LIMIT + ": " + text, e);
    }
    if (thrown != null) {
      assertThat(thrown).as("input %s", text).isInstanceOf(IllegalArgumentException.class);
      assertThat(thrown.getMessage()).as("input %s", text).isNotBlank();
    }
  }
}

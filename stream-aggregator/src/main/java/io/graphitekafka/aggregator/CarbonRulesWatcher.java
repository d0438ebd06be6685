package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.topology.CarbonRules;
import io.graphitekafka.graphite.rules.AggregateRules;
import io.graphitekafka.graphite.rules.RewriteRules;
import io.graphitekafka.graphite.rules.RuleFileProblem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * carbon-aggregator's {@code aggregation-rules.conf} and {@code rewrite-rules.conf} under the conf
 * dir, either optional, re-read when one changes as carbon re-reads them.
 *
 * <p>At start a bad line is logged with its number and reason and the file's other rules load. A
 * later edit that leaves a bad line, or a file that cannot be read, is logged the same way and
 * changes nothing: the rules in force stay until the file is fixed.
 */
public final class CarbonRulesWatcher extends ConfWatcher implements Supplier<CarbonRules> {

  private static final Logger log = LoggerFactory.getLogger(CarbonRulesWatcher.class);

  private final Path confDir;
  private volatile CarbonRules rules;

  /**
   * Loads the files once.
   *
   * @throws UncheckedIOException if a file exists but cannot be read
   */
  public CarbonRulesWatcher(Path confDir) {
    super(confDir, "carbon-rules-watcher", AggregateRules.FILE, RewriteRules.FILE);
    this.confDir = confDir;
    try {
      Loaded loaded = load();
      loaded.problems.forEach(p -> log.warn("refused {}", p));
      this.rules = loaded.rules;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    describe("loaded");
  }

  /** The rules in force. */
  @Override
  public CarbonRules get() {
    return rules;
  }

  @Override
  boolean reload() {
    Loaded loaded;
    try {
      loaded = load();
    } catch (IOException e) {
      log.error(
          "{} changed but cannot be read; keeping the rules in force: {}", confDir, e.toString());
      return false;
    }
    if (!loaded.problems.isEmpty()) {
      loaded.problems.forEach(p -> log.error("refused {}", p));
      log.error(
          "the aggregation or rewrite rules in {} changed but have {} bad lines (above); keeping the "
              + "rules in force until they are fixed",
          confDir,
          loaded.problems.size());
      return false;
    }
    rules = loaded.rules;
    describe("reloaded");
    return true;
  }

  private record Loaded(CarbonRules rules, List<RuleFileProblem> problems) {}

  private Loaded load() throws IOException {
    Path aggregateFile = confDir.resolve(AggregateRules.FILE);
    Path rewriteFile = confDir.resolve(RewriteRules.FILE);
    AggregateRules aggregate =
        Files.exists(aggregateFile) ? AggregateRules.load(aggregateFile) : AggregateRules.none();
    RewriteRules rewrite =
        Files.exists(rewriteFile) ? RewriteRules.load(rewriteFile) : RewriteRules.none();
    List<RuleFileProblem> problems = new ArrayList<>(aggregate.problems());
    problems.addAll(rewrite.problems());
    return new Loaded(new CarbonRules(aggregate, rewrite), problems);
  }

  private void describe(String what) {
    CarbonRules r = rules;
    log.info(
        "carbon rules {} from {}: {} aggregation rules, {} [pre] and {} [post] rewrite rules",
        what,
        confDir,
        r.aggregate().rules().size(),
        r.rewrite().preRules().size(),
        r.rewrite().postRules().size());
  }
}

package io.graphitekafka.graphite.rules;

import io.graphitekafka.graphite.python.PythonStrings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The rules of an {@code aggregation-rules.conf}, in file order. Every rule is tried on every
 * series, as carbon does, so one point can feed several outputs.
 *
 * <p>Blank lines and lines starting with {@code #} (after stripping) are skipped. Unlike carbon,
 * which refuses to start on a bad line, a bad line is left out with its number and reason in {@link
 * #problems()}, and the other rules load.
 */
public final class AggregateRules {

  public static final String FILE = "aggregation-rules.conf";

  private static final AggregateRules NONE = new AggregateRules(List.of(), List.of());

  private final List<AggregateRule> rules;
  private final List<RuleFileProblem> problems;

  private AggregateRules(List<AggregateRule> rules, List<RuleFileProblem> problems) {
    this.rules = List.copyOf(rules);
    this.problems = List.copyOf(problems);
  }

  /** No rules: what a missing file means. */
  public static AggregateRules none() {
    return NONE;
  }

  /**
   * Reads a rules file.
   *
   * @throws IOException if it cannot be read
   */
  public static AggregateRules load(Path file) throws IOException {
    return parse(file.getFileName().toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** Parses the lines of a file called {@code fileName}. */
  public static AggregateRules parse(String fileName, List<String> lines) {
    List<AggregateRule> rules = new ArrayList<>();
    List<RuleFileProblem> problems = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = PythonStrings.strip(lines.get(i));
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        rules.add(AggregateRule.parse(line));
      } catch (IllegalArgumentException e) {
        problems.add(new RuleFileProblem(fileName, i + 1, line, e.getMessage()));
      }
    }
    return new AggregateRules(rules, problems);
  }

  public List<AggregateRule> rules() {
    return rules;
  }

  /** The lines left out, in file order. */
  public List<RuleFileProblem> problems() {
    return problems;
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }
}

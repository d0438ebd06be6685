package io.graphitekafka.graphite.rules;

import io.graphitekafka.graphite.python.PythonStrings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Carbon's {@code rewrite-rules.conf}: the {@code [pre]} rules, applied to every series name before
 * the aggregation rules, and the {@code [post]} rules, applied after them to the series passed on
 * (never to aggregates). Each section's rules apply in file order, each to the previous one's
 * result.
 *
 * <p>Read as carbon 1.1.7 reads it: section names are lowercased, a heading that repeats a section
 * starts it afresh, and rules outside {@code [pre]} and {@code [post]} (before any heading, or in
 * another section) play no part. Every line carbon would skip or log is in {@link #problems()} with
 * its number and reason: rules outside the two sections, lines that are neither heading nor rule,
 * and rules whose regex or replacement Python would reject.
 */
public final class RewriteRules {

  public static final String FILE = "rewrite-rules.conf";

  private static final RewriteRules NONE = new RewriteRules(List.of(), List.of(), List.of());

  private final List<RewriteRule> pre;
  private final List<RewriteRule> post;
  private final List<RuleFileProblem> problems;

  private RewriteRules(
      List<RewriteRule> pre, List<RewriteRule> post, List<RuleFileProblem> problems) {
    this.pre = List.copyOf(pre);
    this.post = List.copyOf(post);
    this.problems = List.copyOf(problems);
  }

  /** No rules: what a missing file means. */
  public static RewriteRules none() {
    return NONE;
  }

  /**
   * Reads a rules file.
   *
   * @throws IOException if it cannot be read
   */
  public static RewriteRules load(Path file) throws IOException {
    return parse(file.getFileName().toString(), Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** Parses the lines of a file called {@code fileName}. */
  public static RewriteRules parse(String fileName, List<String> lines) {
    List<RewriteRule> pre = new ArrayList<>();
    List<RewriteRule> post = new ArrayList<>();
    List<RuleFileProblem> problems = new ArrayList<>();
    String section = null;
    for (int i = 0; i < lines.size(); i++) {
      String line = PythonStrings.strip(lines.get(i));
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        section = line.substring(1, line.length() - 1).toLowerCase(Locale.ROOT);
        sectionRules(section, pre, post).clear();
        continue;
      }
      String reason = addRule(line, sectionRules(section, pre, post));
      if (reason == null && !"pre".equals(section) && !"post".equals(section)) {
        reason =
            section == null
                ? "rule before any [pre] or [post] heading, ignored"
                : "rule in section [" + section + "], which is neither [pre] nor [post], ignored";
      }
      if (reason != null) {
        problems.add(new RuleFileProblem(fileName, i + 1, line, reason));
      }
    }
    return new RewriteRules(pre, post, problems);
  }

  private static List<RewriteRule> sectionRules(
      String section, List<RewriteRule> pre, List<RewriteRule> post) {
    if ("pre".equals(section)) {
      return pre;
    }
    return "post".equals(section) ? post : new ArrayList<>();
  }

  /** Adds the line's rule, or returns why it is refused. */
  private static String addRule(String line, List<RewriteRule> rules) {
    int eq = line.indexOf('=');
    if (eq < 0) {
      return "neither a [section] heading nor a 'regex = replacement' rule";
    }
    try {
      rules.add(
          RewriteRule.of(
              PythonStrings.strip(line.substring(0, eq)),
              PythonStrings.strip(line.substring(eq + 1))));
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** The name after every {@code [pre]} rule. */
  public String pre(String name) {
    return applyAll(pre, name);
  }

  /** The name after every {@code [post]} rule. */
  public String post(String name) {
    return applyAll(post, name);
  }

  private static String applyAll(List<RewriteRule> rules, String name) {
    String result = name;
    for (RewriteRule rule : rules) {
      result = rule.apply(result);
    }
    return result;
  }

  public List<RewriteRule> preRules() {
    return pre;
  }

  public List<RewriteRule> postRules() {
    return post;
  }

  /** The lines refused or ignored, in file order. */
  public List<RuleFileProblem> problems() {
    return problems;
  }

  public boolean isEmpty() {
    return pre.isEmpty() && post.isEmpty();
  }
}

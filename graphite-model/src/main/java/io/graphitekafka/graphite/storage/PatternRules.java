package io.graphitekafka.graphite.storage;

import io.graphitekafka.graphite.python.PythonRegex;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;

/**
 * What carbon's two storage files share: each section names a {@code pattern}, and a series takes
 * the result of the first section whose pattern is found anywhere in its name ({@code re.search}).
 */
final class PatternRules {

  private PatternRules() {}

  /**
   * The section's {@code pattern} compiled as Python's {@code re} would, or null where it is
   * missing or empty (carbon's {@code if pattern:}), which skips the section with a warning.
   *
   * @throws IllegalArgumentException naming the section if the pattern does not compile
   */
  static Pattern compile(ConfigSection section, String where, Logger log) {
    String patternText = section.get("pattern");
    if (patternText == null || patternText.isEmpty()) {
      log.warn("{}: no 'pattern', skipping the section", where);
      return null;
    }
    try {
      return PythonRegex.compile(patternText);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": pattern: " + e.getMessage(), e);
    }
  }

  /** The result of the first rule whose pattern is found in the name, or {@code otherwise}. */
  static <R, T> T first(
      List<R> rules,
      Function<R, Pattern> pattern,
      Function<R, T> result,
      String normalizedName,
      T otherwise) {
    for (R rule : rules) {
      if (pattern.apply(rule).matcher(normalizedName).find()) {
        return result.apply(rule);
      }
    }
    return otherwise;
  }
}

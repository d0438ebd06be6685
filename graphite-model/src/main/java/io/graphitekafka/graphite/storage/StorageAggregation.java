package io.graphitekafka.graphite.storage;

import io.graphitekafka.graphite.python.PythonFloat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of carbon's optional {@code storage-aggregation.conf}: first section whose Python regex
 * is found in the normalized name gives the method and xFilesFactor, each falling back to whisper's
 * average / 0.5. Mirrors carbon's {@code storage.py loadAggregationSchemas}.
 */
public final class StorageAggregation {

  private static final Logger LOG = LoggerFactory.getLogger(StorageAggregation.class);

  /** One usable section: its name, the pattern as written, the compiled pattern and the result. */
  public record Rule(String section, String patternText, Pattern pattern, AggregationRule result) {}

  private final List<Rule> rules;

  private StorageAggregation(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * Parses the file's text.
   *
   * <p>As in carbon, a non-numeric {@code xFilesFactor} or a missing or empty {@code pattern} skips
   * the section with a warning; an xFilesFactor outside [0, 1] (including nan and inf), an unknown
   * {@code aggregationMethod} (names are case-sensitive) or a pattern that cannot be compiled is
   * fatal.
   *
   * @throws IllegalArgumentException for a fatal error, naming the source and section
   */
  public static StorageAggregation parse(String text, String sourceName) {
    List<Rule> rules = new ArrayList<>();
    for (ConfigSection section : CarbonConfigParser.parse(text, sourceName)) {
      String where = sourceName + " [" + section.name() + "]";
      float xff = AggregationRule.DEFAULT.xFilesFactor();
      String xffText = section.get("xFilesFactor");
      if (xffText != null) {
        double value;
        try {
          value = PythonFloat.parse(xffText);
        } catch (NumberFormatException e) {
          LOG.warn("{}: xFilesFactor '{}' is not a number, skipping the section", where, xffText);
          continue;
        }
        if (!(value >= 0 && value <= 1)) {
          throw new IllegalArgumentException(
              where + ": xFilesFactor = '" + xffText + "' must be within [0, 1]");
        }
        xff = (float) value;
      }
      AggregationMethod method = AggregationRule.DEFAULT.method();
      String methodText = section.get("aggregationMethod");
      if (methodText != null) {
        try {
          method = AggregationMethod.fromName(methodText);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": aggregationMethod: " + e.getMessage(), e);
        }
      }
      Pattern pattern = PatternRules.compile(section, where, LOG);
      if (pattern == null) {
        continue;
      }
      String patternText = section.get("pattern");
      rules.add(new Rule(section.name(), patternText, pattern, new AggregationRule(method, xff)));
    }
    return new StorageAggregation(rules);
  }

  /**
   * Reads and parses a {@code storage-aggregation.conf}; a missing file means no rules, as in
   * carbon.
   */
  public static StorageAggregation load(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (NoSuchFileException e) {
      LOG.info("{} not found, using whisper's defaults (average, xFilesFactor 0.5)", file);
      return empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read storage aggregation file " + file, e);
    }
  }

  /** No rules: every series gets {@link AggregationRule#DEFAULT}. */
  public static StorageAggregation empty() {
    return new StorageAggregation(List.of());
  }

  /** The usable sections in file order. */
  public List<Rule> rules() {
    return rules;
  }

  /** The result of the first section whose pattern is found in the name, or the defaults. */
  public AggregationRule match(String normalizedName) {
    return PatternRules.first(
        rules, Rule::pattern, Rule::result, normalizedName, AggregationRule.DEFAULT);
  }
}

package io.graphitekafka.graphite.rules;

import io.graphitekafka.graphite.python.PythonInt;
import io.graphitekafka.graphite.python.PythonRegex;
import io.graphitekafka.graphite.python.PythonStrings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * One line of carbon-aggregator's {@code aggregation-rules.conf}: {@code output_template
 * (frequency) = method input_pattern}. A series the input pattern matches feeds the output series
 * the template names, aggregated with the method over intervals of {@code frequency} seconds.
 *
 * <p>Parsed and matched as carbon 1.1.7's {@code aggregator/rules.py} does: the input pattern is
 * cut at each {@code .}; a segment's first {@code <<field>>} captures across dots (lazily), else
 * its first {@code <field>} captures within the segment, a lone {@code *} is one non-empty segment
 * and any other {@code *} a run without dots; the rest is a Python regex, matched from the start of
 * the name and anchored at its end. The template is filled by Python's {@code %}-formatting from
 * the captures, so it names every field as {@code <field>}.
 *
 * <p>Two departures, both where carbon would fail on every matching point instead: a template that
 * names a field the pattern does not capture, or holds a {@code %} that Python would read as a
 * conversion, is refused when the rule is parsed; a frequency below 1 is refused too.
 */
public final class AggregateRule {

  private final String outputTemplate;
  private final int frequency;
  private final RuleMethod method;
  private final String inputPattern;
  private final PythonRegex.Groups regex;
  private final String literalPrefix;
  private final List<TemplatePart> template;

  /** A stretch of the output template: literal text, or the capture of a named group. */
  private record TemplatePart(String literal, int group) {}

  private AggregateRule(
      String outputTemplate, int frequency, RuleMethod method, String inputPattern) {
    this.outputTemplate = outputTemplate;
    this.frequency = frequency;
    this.method = method;
    this.inputPattern = inputPattern;
    String python = pythonRegex(inputPattern);
    this.regex = compileInput(inputPattern, python);
    this.literalPrefix = literalPrefix(python);
    this.template = parseTemplate(outputTemplate, regex.groupIndex());
  }

  /**
   * Parses one non-blank, non-comment line.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static AggregateRule parse(String line) {
    int eq = line.indexOf('=');
    if (eq < 0) {
      throw new IllegalArgumentException(
          "expected 'output_template (frequency) = method input_pattern', found no '='");
    }
    List<String> left = PythonStrings.split(line.substring(0, eq));
    List<String> right = PythonStrings.split(line.substring(eq + 1));
    if (left.size() != 2) {
      throw new IllegalArgumentException(
          "expected 'output_template (frequency)' before '=', found " + left.size() + " words");
    }
    if (right.size() != 2) {
      throw new IllegalArgumentException(
          "expected 'method input_pattern' after '=', found " + right.size() + " words");
    }
    return new AggregateRule(
        left.get(0), frequency(left.get(1)), RuleMethod.fromName(right.get(0)), right.get(1));
  }

  /** The series this rule aggregates the named series into, or null if it does not match. */
  public String outputFor(String seriesName) {
    if (!seriesName.startsWith(literalPrefix)) {
      return null;
    }
    Matcher m = regex.pattern().matcher(seriesName);
    if (!m.lookingAt()) {
      return null;
    }
    StringBuilder out = new StringBuilder(outputTemplate.length() + 16);
    for (TemplatePart part : template) {
      if (part.literal != null) {
        out.append(part.literal);
      } else {
        String captured = m.group(part.group);
        // Python's groupdict() holds None for a group that took no part, and '%s' prints it.
        out.append(captured == null ? "None" : captured);
      }
    }
    return out.toString();
  }

  public String outputTemplate() {
    return outputTemplate;
  }

  /** The interval in seconds. */
  public int frequency() {
    return frequency;
  }

  public RuleMethod method() {
    return method;
  }

  public String inputPattern() {
    return inputPattern;
  }

  /** The rule as a line of the file. */
  @Override
  public String toString() {
    return outputTemplate + " (" + frequency + ") = " + method.carbonName() + " " + inputPattern;
  }

  private static int frequency(String word) {
    String digits = word.replaceAll("^\\(+", "").replaceAll("\\)+$", "");
    long value;
    try {
      value = PythonInt.parse(digits);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("frequency " + word + ": " + e.getMessage(), e);
    }
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "frequency "
              + word
              + ": must be a whole number of seconds from 1 to "
              + Integer.MAX_VALUE);
    }
    return (int) value;
  }

  /** carbon's {@code build_regex}: the Python regex an input pattern stands for. */
  private static String pythonRegex(String inputPattern) {
    List<String> parts = new ArrayList<>();
    for (String part : inputPattern.split("\\.", -1)) {
      parts.add(segmentRegex(part));
    }
    return String.join("\\.", parts) + "$";
  }

  /**
   * The text every name the regex matches from its start begins with: its leading literal
   * characters ({@code \.} included), up to the first other construct, less a character a
   * quantifier follows. It lets most rules turn most names down without running the regex.
   */
  static String literalPrefix(String python) {
    if (python.indexOf('|') >= 0) {
      return ""; // an alternative may start with anything
    }
    StringBuilder prefix = new StringBuilder();
    int i = 0;
    while (i < python.length()) {
      char c = python.charAt(i);
      int next;
      char literal;
      if (c == '\\' && i + 1 < python.length() && python.charAt(i + 1) == '.') {
        literal = '.';
        next = i + 2;
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == ':' || c == '@') {
        literal = c;
        next = i + 1;
      } else {
        break;
      }
      if (next < python.length() && "*+?{".indexOf(python.charAt(next)) >= 0) {
        break;
      }
      prefix.append(literal);
      i = next;
    }
    return prefix.toString();
  }

  /** The input pattern's regex, compiled as Python would. */
  private static PythonRegex.Groups compileInput(String inputPattern, String python) {
    try {
      return PythonRegex.compileGroups(python);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "input pattern " + inputPattern + ": " + e.getMessage(), e);
    }
  }

  private static String segmentRegex(String part) {
    if (part.contains("<<") && part.contains(">>")) {
      int i = part.indexOf("<<");
      int j = part.indexOf(">>");
      return capture(part, i, i + 2, j, j + 2, ".+?");
    }
    int i = part.indexOf('<');
    int j = part.indexOf('>');
    if (i > -1 && j > i) {
      return capture(part, i, i + 1, j, j + 1, "[^.]+?");
    }
    if (part.equals("*")) {
      return "[^.]+";
    }
    return part.replace("*", "[^.]*");
  }

  /**
   * Python's slicing, which carbon's code relies on even where {@code >>} comes before {@code <<}.
   */
  private static String capture(
      String part, int preEnd, int nameStart, int nameEnd, int postStart, String body) {
    String pre = part.substring(0, preEnd);
    String name = nameStart <= nameEnd ? part.substring(nameStart, nameEnd) : "";
    String post = part.substring(postStart);
    return pre + "(?P<" + name + ">" + body + ")" + post;
  }

  /**
   * The template after carbon's {@code replace('<', '%(').replace('>', ')s')}, cut as Python's
   * {@code %}-formatting with a mapping reads it.
   */
  private static List<TemplatePart> parseTemplate(
      String outputTemplate, Map<String, Integer> groups) {
    String format = outputTemplate.replace("<", "%(").replace(">", ")s");
    List<TemplatePart> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < format.length()) {
      char c = format.charAt(i++);
      if (c != '%') {
        literal.append(c);
        continue;
      }
      if (i < format.length() && format.charAt(i) == '%') {
        literal.append('%');
        i++;
        continue;
      }
      if (i >= format.length() || format.charAt(i) != '(') {
        throw new IllegalArgumentException(
            "output template " + outputTemplate + ": a '%' not followed by '(' or '%'");
      }
      int keyEnd = keyEnd(format, i + 1, outputTemplate);
      String key = format.substring(i + 1, keyEnd);
      if (keyEnd + 1 >= format.length() || format.charAt(keyEnd + 1) != 's') {
        throw new IllegalArgumentException(
            "output template " + outputTemplate + ": field " + key + " is not a plain <field>");
      }
      Integer group = groups.get(key);
      if (group == null) {
        throw new IllegalArgumentException(
            "output template "
                + outputTemplate
                + " names field '"
                + key
                + "', which the input pattern does not capture (captures: "
                + groups.keySet()
                + ")");
      }
      if (!literal.isEmpty()) {
        parts.add(new TemplatePart(literal.toString(), -1));
        literal.setLength(0);
      }
      parts.add(new TemplatePart(null, group));
      i = keyEnd + 2;
    }
    if (!literal.isEmpty()) {
      parts.add(new TemplatePart(literal.toString(), -1));
    }
    return List.copyOf(parts);
  }

  /** The index of the ')' that closes a mapping key, counting nested parentheses as Python does. */
  private static int keyEnd(String format, int from, String outputTemplate) {
    int depth = 1;
    for (int i = from; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        "output template " + outputTemplate + ": a '<' without its '>'");
  }
}

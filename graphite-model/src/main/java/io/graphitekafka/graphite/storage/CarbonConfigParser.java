package io.graphitekafka.graphite.storage;

import io.graphitekafka.graphite.python.PythonStrings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads carbon's INI files the way Python 3.11's {@code configparser.ConfigParser} (strict, with
 * {@code BasicInterpolation}) and carbon's {@code OrderedConfigParser} do, returning the sections
 * in file order. Layouts that carbon would silently misread or crash on are rejected with the line
 * number.
 */
public final class CarbonConfigParser {

  /** The name configparser reserves for options inherited by every section. */
  public static final String DEFAULT_SECTION = "DEFAULT";

  // configparser.MAX_INTERPOLATION_DEPTH
  private static final int MAX_INTERPOLATION_DEPTH = 10;

  private CarbonConfigParser() {}

  /**
   * Parses INI text.
   *
   * <p>Follows configparser: whole-line {@code #} and {@code ;} comments (also indented), {@code
   * key = value} and {@code key: value} split at the first delimiter, keys lowercased, values
   * stripped, indented continuation lines joined with newlines, duplicate sections and keys
   * rejected (strict mode), {@code %%} and {@code %(key)s} interpolation against the section and
   * DEFAULT, and a lone {@code %} rejected. As in carbon's {@code OrderedConfigParser}, a {@code
   * [DEFAULT]} section is also listed at its position in the file. Departures: a header with text
   * after its {@code ]} and an indented {@code [name]} line (a continuation in configparser, a
   * section to carbon) are errors here.
   *
   * @param sourceName the file name used in error messages
   * @throws IllegalArgumentException with the source, line and reason
   */
  public static List<ConfigSection> parse(String text, String sourceName) {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, Integer> sectionLines = new LinkedHashMap<>();
    Map<String, List<String>> defaults = new LinkedHashMap<>();
    Map<String, List<String>> current = null;
    String sectionName = null;
    String option = null;
    int indentLevel = 0;
    String[] lines = text.split("\r\n|\r|\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      String line = lines[i];
      String value = PythonStrings.strip(line);
      boolean comment = value.startsWith("#") || value.startsWith(";");
      if (comment || value.isEmpty()) {
        // configparser keeps blank lines inside a multi-line value (empty_lines_in_values=True).
        if (!comment && current != null && option != null) {
          current.get(option).add("");
        }
        continue;
      }
      int indent = 0;
      while (PythonStrings.isSpace(line.charAt(indent))) {
        indent++;
      }
      if (current != null && option != null && indent > indentLevel) {
        if (value.startsWith("[") && value.endsWith("]")) {
          throw error(
              sourceName,
              lineNo,
              "indented section header "
                  + value
                  + " would continue the value of '"
                  + option
                  + "'; remove the indentation");
        }
        current.get(option).add(value);
        continue;
      }
      indentLevel = indent;
      if (value.startsWith("[")) {
        int close = value.lastIndexOf(']');
        if (close < 2) {
          throw error(sourceName, lineNo, "invalid section header " + value);
        }
        if (close != value.length() - 1) {
          throw error(
              sourceName,
              lineNo,
              "text after the section header " + value + " (carbon would ignore this section)");
        }
        sectionName = value.substring(1, close);
        if (sectionName.equals(DEFAULT_SECTION)) {
          current = defaults;
          sectionLines.putIfAbsent(DEFAULT_SECTION, lineNo);
        } else {
          if (sections.containsKey(sectionName)) {
            throw error(sourceName, lineNo, "duplicate section [" + sectionName + "]");
          }
          current = new LinkedHashMap<>();
          sections.put(sectionName, current);
          sectionLines.put(sectionName, lineNo);
        }
        option = null;
        continue;
      }
      if (current == null) {
        throw error(sourceName, lineNo, "no section header before '" + value + "'");
      }
      int delimiter = firstDelimiter(value);
      if (delimiter < 0) {
        throw error(
            sourceName, lineNo, "expected 'key = value' or 'key: value', found '" + value + "'");
      }
      String key = rstrip(value.substring(0, delimiter)).toLowerCase(Locale.ROOT);
      if (key.isEmpty()) {
        throw error(sourceName, lineNo, "empty key in '" + value + "'");
      }
      if (current.containsKey(key)) {
        throw error(
            sourceName, lineNo, "duplicate key '" + key + "' in section [" + sectionName + "]");
      }
      List<String> parts = new ArrayList<>();
      parts.add(PythonStrings.strip(value.substring(delimiter + 1)));
      current.put(key, parts);
      option = key;
    }

    List<ConfigSection> result = new ArrayList<>();
    for (Map.Entry<String, Integer> entry : sectionLines.entrySet()) {
      String name = entry.getKey();
      Map<String, String> raw = new LinkedHashMap<>(join(defaults));
      if (!name.equals(DEFAULT_SECTION)) {
        raw.putAll(join(sections.get(name)));
      }
      Map<String, String> interpolated = new LinkedHashMap<>();
      for (Map.Entry<String, String> opt : raw.entrySet()) {
        StringBuilder out = new StringBuilder();
        interpolate(sourceName, name, opt.getKey(), opt.getValue(), raw, out, 1);
        interpolated.put(opt.getKey(), out.toString());
      }
      result.add(new ConfigSection(name, entry.getValue(), interpolated));
    }
    return result;
  }

  // configparser.BasicInterpolation._interpolate_some
  private static void interpolate(
      String source,
      String section,
      String option,
      String rest,
      Map<String, String> vars,
      StringBuilder out,
      int depth) {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw new IllegalArgumentException(
          source
              + ": ["
              + section
              + "] "
              + option
              + ": %(...)s references nest deeper than "
              + MAX_INTERPOLATION_DEPTH
              + " levels (a reference loop?)");
    }
    int i = 0;
    while (i < rest.length()) {
      int p = rest.indexOf('%', i);
      if (p < 0) {
        out.append(rest, i, rest.length());
        return;
      }
      out.append(rest, i, p);
      char next = p + 1 < rest.length() ? rest.charAt(p + 1) : 0;
      if (next == '%') {
        out.append('%');
        i = p + 2;
      } else if (next == '(') {
        int close = rest.indexOf(')', p + 2);
        if (close < 0
            || close == p + 2
            || close + 1 >= rest.length()
            || rest.charAt(close + 1) != 's') {
          throw new IllegalArgumentException(
              source
                  + ": ["
                  + section
                  + "] "
                  + option
                  + ": bad interpolation reference '"
                  + rest.substring(p)
                  + "' (expected %(name)s; write %% for a literal %)");
        }
        String key = rest.substring(p + 2, close).toLowerCase(Locale.ROOT);
        String value = vars.get(key);
        if (value == null) {
          throw new IllegalArgumentException(
              source
                  + ": ["
                  + section
                  + "] "
                  + option
                  + ": %("
                  + key
                  + ")s refers to a key that is"
                  + " not in the section or DEFAULT (write %% for a literal %)");
        }
        if (value.indexOf('%') >= 0) {
          interpolate(source, section, option, value, vars, out, depth + 1);
        } else {
          out.append(value);
        }
        i = close + 2;
      } else {
        throw new IllegalArgumentException(
            source
                + ": ["
                + section
                + "] "
                + option
                + ": '%' must be followed by '%' or '(', found '"
                + rest.substring(p)
                + "' (configparser interpolation: write %% for a literal %)");
      }
    }
  }

  private static Map<String, String> join(Map<String, List<String>> options) {
    Map<String, String> joined = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : options.entrySet()) {
      joined.put(e.getKey(), rstrip(String.join("\n", e.getValue())));
    }
    return joined;
  }

  private static int firstDelimiter(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '=' || c == ':') {
        return i;
      }
    }
    return -1;
  }

  private static String rstrip(String s) {
    int end = s.length();
    while (end > 0 && PythonStrings.isSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  private static IllegalArgumentException error(String source, int line, String message) {
    return new IllegalArgumentException(source + ":" + line + ": " + message);
  }
}

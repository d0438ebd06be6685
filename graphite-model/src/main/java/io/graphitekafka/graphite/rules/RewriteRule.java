package io.graphitekafka.graphite.rules;

import io.graphitekafka.graphite.python.PythonInt;
import io.graphitekafka.graphite.python.PythonRegex;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;

/**
 * One {@code regex = replacement} line of carbon's {@code rewrite-rules.conf}, applied as Python's
 * {@code re.sub(regex, replacement, name)}: every match replaced, the replacement read as a Python
 * 3.11 template ({@code \1}, {@code \g<name>}, {@code \g<0>}, octal and character escapes; a group
 * that took no part gives the empty string).
 *
 * <p>Carbon compiles the template at the first substitution, so a bad one fails every point; here
 * it is refused when the rule is parsed.
 */
public final class RewriteRule {

  private static final int MAX_GROUPS = 1 << 30;

  private final String pattern;
  private final String replacement;
  private final PythonRegex.Groups regex;
  private final List<Part> parts;

  /** A stretch of the replacement: literal text, or a group's capture. */
  private record Part(String literal, int group) {}

  private RewriteRule(String pattern, String replacement) {
    this.pattern = pattern;
    this.replacement = replacement;
    this.regex = PythonRegex.compileGroups(pattern);
    this.parts = new TemplateParser(replacement, regex).parse();
  }

  /**
   * A rule from its two sides, already stripped.
   *
   * @throws IllegalArgumentException if Python would reject the regex or the replacement
   */
  public static RewriteRule of(String pattern, String replacement) {
    return new RewriteRule(pattern, replacement);
  }

  /** The name with every match of the regex replaced. */
  public String apply(String name) {
    Matcher m = regex.pattern().matcher(name);
    if (!m.find()) {
      return name;
    }
    StringBuilder out = new StringBuilder(name.length() + 16);
    int last = 0;
    do {
      out.append(name, last, m.start());
      for (Part part : parts) {
        if (part.literal != null) {
          out.append(part.literal);
        } else if (m.group(part.group) != null) {
          out.append(m.group(part.group));
        }
      }
      last = m.end();
    } while (m.find());
    return out.append(name, last, name.length()).toString();
  }

  public String pattern() {
    return pattern;
  }

  public String replacement() {
    return replacement;
  }

  @Override
  public String toString() {
    return pattern + " = " + replacement;
  }

  /** CPython 3.11's {@code sre_parse.parse_template}. */
  private static final class TemplateParser {
    private final String source;
    private final PythonRegex.Groups regex;
    private final List<Part> parts = new ArrayList<>();
    private final StringBuilder literal = new StringBuilder();
    private int pos;

    TemplateParser(String source, PythonRegex.Groups regex) {
      this.source = source;
      this.regex = regex;
    }

    List<Part> parse() {
      while (pos < source.length()) {
        char c = source.charAt(pos++);
        if (c != '\\') {
          literal.append(c);
        } else if (pos >= source.length()) {
          throw error("bad escape (end of pattern)");
        } else {
          escape(source.charAt(pos++));
        }
      }
      flush();
      return List.copyOf(parts);
    }

    private void escape(char c) {
      if (c == 'g') {
        namedGroup();
      } else if (c == '0') {
        int value = 0;
        for (int k = 0; k < 2 && isOctal(next()); k++) {
          value = value * 8 + (source.charAt(pos++) - '0');
        }
        literal.append((char) (value & 0xff));
      } else if (c >= '1' && c <= '9') {
        numberedGroup(c);
      } else {
        String escape = simpleEscape(c);
        if (escape == null) {
          if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            throw error("bad escape \\" + c);
          }
          literal.append('\\').append(c);
        } else {
          literal.append(escape);
        }
      }
    }

    private void namedGroup() {
      if (next() != '<') {
        throw error("missing <");
      }
      int close = source.indexOf('>', pos + 1);
      if (close < 0) {
        throw error("missing >, unterminated name");
      }
      String name = source.substring(pos + 1, close);
      if (name.isEmpty()) {
        throw error("missing group name");
      }
      pos = close + 1;
      Integer index = regex.groupIndex().get(name);
      if (index == null && isIdentifier(name)) {
        throw new IllegalArgumentException("unknown group name '" + name + "'");
      }
      if (index == null) {
        long number;
        try {
          number = PythonInt.parse(name);
        } catch (NumberFormatException e) {
          throw error("bad character in group name '" + name + "'");
        }
        if (number < 0) {
          throw error("bad character in group name '" + name + "'");
        }
        if (number >= MAX_GROUPS) {
          throw error("invalid group reference " + number);
        }
        index = (int) number;
      }
      group(index);
    }

    private void numberedGroup(char first) {
      String digits = String.valueOf(first);
      if (next() >= '0' && next() <= '9') {
        digits += source.charAt(pos++);
        if (isOctal(first) && isOctal(digits.charAt(1)) && isOctal(next())) {
          digits += source.charAt(pos++);
          int value = Integer.parseInt(digits, 8);
          if (value > 0377) {
            throw error("octal escape value \\" + digits + " outside of range 0-0o377");
          }
          literal.append((char) value);
          return;
        }
      }
      group(Integer.parseInt(digits));
    }

    private void group(int index) {
      if (index > regex.groupCount()) {
        throw error("invalid group reference " + index);
      }
      flush();
      parts.add(new Part(null, index));
    }

    private void flush() {
      if (!literal.isEmpty()) {
        parts.add(new Part(literal.toString(), -1));
        literal.setLength(0);
      }
    }

    private char next() {
      return pos < source.length() ? source.charAt(pos) : '\0';
    }

    private static boolean isOctal(char c) {
      return c >= '0' && c <= '7';
    }

    private static String simpleEscape(char c) {
      return switch (c) {
        case 'a' -> "\u0007";
        case 'b' -> "\b";
        case 'f' -> "\f";
        case 'n' -> "\n";
        case 'r' -> "\r";
        case 't' -> "\t";
        case 'v' -> "\u000b";
        case '\\' -> "\\";
        default -> null;
      };
    }

    private static boolean isIdentifier(String name) {
      int first = name.codePointAt(0);
      if (first != '_' && !Character.isUnicodeIdentifierStart(first)) {
        return false;
      }
      return name.codePoints().skip(1).allMatch(Character::isUnicodeIdentifierPart);
    }

    private IllegalArgumentException error(String message) {
      return new IllegalArgumentException(
          "replacement '" + source + "': " + message + " at position " + pos);
    }
  }
}

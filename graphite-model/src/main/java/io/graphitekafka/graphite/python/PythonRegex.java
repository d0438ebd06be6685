package io.graphitekafka.graphite.python;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles a Python 3.11 {@code re} pattern (as written in carbon's config files) into a Java
 * {@link Pattern} with the same meaning, by parsing it with the rules of CPython's {@code
 * sre_parse} and emitting explicit Java syntax; anything Python rejects, or that Java cannot
 * express, is an error.
 *
 * <p>Decisions, each checked against {@code Lib/re/_parser.py} of CPython 3.11:
 *
 * <ul>
 *   <li>{@code (?P<name>...)} becomes {@code (?<name>...)} and {@code (?P=name)} becomes {@code
 *       \k<name>}. Python names that Java does not allow (underscores, non-ASCII) become plain
 *       capturing groups with numbered back-references; group numbers are the same in both engines.
 *   <li>{@code \Z} (Python: end of string only) becomes Java's {@code \z}; {@code $} becomes {@code
 *       (?=\n?\z)} (or {@code (?=\n|\z)} with MULTILINE), {@code ^} becomes {@code \A} (or {@code
 *       (?<![^\n])} with MULTILINE, which unlike Java also matches after a final newline), {@code
 *       .} becomes {@code [^\n]} (any code point with DOTALL), so Java's extra line terminators
 *       play no part.
 *   <li>{@code \d}, {@code \w}, {@code \s} and {@code \b} follow Python 3's Unicode {@code str}
 *       semantics as explicit classes: {@code \d} = {@code \p{Nd}}, {@code \w} = letters, numbers
 *       and {@code _} ({@code str.isalnum}), {@code \s} = {@code str.isspace}, {@code \b}/{@code
 *       \B} as look-arounds over that {@code \w}; under the {@code a} (ASCII) flag they are
 *       ASCII-only. IGNORECASE becomes Java's {@code (?iu)}, or {@code (?i)} under ASCII. Unicode
 *       tables are those of the running JDK, which may be a version behind or ahead of CPython's.
 *   <li>Possessive quantifiers ({@code *+}, {@code ++}, {@code ?+}, <code>{m,n}+</code>) and atomic
 *       groups {@code (?>...)} are valid in Python 3.11 and mean the same in Java, so they are
 *       kept. <code>{,n}</code> becomes <code>{0,n}</code>; a <code>{</code> that does not start a
 *       valid repeat is a literal, as in Python.
 *   <li>Java-only escapes are errors, because Python rejects every unknown ASCII-letter escape:
 *       {@code \p{..}}, {@code \P}, {@code \Q..\E}, {@code \h}, {@code \R}, {@code \X}, {@code \G},
 *       {@code \z}, {@code \k}, {@code \e}, {@code \c}, {@code \g} and the like.
 *   <li>Inside a class every literal is emitted as {@code \x{..}}, so {@code [[:alpha:]]}, {@code
 *       [a&&b]}, {@code [a--b]} keep Python's literal meaning (Python only warns about them; so do
 *       we).
 *   <li>Python's fixed-width look-behind rule, its group-reference checks and its rule that global
 *       flags come first are enforced here, since Java would accept more.
 *   <li>Conditional groups {@code (?(id)yes|no)} and the locale flag {@code L} are rejected: Java
 *       has no equivalent, and {@code L} is invalid for Python {@code str} patterns anyway.
 *       Comments {@code (?#...)} and VERBOSE whitespace are dropped during translation rather than
 *       left to Java's COMMENTS flag, which would also eat whitespace inside classes.
 * </ul>
 */
public final class PythonRegex {

  private static final Logger LOG = LoggerFactory.getLogger(PythonRegex.class);

  // sre_constants.MAXREPEAT on 64-bit CPython.
  private static final long MAXREPEAT = 0xFFFF_FFFFL;
  private static final String UNICODE_WORD = "\\p{L}\\p{N}_";
  private static final String ASCII_WORD = "a-zA-Z0-9_";
  private static final String UNICODE_SPACE =
      "\\t\\n\\x{0B}\\f\\r\\x{1C}-\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}"
          + "\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
  private static final String ASCII_SPACE = "\\t\\n\\x{0B}\\f\\r\\x{20}";
  private static final Pattern JAVA_GROUP_NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9]*");

  private PythonRegex() {}

  /**
   * Compiles a Python pattern for use with {@link java.util.regex.Matcher#find()} as {@code
   * re.search}.
   *
   * @throws IllegalArgumentException if Python would reject the pattern or Java cannot express it
   */
  public static Pattern compile(String pythonPattern) {
    return javaPattern(pythonPattern, translate(pythonPattern));
  }

  /**
   * A compiled pattern together with Python's numbering of its groups, which {@code re.sub}
   * templates and {@code groupdict()} need: Java's own names cover only the names it allows.
   *
   * @param pattern the Java pattern, as {@link #compile} returns it
   * @param groupCount the number of capturing groups (Python's {@code groups})
   * @param groupIndex each named group's number, in the order of the pattern (Python's {@code
   *     groupindex})
   */
  public record Groups(Pattern pattern, int groupCount, Map<String, Integer> groupIndex) {
    public Groups {
      groupIndex = Collections.unmodifiableMap(new LinkedHashMap<>(groupIndex));
    }
  }

  /**
   * {@link #compile} that also returns the group numbering.
   *
   * @throws IllegalArgumentException if Python would reject the pattern or Java cannot express it
   */
  public static Groups compileGroups(String pythonPattern) {
    Translator t = translator(pythonPattern);
    String java = t.translate();
    Map<String, Integer> ordered = new LinkedHashMap<>();
    t.groupNames.entrySet().stream()
        .sorted(Map.Entry.comparingByValue())
        .forEach(e -> ordered.put(e.getKey(), e.getValue()));
    return new Groups(javaPattern(pythonPattern, java), t.groups, ordered);
  }

  private static Pattern javaPattern(String pythonPattern, String java) {
    try {
      return Pattern.compile(java);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "Python regex '" + pythonPattern + "' has no Java equivalent: " + e.getDescription(), e);
    }
  }

  private static Translator translator(String pythonPattern) {
    if (pythonPattern == null) {
      throw new IllegalArgumentException("pattern must not be null");
    }
    return new Translator(pythonPattern);
  }

  /** Translates a Python pattern to Java syntax without compiling it. */
  public static String translate(String pythonPattern) {
    return translator(pythonPattern).translate();
  }

  /** Flags in effect for a stretch of the pattern. */
  private record Flags(
      boolean ignoreCase, boolean ascii, boolean multiline, boolean dotAll, boolean verbose) {

    String javaCase() {
      if (ignoreCase) {
        return ascii ? "i-u" : "iu";
      }
      return "-iu";
    }
  }

  private record Width(long lo, long hi) {
    static final Width ZERO = new Width(0, 0);
    static final Width ONE = new Width(1, 1);

    Width plus(Width o) {
      return new Width(Math.min(lo + o.lo, MAXREPEAT), Math.min(hi + o.hi, MAXREPEAT));
    }
  }

  private enum Kind {
    NONE,
    ATOM,
    REPEAT,
    ANCHOR
  }

  private static final class Translator {
    private final String source;
    private final int[] cps;
    private final StringBuilder out = new StringBuilder();
    private final List<String> warnings = new ArrayList<>();
    private final Map<String, Integer> groupNames = new HashMap<>();
    private final Set<String> javaNamed = new HashSet<>();
    private final Map<Integer, Width> groupWidths = new HashMap<>();
    private int pos;
    private int groups;
    // The first group number created inside the innermost enclosing look-behind, or -1.
    private int lookbehindGroups = -1;
    private Flags globalFlags = new Flags(false, false, false, false, false);

    Translator(String source) {
      this.source = source;
      this.cps = source.codePoints().toArray();
    }

    /** {@link #run} with its warnings logged. */
    String translate() {
      String java = run();
      for (String warning : warnings) {
        LOG.warn("Python regex '{}': {}", source, warning);
      }
      return java;
    }

    String run() {
      parseAlternatives(globalFlags, 0);
      if (pos < cps.length) {
        // Only a ')' can stop the top level early.
        throw error("unbalanced parenthesis");
      }
      return out.toString();
    }

    private IllegalArgumentException error(String message) {
      return new IllegalArgumentException(
          "invalid Python regex '" + source + "': " + message + " at position " + pos);
    }

    private IllegalArgumentException unsupported(String message) {
      return new IllegalArgumentException(
          "Python regex '" + source + "' cannot be used: " + message + " at position " + pos);
    }

    private int peek() {
      return pos < cps.length ? cps[pos] : -1;
    }

    private boolean match(int c) {
      if (peek() == c) {
        pos++;
        return true;
      }
      return false;
    }

    /** Parses branches until ')' or the end; returns the width over all branches. */
    private Width parseAlternatives(Flags flags, int nested) {
      Flags current = flags;
      Width total = null;
      boolean firstBranch = true;
      while (true) {
        Branch b = parseBranch(current, nested, firstBranch && nested == 0);
        current = b.flags;
        Width w = b.width;
        total = total == null ? w : new Width(Math.min(total.lo, w.lo), Math.max(total.hi, w.hi));
        if (match('|')) {
          out.append('|');
          firstBranch = false;
          continue;
        }
        return total;
      }
    }

    private record Branch(Flags flags, Width width) {}

    private Branch parseBranch(Flags flags, int nested, boolean first) {
      Flags f = flags;
      Width done = Width.ZERO;
      Width last = Width.ZERO;
      Kind lastKind = Kind.NONE;
      int items = 0;
      while (pos < cps.length) {
        int c = cps[pos];
        if (c == '|' || c == ')') {
          break;
        }
        pos++;
        if (f.verbose) {
          if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x0B || c == '\f') {
            continue;
          }
          if (c == '#') {
            while (pos < cps.length && cps[pos++] != '\n') {
              // skip the comment
            }
            continue;
          }
        }
        if (c == '*' || c == '+' || c == '?' || (c == '{' && isRepeat())) {
          if (lastKind == Kind.NONE || lastKind == Kind.ANCHOR) {
            throw error("nothing to repeat");
          }
          if (lastKind == Kind.REPEAT) {
            throw error("multiple repeat");
          }
          long min;
          long max;
          if (c == '*') {
            min = 0;
            max = MAXREPEAT;
            out.append('*');
          } else if (c == '+') {
            min = 1;
            max = MAXREPEAT;
            out.append('+');
          } else if (c == '?') {
            min = 0;
            max = 1;
            out.append('?');
          } else {
            long[] bounds = readRepeat();
            min = bounds[0];
            max = bounds[1];
            out.append('{').append(min).append(',');
            if (max < MAXREPEAT) {
              out.append(max);
            }
            out.append('}');
          }
          if (match('?')) {
            out.append('?');
          } else if (match('+')) {
            out.append('+');
          }
          last = new Width(times(last.lo, min), times(last.hi, max));
          lastKind = Kind.REPEAT;
          continue;
        }
        Item item =
            switch (c) {
              case '(' -> parseGroup(f, nested, first && items == 0);
              case '[' -> {
                parseClass(f);
                yield Item.ONE_CHARACTER;
              }
              case '.' -> {
                out.append(f.dotAll ? "(?s:.)" : "[^\\n]");
                yield Item.ONE_CHARACTER;
              }
              case '^' -> {
                out.append(f.multiline ? "(?<![^\\n])" : "\\A");
                yield Item.ANCHOR;
              }
              case '$' -> {
                out.append(f.multiline ? "(?=\\n|\\z)" : "(?=\\n?\\z)");
                yield Item.ANCHOR;
              }
              case '\\' -> parseEscape(f);
              default -> {
                appendLiteral(c);
                yield Item.ONE_CHARACTER;
              }
            };
        if (item.globalFlags != null) {
          // Global flags apply to the whole pattern; they may only open it (Python 3.11).
          f = item.globalFlags;
          globalFlags = f;
          continue;
        }
        if (item.kind == Kind.NONE) {
          continue; // a comment
        }
        done = done.plus(last);
        last = item.width;
        lastKind = item.kind;
        items++;
      }
      return new Branch(f, done.plus(last));
    }

    private record Item(Kind kind, Width width, Flags globalFlags) {
      /** An atom that matches exactly one character. */
      static final Item ONE_CHARACTER = new Item(Kind.ATOM, Width.ONE, null);

      /** A zero-width anchor or assertion. */
      static final Item ANCHOR = new Item(Kind.ANCHOR, Width.ZERO, null);
    }

    // sre_parse: '{' starts a repeat only as {m}, {m,}, {,n}, {m,n} or {,}; '{}' is a literal.
    private boolean isRepeat() {
      int p = pos;
      if (p < cps.length && cps[p] == '}') {
        return false;
      }
      while (p < cps.length && isAsciiDigit(cps[p])) {
        p++;
      }
      if (p < cps.length && cps[p] == ',') {
        p++;
        while (p < cps.length && isAsciiDigit(cps[p])) {
          p++;
        }
      }
      return p < cps.length && cps[p] == '}';
    }

    private long[] readRepeat() {
      long lo = 0;
      long hi = MAXREPEAT;
      String loText = readDigits();
      String hiText = loText;
      if (match(',')) {
        hiText = readDigits();
      }
      pos++; // '}'
      if (!loText.isEmpty()) {
        lo = bounded(loText);
      }
      if (!hiText.isEmpty()) {
        hi = bounded(hiText);
        if (hi < lo) {
          throw error("min repeat greater than max repeat");
        }
      }
      if (lo > Integer.MAX_VALUE || (hi != MAXREPEAT && hi > Integer.MAX_VALUE)) {
        throw unsupported("repeat count above " + Integer.MAX_VALUE);
      }
      return new long[] {lo, hi};
    }

    private long bounded(String digits) {
      if (digits.length() > 10 || Long.parseLong(digits) >= MAXREPEAT) {
        throw error("the repetition number is too large");
      }
      return Long.parseLong(digits);
    }

    private String readDigits() {
      int start = pos;
      while (pos < cps.length && isAsciiDigit(cps[pos])) {
        pos++;
      }
      return new String(cps, start, pos - start);
    }

    /** The next code point, consumed; at the end of the pattern, the error {@code atEnd}. */
    private int take(String atEnd) {
      int c = peek();
      if (c < 0) {
        throw error(atEnd);
      }
      pos++;
      return c;
    }

    /** A group name up to {@code end}, which must be a Python identifier. */
    private String readGroupName(char end) {
      String name = readUntil(end);
      if (!isIdentifier(name)) {
        throw error("bad character in group name '" + name + "'");
      }
      return name;
    }

    private Item parseGroup(Flags f, int nested, boolean atStart) {
      if (!match('?')) {
        return capture(null, f, nested);
      }
      int c = take("unexpected end of pattern");
      switch (c) {
        case 'P':
          if (match('<')) {
            String name = readGroupName('>');
            return capture(name, f, nested);
          }
          if (match('=')) {
            String name = readGroupName(')');
            Integer gid = groupNames.get(name);
            if (gid == null) {
              throw error("unknown group name '" + name + "'");
            }
            checkGroupRef(gid);
            if (javaNamed.contains(name)) {
              out.append("\\k<").append(name).append('>');
            } else {
              out.append("(?:\\").append(gid).append(')');
            }
            return new Item(Kind.ATOM, groupWidths.get(gid), null);
          }
          throw error("unknown extension ?P" + (peek() < 0 ? "" : Character.toString(peek())));
        case ':':
          out.append("(?:");
          return finishGroup(f, nested, Kind.ATOM);
        case '>':
          out.append("(?>");
          return finishGroup(f, nested, Kind.ATOM);
        case '#':
          while (true) {
            int d = peek();
            if (d < 0) {
              throw error("missing ), unterminated comment");
            }
            pos++;
            if (d == ')') {
              return new Item(Kind.NONE, Width.ZERO, null);
            }
          }
        case '=':
        case '!':
          out.append("(?").appendCodePoint(c);
          finishLookaround(f, nested);
          return new Item(Kind.ATOM, Width.ZERO, null);
        case '<':
          {
            int d = peek();
            if (d != '=' && d != '!') {
              throw error("unknown extension ?<" + (d < 0 ? "" : Character.toString(d)));
            }
            pos++;
            out.append("(?<").appendCodePoint(d);
            int saved = lookbehindGroups;
            if (saved < 0) {
              lookbehindGroups = groups + 1;
            }
            Width w = finishLookaround(f, nested);
            lookbehindGroups = saved;
            if (w.lo != w.hi) {
              throw error("look-behind requires fixed-width pattern");
            }
            return new Item(Kind.ATOM, Width.ZERO, null);
          }
        case '(':
          throw unsupported("conditional groups (?(id)yes|no) have no Java equivalent");
        default:
          if (c == '-' || "aiLmsux".indexOf(c) >= 0) {
            return parseFlags(c, f, nested, atStart);
          }
          throw error("unknown extension ?" + Character.toString(c));
      }
    }

    private Width finishLookaround(Flags f, int nested) {
      Width w = parseAlternatives(f, nested + 1);
      if (!match(')')) {
        throw error("missing ), unterminated subpattern");
      }
      out.append(')');
      return w;
    }

    private Item capture(String name, Flags f, int nested) {
      int gid = ++groups;
      if (name != null) {
        if (groupNames.containsKey(name)) {
          throw error("redefinition of group name '" + name + "'");
        }
        groupNames.put(name, gid);
        if (JAVA_GROUP_NAME.matcher(name).matches()) {
          javaNamed.add(name);
          out.append("(?<").append(name).append('>');
        } else {
          out.append('(');
        }
      } else {
        out.append('(');
      }
      Width w = parseAlternatives(f, nested + 1);
      if (!match(')')) {
        throw error("missing ), unterminated subpattern");
      }
      out.append(')');
      groupWidths.put(gid, w);
      return new Item(Kind.ATOM, w, null);
    }

    private Item finishGroup(Flags inner, int nested, Kind kind) {
      Width w = parseAlternatives(inner, nested + 1);
      if (!match(')')) {
        throw error("missing ), unterminated subpattern");
      }
      out.append(')');
      return new Item(kind, w, null);
    }

    // sre_parse._parse_flags
    private Item parseFlags(int first, Flags f, int nested, boolean atStart) {
      boolean i = false;
      boolean a = false;
      boolean u = false;
      boolean m = false;
      boolean s = false;
      boolean x = false;
      int c = first;
      if (c != '-') {
        while (true) {
          switch (c) {
            case 'i':
              i = true;
              break;
            case 'a':
              a = true;
              break;
            case 'u':
              u = true;
              break;
            case 'm':
              m = true;
              break;
            case 's':
              s = true;
              break;
            case 'x':
              x = true;
              break;
            case 'L':
              throw error("bad inline flags: cannot use 'L' flag with a str pattern");
            default:
              throw error(Character.isLetter(c) ? "unknown flag" : "missing -, : or )");
          }
          if (a && u) {
            throw error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
          }
          c = peek();
          if (c < 0) {
            throw error("missing -, : or )");
          }
          pos++;
          if (c == ')' || c == '-' || c == ':') {
            break;
          }
        }
      }
      if (c == ')') {
        if (!atStart) {
          throw error("global flags not at the start of the expression");
        }
        Flags g =
            new Flags(
                f.ignoreCase || i,
                (f.ascii || a) && !u,
                f.multiline || m,
                f.dotAll || s,
                f.verbose || x);
        if ((f.ascii || a) && u) {
          throw error("ASCII and UNICODE flags are incompatible");
        }
        if (g.ignoreCase) {
          out.append("(?").append(g.javaCase()).append(')');
        }
        return new Item(Kind.NONE, Width.ZERO, g);
      }
      boolean di = false;
      boolean dm = false;
      boolean ds = false;
      boolean dx = false;
      if (c == '-') {
        c = peek();
        if (c < 0) {
          throw error("missing flag");
        }
        pos++;
        while (true) {
          switch (c) {
            case 'i':
              di = true;
              break;
            case 'm':
              dm = true;
              break;
            case 's':
              ds = true;
              break;
            case 'x':
              dx = true;
              break;
            case 'a':
            case 'u':
            case 'L':
              throw error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
            default:
              throw error(Character.isLetter(c) ? "unknown flag" : "missing flag");
          }
          c = peek();
          if (c < 0) {
            throw error("missing :");
          }
          pos++;
          if (c == ':') {
            break;
          }
        }
      }
      if ((i && di) || (m && dm) || (s && ds) || (x && dx)) {
        throw error("bad inline flags: flag turned on and off");
      }
      Flags inner =
          new Flags(
              (f.ignoreCase || i) && !di,
              a || (f.ascii && !u),
              (f.multiline || m) && !dm,
              (f.dotAll || s) && !ds,
              (f.verbose || x) && !dx);
      out.append("(?").append(inner.javaCase()).append(':');
      return finishGroup(inner, nested, Kind.ATOM);
    }

    private String readUntil(int terminator) {
      int start = pos;
      while (pos < cps.length && cps[pos] != terminator) {
        pos++;
      }
      if (pos >= cps.length) {
        throw error("missing " + Character.toString(terminator) + ", unterminated name");
      }
      String name = new String(cps, start, pos - start);
      pos++;
      if (name.isEmpty()) {
        throw error("missing group name");
      }
      return name;
    }

    private void checkGroupRef(int gid) {
      if (!groupWidths.containsKey(gid)) {
        throw error("cannot refer to an open group");
      }
      if (lookbehindGroups >= 0 && gid >= lookbehindGroups) {
        throw error("cannot refer to group defined in the same lookbehind subpattern");
      }
    }

    // sre_parse._escape (outside a class); pos is just after the backslash.
    private Item parseEscape(Flags f) {
      int c = take("bad escape (end of pattern)");
      switch (c) {
        case 'A':
          out.append("\\A");
          return Item.ANCHOR;
        case 'Z':
          out.append("\\z");
          return Item.ANCHOR;
        case 'b':
        case 'B':
          {
            String w = "[" + (f.ascii ? ASCII_WORD : UNICODE_WORD) + "]";
            if (c == 'b') {
              out.append("(?:(?<=")
                  .append(w)
                  .append(")(?!")
                  .append(w)
                  .append(")|(?<!")
                  .append(w)
                  .append(")(?=")
                  .append(w)
                  .append("))");
            } else {
              out.append("(?:(?<=")
                  .append(w)
                  .append(")(?=")
                  .append(w)
                  .append(")|(?<!")
                  .append(w)
                  .append(")(?!")
                  .append(w)
                  .append("))");
            }
            return Item.ANCHOR;
          }
        case 'd':
        case 'D':
        case 's':
        case 'S':
        case 'w':
        case 'W':
          out.append('[');
          appendCategory(c, f);
          out.append(']');
          return Item.ONE_CHARACTER;
        default:
          break;
      }
      if (c >= '1' && c <= '9') {
        int start = pos - 1;
        if (isAsciiDigit(peek())) {
          pos++;
          if (isOctal(cps[start]) && isOctal(cps[start + 1]) && isOctal(peek())) {
            pos++;
            int value = Integer.parseInt(new String(cps, start, 3), 8);
            if (value > 0377) {
              throw error("octal escape value outside of range 0-0o377");
            }
            appendLiteral(value);
            return Item.ONE_CHARACTER;
          }
        }
        int gid = Integer.parseInt(new String(cps, start, pos - start));
        if (gid > groups) {
          throw error("invalid group reference " + gid);
        }
        checkGroupRef(gid);
        out.append("(?:\\").append(gid).append(')');
        return new Item(Kind.ATOM, groupWidths.get(gid), null);
      }
      appendLiteral(literalEscape(c));
      return Item.ONE_CHARACTER;
    }

    /**
     * After a backslash inside a character set: the code point the escape stands for, or the
     * negated letter of a category ({@code \d \D \s \S \w \W}); {@code \b} is a backspace there.
     */
    private int setEscape() {
      int e = take("bad escape (end of pattern)");
      if ("dDsSwW".indexOf(e) >= 0) {
        return -e;
      } else if (e == 'b') {
        return 8;
      } else if (isOctal(e)) {
        int s = pos - 1;
        for (int k = 0; k < 2 && isOctal(peek()); k++) {
          pos++;
        }
        int value = Integer.parseInt(new String(cps, s, pos - s), 8);
        if (value > 0377) {
          throw error("octal escape value outside of range 0-0o377");
        }
        return value;
      } else if (e == '8' || e == '9') {
        throw error("bad escape \\" + Character.toString(e));
      }
      return literalEscape(e);
    }

    /** The code point of an escape that stands for one character, shared by both contexts. */
    private int literalEscape(int c) {
      switch (c) {
        case 'a':
          return 7;
        case 'f':
          return '\f';
        case 'n':
          return '\n';
        case 'r':
          return '\r';
        case 't':
          return '\t';
        case 'v':
          return 0x0B;
        case 'x':
          return hex(2);
        case 'u':
          return hex(4);
        case 'U':
          {
            int v = hex(8);
            if (v < 0 || v > 0x10FFFF) {
              throw error("bad escape \\U: outside the Unicode range");
            }
            return v;
          }
        case 'N':
          return namedChar();
        case '0':
          {
            int start = pos - 1;
            for (int k = 0; k < 2 && isOctal(peek()); k++) {
              pos++;
            }
            return Integer.parseInt(new String(cps, start, pos - start), 8);
          }
        default:
          if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isAsciiDigit(c)) {
            throw error(
                "bad escape \\"
                    + Character.toString(c)
                    + " (Python rejects unknown letter escapes such as Java's \\p, \\Q, \\h, \\R,"
                    + " \\X, \\G, \\z)");
          }
          return c;
      }
    }

    private int hex(int digits) {
      int start = pos;
      for (int k = 0; k < digits; k++) {
        int d = peek();
        if (!((d >= '0' && d <= '9') || (d >= 'a' && d <= 'f') || (d >= 'A' && d <= 'F'))) {
          throw error("incomplete escape \\" + new String(cps, start - 1, pos - start + 1));
        }
        pos++;
      }
      return (int) Long.parseLong(new String(cps, start, digits), 16);
    }

    private int namedChar() {
      if (!match('{')) {
        throw error("missing {");
      }
      int start = pos;
      while (pos < cps.length && cps[pos] != '}') {
        pos++;
      }
      if (pos >= cps.length || pos == start) {
        throw error("missing character name or }");
      }
      String name = new String(cps, start, pos - start);
      pos++;
      try {
        return Character.codePointOf(name);
      } catch (IllegalArgumentException e) {
        throw error("undefined character name '" + name + "'");
      }
    }

    // sre_parse: the character-set branch of _parse and _class_escape.
    private void parseClass(Flags f) {
      int start = pos - 1;
      if (peek() == '[') {
        warnings.add("possible nested set at position " + pos + " (Python reads '[' literally)");
      }
      boolean negate = match('^');
      out.append(negate ? "[^" : "[");
      int items = 0;
      while (true) {
        int c = peek();
        if (c < 0) {
          pos = start;
          throw error("unterminated character set");
        }
        pos++;
        if (c == ']' && items > 0) {
          break;
        }
        int lo;
        int category = -1;
        if (c == '\\') {
          lo = setEscape();
          if (lo < 0) {
            category = -lo;
            lo = -1;
          }
        } else {
          if (items > 0 && "-&~|".indexOf(c) >= 0 && peek() == c) {
            warnings.add(
                "possible set operation '"
                    + Character.toString(c).repeat(2)
                    + "' at position "
                    + pos
                    + " (Python reads it literally)");
          }
          lo = c;
        }
        items++;
        if (peek() == '-') {
          pos++;
          int that = peek();
          if (that < 0) {
            pos = start;
            throw error("unterminated character set");
          }
          pos++;
          if (that == ']') {
            emitClassItem(lo, category, f);
            appendLiteral('-');
            break;
          }
          int hi;
          if (that == '\\') {
            hi = setEscape();
            if (hi < 0) {
              throw error("bad character range");
            }
          } else {
            if (that == '-') {
              warnings.add(
                  "possible set difference at position " + pos + " (Python reads it literally)");
            }
            hi = that;
          }
          if (category >= 0 || hi < lo) {
            throw error("bad character range");
          }
          appendLiteral(lo);
          out.append('-');
          appendLiteral(hi);
        } else {
          emitClassItem(lo, category, f);
        }
      }
      out.append(']');
    }

    private void emitClassItem(int literal, int category, Flags f) {
      if (category >= 0) {
        appendCategory(category, f);
      } else {
        appendLiteral(literal);
      }
    }

    /** Appends a category for use inside a Java class; negated ones become nested classes. */
    private void appendCategory(int c, Flags f) {
      switch (c) {
        case 'd':
          out.append(f.ascii ? "0-9" : "\\p{Nd}");
          break;
        case 'D':
          out.append(f.ascii ? "[^0-9]" : "\\P{Nd}");
          break;
        case 'w':
          out.append(f.ascii ? ASCII_WORD : UNICODE_WORD);
          break;
        case 'W':
          out.append("[^").append(f.ascii ? ASCII_WORD : UNICODE_WORD).append(']');
          break;
        case 's':
          out.append(f.ascii ? ASCII_SPACE : UNICODE_SPACE);
          break;
        case 'S':
          out.append("[^").append(f.ascii ? ASCII_SPACE : UNICODE_SPACE).append(']');
          break;
        default:
          throw new AssertionError(c);
      }
    }

    private void appendLiteral(int c) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
        out.append((char) c);
      } else {
        out.append("\\x{").append(Integer.toHexString(c)).append('}');
      }
    }

    private static long times(long a, long b) {
      if (a == 0 || b == 0) {
        return 0;
      }
      return a > MAXREPEAT / b ? MAXREPEAT : Math.min(a * b, MAXREPEAT);
    }

    private static boolean isAsciiDigit(int c) {
      return c >= '0' && c <= '9';
    }

    private static boolean isOctal(int c) {
      return c >= '0' && c <= '7';
    }

    private static boolean isIdentifier(String s) {
      if (s.isEmpty()) {
        return false;
      }
      int first = s.codePointAt(0);
      if (first != '_' && !Character.isUnicodeIdentifierStart(first)) {
        return false;
      }
      return s.codePoints()
          .skip(1)
          .allMatch(
              cp ->
                  cp == '_'
                      || Character.isUnicodeIdentifierPart(cp)
                          && !Character.isIdentifierIgnorable(cp));
    }
  }
}

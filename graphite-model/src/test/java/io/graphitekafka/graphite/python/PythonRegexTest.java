package io.graphitekafka.graphite.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.Golden;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PythonRegexTest {

  // Valid in Python 3.11 but not expressible in Java; rejected with a clear message instead.
  private static final Set<String> REJECTED_ALTHOUGH_PYTHON_ACCEPTS = Set.of("(a)(?(1)a|b)");

  @Test
  void agreesWithPythonReSearchOnGoldenCases() {
    Map<String, List<String[]>> byPattern = new LinkedHashMap<>();
    for (String[] row : Golden.read("regex-search.tsv")) {
      byPattern.computeIfAbsent(row[0], k -> new ArrayList<>()).add(row);
    }
    List<String> mismatches = new ArrayList<>();
    for (Map.Entry<String, List<String[]>> e : byPattern.entrySet()) {
      String python = e.getKey();
      boolean pythonError = e.getValue().get(0)[2].equals("error");
      Pattern pattern;
      try {
        pattern = PythonRegex.compile(python);
      } catch (IllegalArgumentException ex) {
        if (!pythonError && !REJECTED_ALTHOUGH_PYTHON_ACCEPTS.contains(python)) {
          mismatches.add(python + ": rejected but Python accepts: " + ex.getMessage());
        }
        continue;
      }
      if (pythonError) {
        mismatches.add(python + ": accepted as " + pattern + " but Python rejects it");
        continue;
      }
      for (String[] row : e.getValue()) {
        boolean expected = row[2].equals("1");
        if (pattern.matcher(row[1]).find() != expected) {
          mismatches.add(
              python + " on '" + row[1] + "': Python says " + expected + ", Java " + pattern);
        }
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(byPattern).hasSizeGreaterThan(100);
  }

  @Test
  void translatesNamedGroupsAndBackReferences() {
    assertThat(PythonRegex.translate("(?P<host>a)(?P=host)")).isEqualTo("(?<host>a)\\k<host>");
    assertThat(PythonRegex.compile("(?P<host>x+)-(?P=host)").matcher("xx-xx").matches()).isTrue();
    Pattern underscored = PythonRegex.compile("(?P<host_name>x+)-(?P=host_name)");
    assertThat(underscored.matcher("xx-xx").matches()).isTrue();
    assertThat(underscored.matcher("xx-x").matches()).isFalse();
  }

  @Test
  void pythonBackslashCapitalZIsEndOfStringOnly() {
    assertThat(PythonRegex.compile("a\\Z").matcher("a\n").find()).isFalse();
    assertThat(PythonRegex.compile("a$").matcher("a\n").find()).isTrue();
    assertThat(PythonRegex.compile("a$").matcher("a\r").find()).isFalse();
  }

  @Test
  void classesAreUnicodeAwareLikePython3() {
    assertThat(PythonRegex.compile("^\\w+$").matcher("café").find()).isTrue();
    assertThat(PythonRegex.compile("\\d").matcher("١").find()).isTrue();
    assertThat(PythonRegex.compile("(?a)\\d").matcher("١").find()).isFalse();
    assertThat(PythonRegex.compile("\\s").matcher("a\u00a0b").find()).isTrue();
    assertThat(PythonRegex.compile("(?i)é").matcher("É").find()).isTrue();
  }

  @Test
  void keepsPython311PossessiveQuantifiersAndAtomicGroups() {
    assertThat(PythonRegex.compile("^a*+a").matcher("aaa").find()).isFalse();
    assertThat(PythonRegex.compile("^(?>a+)a").matcher("aaa").find()).isFalse();
    assertThat(PythonRegex.compile("^a{,2}$").matcher("aa").find()).isTrue();
  }

  @Test
  void readsJavaSetSyntaxLiterallyAsPythonDoes() {
    Pattern posix = PythonRegex.compile("[[:alpha:]]");
    assertThat(posix.matcher("b").find()).isFalse();
    assertThat(posix.matcher(":]").find()).isTrue();
    assertThat(posix.matcher(":").find()).isFalse();
    assertThat(PythonRegex.compile("[a&&b]").matcher("&").find()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\\p{L}", "\\Q.\\E", "\\h", "\\R", "\\X", "\\G", "\\z", "\\e", "\\k<x>", "(?<n>a)"
      })
  void rejectsJavaOnlySyntax(String pattern) {
    assertThatThrownBy(() -> PythonRegex.compile(pattern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(pattern);
  }

  @Test
  void rejectsConditionalGroupsWithAReason() {
    assertThatThrownBy(() -> PythonRegex.compile("(a)(?(1)b|c)"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("conditional");
  }

  @Test
  void rejectsVariableWidthLookBehindAsPythonDoes() {
    assertThatThrownBy(() -> PythonRegex.compile("(?<=a|bc)d")).hasMessageContaining("fixed-width");
    assertThat(PythonRegex.compile("(?<=ab|cd)e").matcher("cde").find()).isTrue();
  }

  @Test
  void rejectsGlobalFlagsAfterTheStart() {
    assertThatThrownBy(() -> PythonRegex.compile("a(?i)b"))
        .hasMessageContaining("global flags not at the start");
  }
}

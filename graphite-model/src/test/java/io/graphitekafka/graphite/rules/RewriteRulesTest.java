package io.graphitekafka.graphite.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RewriteRulesTest {

  @Test
  void preAndPostRulesApplyInFileOrderEachToThePreviousResult() {
    RewriteRules rules =
        RewriteRules.parse(
            "rewrite-rules.conf",
            List.of(
                "[PRE]",
                "^collectd\\.([a-z0-9]+)\\. = \\1.system.",
                "system = sys",
                "[post]",
                "_sum$ = "));
    assertThat(rules.problems()).isEmpty();
    assertThat(rules.pre("collectd.host1.cpu")).isEqualTo("host1.sys.cpu");
    assertThat(rules.post("a.requests_sum")).isEqualTo("a.requests");
    assertThat(rules.post("collectd.host1.cpu")).isEqualTo("collectd.host1.cpu");
  }

  @Test
  void rulesOutsidePreAndPostAndBadLinesAreReportedAndPlayNoPart() {
    RewriteRules rules =
        RewriteRules.parse(
            "rewrite-rules.conf",
            List.of(
                "a = b",
                "[pre]",
                "[unclosed = x",
                "just words",
                "x = \\q",
                "c = d",
                "[other]",
                "e = f"));
    assertThat(rules.pre("ace")).isEqualTo("ade");
    assertThat(rules.problems())
        .extracting(RuleFileProblem::lineNumber)
        .containsExactly(1, 3, 4, 5, 8);
    assertThat(rules.problems().get(0).reason()).contains("before any [pre] or [post]");
    assertThat(rules.problems().get(1).reason()).contains("invalid Python regex");
    assertThat(rules.problems().get(2).reason()).contains("neither a [section] heading");
    assertThat(rules.problems().get(3).reason()).contains("bad escape \\q");
    assertThat(rules.problems().get(4).reason()).contains("[other]");
  }

  @Test
  void aRepeatedHeadingStartsTheSectionAfreshAsCarbonDoes() {
    RewriteRules rules =
        RewriteRules.parse("rewrite-rules.conf", List.of("[pre]", "a = b", "[pre]", "c = d"));
    assertThat(rules.preRules()).extracting(RewriteRule::toString).containsExactly("c = d");
  }

  @Test
  void namedGroupsJavaCannotNameStillWorkInTheReplacement() {
    RewriteRule rule = RewriteRule.of("(?P<host_name>[a-z]+)(\\d+)", "\\g<host_name>-\\2\\g<0>");
    assertThat(rule.apply("web12.cpu")).isEqualTo("web-12web12.cpu");
  }
}

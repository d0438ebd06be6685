package io.graphitekafka.graphite.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateRulesTest {

  @Test
  void carbonsDocumentedExampleAggregatesEveryHostOfAnApplication() {
    AggregateRules rules =
        AggregateRules.parse(
            "aggregation-rules.conf",
            List.of(
                "# comment",
                "",
                "prod.applications.<app>.all.requests (60) = sum prod.applications.<app>.*.requests"));
    assertThat(rules.problems()).isEmpty();
    AggregateRule rule = rules.rules().get(0);
    assertThat(rule.frequency()).isEqualTo(60);
    assertThat(rule.method()).isEqualTo(RuleMethod.SUM);
    assertThat(rule.outputFor("prod.applications.apache.www01.requests"))
        .isEqualTo("prod.applications.apache.all.requests");
    assertThat(rule.outputFor("prod.applications.apache.www01.errors")).isNull();
  }

  @Test
  void aDoubleBracketFieldSpansDotsAndIsNamedWithSingleBracketsInTheTemplate() {
    AggregateRule rule = AggregateRule.parse("<prefix>.total (10) = sum <<prefix>>.host*.bytes");
    assertThat(rule.outputFor("dc1.web.host12.bytes")).isEqualTo("dc1.web.total");
    // carbon reads <<prefix>> in a template as the key '%(prefix)s' and fails on every point
    assertThatThrownBy(() -> AggregateRule.parse("<<prefix>>.total (10) = sum <<prefix>>.bytes"))
        .hasMessageContaining("names field '%(prefix)s'");
  }

  @Test
  void badLinesAreRefusedWithTheirNumberAndReasonAndTheOthersLoad() {
    AggregateRules rules =
        AggregateRules.parse(
            "aggregation-rules.conf",
            List.of(
                "a.<x>.sum (60) = sum a.<x>.*",
                "no equals sign here",
                "a.total (sixty) = sum a.*",
                "a.total (60) = median a.*",
                "a.<y>.sum (60) = sum a.<x>.*",
                "a.total (0) = sum a.*",
                "a.total 60 extra = sum a.*",
                "a.<x>.max (10) = max a.<x>.*"));
    assertThat(rules.rules())
        .extracting(AggregateRule::toString)
        .containsExactly("a.<x>.sum (60) = sum a.<x>.*", "a.<x>.max (10) = max a.<x>.*");
    assertThat(rules.problems())
        .extracting(RuleFileProblem::lineNumber)
        .containsExactly(2, 3, 4, 5, 6, 7);
    assertThat(rules.problems().get(0).reason()).contains("no '='");
    assertThat(rules.problems().get(1).reason()).contains("frequency (sixty)");
    assertThat(rules.problems().get(2).reason())
        .contains("unknown aggregation method 'median'")
        .contains("sum, avg, min, max, count, p50, p75, p80, p90, p95, p99, p999");
    assertThat(rules.problems().get(3).reason()).contains("names field 'y'");
    assertThat(rules.problems().get(4).reason()).contains("from 1 to");
    assertThat(rules.problems().get(5).reason()).contains("found 3 words");
    assertThat(rules.problems().get(0).toString()).startsWith("aggregation-rules.conf line 2: ");
  }

  @Test
  void theFrequencyIsReadAsPythonsIntReadsIt() {
    assertThat(AggregateRule.parse("a (1_0) = sum b").frequency()).isEqualTo(10);
    assertThat(AggregateRule.parse("a ((+60)) = sum b").frequency()).isEqualTo(60);
    assertThat(AggregateRule.parse("a (\u0666\u0660) = sum b").frequency()).isEqualTo(60);
    assertThatThrownBy(() -> AggregateRule.parse("a (6.0) = sum b"))
        .hasMessageContaining("invalid literal for int()");
  }

  @Test
  void aTemplateWithAPercentThatPythonWouldReadAsAConversionIsRefused() {
    assertThatThrownBy(() -> AggregateRule.parse("a.100%.<x> (60) = sum b.<x>"))
        .hasMessageContaining("'%'");
    assertThat(AggregateRule.parse("a.<x> (60) = sum b.<x>.c").outputFor("b.q.c")).isEqualTo("a.q");
  }

  @Test
  void anInvalidInputRegexIsRefusedWithPythonsReason() {
    assertThatThrownBy(() -> AggregateRule.parse("a (60) = sum b.[x"))
        .hasMessageContaining("input pattern b.[x");
  }

  @Test
  void theLiteralPrefixStopsAtTheFirstConstructAndIsEmptyWithAnAlternation() {
    assertThat(AggregateRule.literalPrefix("prod\\.applications\\.(?P<app>[^.]+?)\\.[^.]+$"))
        .isEqualTo("prod.applications.");
    assertThat(AggregateRule.literalPrefix("host1s?\\.x$")).isEqualTo("host1");
    assertThat(AggregateRule.literalPrefix("(?i)prod\\.x$")).isEmpty();
    assertThat(AggregateRule.literalPrefix("prod\\.web|db\\.x$")).isEmpty();
    assertThat(AggregateRule.literalPrefix("a\\d+$")).isEqualTo("a");
  }
}

package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageAggregationTest {

  private static final String EXAMPLE =
      "[min]\npattern = \\.min$\nxFilesFactor = 0.1\naggregationMethod = min\n\n"
          + "[max]\npattern = \\.max$\nxFilesFactor = 0.1\naggregationMethod = max\n\n"
          + "[count]\npattern = \\.count$\nxFilesFactor = 0\naggregationMethod = sum\n\n"
          + "[default_average]\npattern = .*\nxFilesFactor = 0.5\naggregationMethod = average\n";

  @Test
  void matchesTheShippedExample() {
    StorageAggregation a = StorageAggregation.parse(EXAMPLE, "agg");
    assertThat(a.match("stats.latency.min"))
        .isEqualTo(new AggregationRule(AggregationMethod.MIN, 0.1f));
    assertThat(a.match("stats.hits.count"))
        .isEqualTo(new AggregationRule(AggregationMethod.SUM, 0f));
    assertThat(a.match("stats.min.value")).isEqualTo(AggregationRule.DEFAULT);
  }

  @Test
  void fillsEachOmittedValueWithWhispersDefault() {
    StorageAggregation a =
        StorageAggregation.parse(
            "[xff]\npattern = ^x\nxFilesFactor = 0.25\n[method]\npattern = ^m\naggregationMethod = absmax\n",
            "agg");
    assertThat(a.match("x.y")).isEqualTo(new AggregationRule(AggregationMethod.AVERAGE, 0.25f));
    assertThat(a.match("m.y")).isEqualTo(new AggregationRule(AggregationMethod.ABSMAX, 0.5f));
    assertThat(a.match("z")).isEqualTo(new AggregationRule(AggregationMethod.AVERAGE, 0.5f));
  }

  @Test
  void skipsNonNumericXffAndMissingPattern() {
    StorageAggregation a =
        StorageAggregation.parse(
            "[bad]\npattern = .*\nxFilesFactor = half\n[nopattern]\naggregationMethod = max\n"
                + "[ok]\npattern = .*\nxFilesFactor = 1_0e-1\naggregationMethod = last\n",
            "agg");
    assertThat(a.rules()).extracting(StorageAggregation.Rule::section).containsExactly("ok");
    assertThat(a.match("q")).isEqualTo(new AggregationRule(AggregationMethod.LAST, 1.0f));
  }

  @Test
  void outOfRangeXffAndUnknownMethodAreFatal() {
    assertThatThrownBy(
            () -> StorageAggregation.parse("[a]\npattern = .*\nxFilesFactor = 1.5\n", "agg"))
        .hasMessageContaining("agg [a]")
        .hasMessageContaining("1.5");
    assertThatThrownBy(
            () -> StorageAggregation.parse("[a]\npattern = .*\nxFilesFactor = nan\n", "agg"))
        .hasMessageContaining("nan");
    assertThatThrownBy(
            () -> StorageAggregation.parse("[a]\npattern = .*\naggregationMethod = Max\n", "agg"))
        .hasMessageContaining("agg [a]")
        .hasMessageContaining("'Max'");
  }

  @Test
  void aMissingFileMeansNoRules(@TempDir Path dir) throws Exception {
    assertThat(StorageAggregation.load(dir.resolve("storage-aggregation.conf")).match("a.min"))
        .isEqualTo(AggregationRule.DEFAULT);
    Path file = dir.resolve("agg.conf");
    Files.writeString(file, EXAMPLE);
    assertThat(StorageAggregation.load(file).match("a.min").method())
        .isEqualTo(AggregationMethod.MIN);
  }
}

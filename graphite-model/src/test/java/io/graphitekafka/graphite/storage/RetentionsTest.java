package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionsTest {

  @Test
  void parsesCarbonExamplesFromTheSpec() {
    assertThat(Retentions.parseDefinition("10s:6h")).isEqualTo(new ArchiveSpec(10, 2160));
    assertThat(Retentions.parseDefinition("60:1440")).isEqualTo(new ArchiveSpec(60, 1440));
    assertThat(Retentions.parseDefinition("1h:3y")).isEqualTo(new ArchiveSpec(3600, 26280));
    assertThat(Retentions.parseDefinition("7s:1m")).isEqualTo(new ArchiveSpec(7, 8));
  }

  @Test
  void parsesAndSortsExampleA() {
    assertThat(Retentions.parse("1h:3y,60s:1d,5m:30d"))
        .containsExactly(
            new ArchiveSpec(60, 1440), new ArchiveSpec(300, 8640), new ArchiveSpec(3600, 26280));
    assertThat(Retentions.parse("10s:1m,1m:5m,5m:30m"))
        .containsExactly(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5), new ArchiveSpec(300, 6));
  }

  @Test
  void agreesWithCarbonParseRetentionDef() {
    for (String[] row : Golden.read("retention-defs.tsv")) {
      String def = row[0];
      if (row[1].equals("ERROR") || row[1].endsWith(":0")) {
        // Carbon turns "1h:1m" into 0 points and fails later; we reject it here.
        assertThatThrownBy(() -> Retentions.parseDefinition(def))
            .as(def)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining(def);
      } else {
        assertThat(Retentions.parseDefinition(def).toString()).as(def).isEqualTo(row[1]);
      }
    }
  }

  @Test
  void rejectsUpperCaseAndWordUnitsLikeCarbon() {
    assertThatThrownBy(() -> Retentions.parse("10S:1d")).hasMessageContaining("'10S:1d'");
    assertThatThrownBy(() -> Retentions.parse("10sec:1d"))
        .hasMessageContaining("'10sec:1d'")
        .hasMessageContaining("invalid unit 'sec'");
  }

  @Test
  void rejectsZeroPrecisionAndZeroPoints() {
    assertThatThrownBy(() -> Retentions.parse("0:60")).hasMessageContaining("'0:60'");
    assertThatThrownBy(() -> Retentions.parse("1h:1m")).hasMessageContaining("gives 0");
  }

  @Test
  void validateRejectsEachWhisperRule() {
    assertThatThrownBy(() -> Retentions.validate(List.of()))
        .hasMessageContaining("at least one archive");
    assertThatThrownBy(() -> Retentions.parse("60:100,60:200"))
        .hasMessageContaining("same precision");
    assertThatThrownBy(() -> Retentions.parse("60:100,90:100")).hasMessageContaining("multiple");
    assertThatThrownBy(() -> Retentions.parse("10:360,60:60"))
        .hasMessageContaining("strictly longer retention")
        .hasMessageContaining("10:360");
    assertThatThrownBy(() -> Retentions.parse("10:3,60:100"))
        .hasMessageContaining("needs at least 6 points");
  }

  @Test
  void validateRejectsListsBeyondTheHeaderLimits() {
    assertThatThrownBy(() -> Retentions.parse("1:2147483647,2:2147483647"))
        .hasMessageContaining("4 GiB");
    assertThatThrownBy(() -> Retentions.parse("1y:200y")).hasMessageContaining("u32");
  }

  @Test
  void validateReturnsASortedCopy() {
    List<ArchiveSpec> input = List.of(new ArchiveSpec(300, 8640), new ArchiveSpec(60, 1440));
    assertThat(Retentions.validate(input))
        .containsExactly(new ArchiveSpec(60, 1440), new ArchiveSpec(300, 8640));
    assertThat(input.get(0).secondsPerPoint()).isEqualTo(300);
  }
}

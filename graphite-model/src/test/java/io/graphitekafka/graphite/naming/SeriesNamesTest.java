package io.graphitekafka.graphite.naming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.Golden;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeriesNamesTest {

  // Carbon stores these raw; we reject them on purpose (see SeriesNames).
  private static final Set<String> REJECTED_ALTHOUGH_CARBON_STORES = Set.of("a..b");

  @Test
  void agreesWithCarbonTaggedSeries() {
    for (String[] row : Golden.read("tagged-series.tsv")) {
      String raw = row[0];
      if (row[1].equals("ERROR") || REJECTED_ALTHOUGH_CARBON_STORES.contains(raw)) {
        assertThatThrownBy(() -> SeriesNames.normalize(raw))
            .as(raw)
            .isInstanceOf(InvalidSeriesNameException.class);
      } else {
        assertThat(SeriesNames.normalize(raw)).as(raw).isEqualTo(row[1]);
      }
    }
  }

  @Test
  void normalizesTheSpecExample() {
    assertThat(SeriesNames.normalize("test.tagged;zz=1;env=prod;aa=2"))
        .isEqualTo("test.tagged;aa=2;env=prod;zz=1");
  }

  @Test
  void sortsWholeTagStringsInCodePointOrder() {
    assertThat(SeriesNames.normalize("x;a=1;a-b=2")).isEqualTo("x;a-b=2;a=1");
    // UTF-16 order would put U+FFFF after the surrogate pair of U+1F600.
    assertThat(SeriesNames.normalize("m;\uD83D\uDE00=1;\uFFFF=2"))
        .isEqualTo("m;\uFFFF=2;\uD83D\uDE00=1");
  }

  @Test
  void keepsPlainNamesAndLastDuplicateAndStripsTilde() {
    assertThat(SeriesNames.normalize("servers.web01.cpu")).isEqualTo("servers.web01.cpu");
    assertThat(SeriesNames.normalize("a;b=1;c=2;b=3")).isEqualTo("a;b=3;c=2");
    assertThat(SeriesNames.normalize("~~foo.bar;x=1")).isEqualTo("foo.bar;x=1");
    assertThat(SeriesNames.normalize("a;name=x;z=1")).isEqualTo("a;z=1");
  }

  @Test
  void readsTheOpenMetricsFormWithEscapes() {
    assertThat(SeriesNames.normalize("foo{b=\"2\",a=\"1\"}")).isEqualTo("foo;a=1;b=2");
    assertThat(SeriesNames.normalize("foo{a=\"x\\\"y\",b=\"c\\\\d\"}"))
        .isEqualTo("foo;a=x\"y;b=c\\d");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''|empty_name",
        "~~~|empty_name",
        ";b=c|empty_name",
        "a..b|empty_component",
        ".a|empty_component",
        "a.|empty_component",
        "a..b;x=1|empty_component",
        "a/b|bad_character",
        "a;path=/var|bad_character",
        "'a b'|bad_character",
        "a;b|bad_tag",
        "a;=b|bad_tag",
        "a;b=|bad_tag",
        "a;|bad_tag",
        "a;;b=1|bad_tag",
        "a;b!c=1|bad_tag",
        "a;b^c=1|bad_tag",
        "a;b=~c|bad_tag",
        "foo{a=\"\"}|bad_tag",
        "foo{a=\"1\"b=\"2\"}|bad_tag",
        "foo{a{=\"1\"}|bad_tag",
        "a;b{\"}|bad_tag",
        "a{\"};name=x|bad_tag",
      })
  void rejectsWithAStableReason(String raw, String reason) {
    assertThatThrownBy(() -> SeriesNames.normalize(raw))
        .isInstanceOfSatisfying(
            InvalidSeriesNameException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining("'" + raw);
  }

  @Test
  void rejectsControlCharactersNulAndUnpairedSurrogates() {
    for (String raw :
        new String[] {
          "a\u0000b", "a\tb", "a\nb", "a\u007fb", "a\u0085b", "a\u00a0b", "a\u2028b", "a\uD800b"
        }) {
      assertThatThrownBy(() -> SeriesNames.normalize(raw))
          .as(raw)
          .isInstanceOfSatisfying(
              InvalidSeriesNameException.class,
              e -> assertThat(e.reason()).isEqualTo("bad_character"));
    }
  }

  @Test
  void rejectsOverlongNamesAndComponents() {
    String component = "x".repeat(SeriesNames.MAX_COMPONENT_BYTES);
    assertThat(SeriesNames.normalize(component)).isEqualTo(component);
    assertThatThrownBy(() -> SeriesNames.normalize(component + "x"))
        .isInstanceOfSatisfying(
            InvalidSeriesNameException.class, e -> assertThat(e.reason()).isEqualTo("too_long"));
    // 2-byte characters count twice.
    assertThatThrownBy(() -> SeriesNames.normalize("é".repeat(126)))
        .isInstanceOfSatisfying(
            InvalidSeriesNameException.class, e -> assertThat(e.reason()).isEqualTo("too_long"));
    String longName = String.join(".", java.util.Collections.nCopies(206, "abcd"));
    assertThatThrownBy(() -> SeriesNames.normalize(longName))
        .isInstanceOfSatisfying(
            InvalidSeriesNameException.class, e -> assertThat(e.reason()).isEqualTo("too_long"));
  }
}

package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class CarbonConfigParserTest {

  private static List<ConfigSection> parse(String text) {
    return CarbonConfigParser.parse(text, "test.conf");
  }

  @Test
  void keepsSectionsInFileOrderWithLowercasedKeys() {
    List<ConfigSection> sections = parse("[zeta]\nPattern = ^z\n\n[alpha]\nxFilesFactor: 0.1\n");
    assertThat(sections).extracting(ConfigSection::name).containsExactly("zeta", "alpha");
    assertThat(sections.get(0).options()).containsEntry("pattern", "^z");
    assertThat(sections.get(1).get("XFILESFACTOR")).isEqualTo("0.1");
  }

  @Test
  void treatsWholeLineHashAndSemicolonAsCommentsButNotInline() {
    List<ConfigSection> sections =
        parse("# top\n[a]\n  ; indented comment\npattern = x # not a comment\n");
    assertThat(sections.get(0).get("pattern")).isEqualTo("x # not a comment");
  }

  @Test
  void splitsAtTheFirstDelimiter() {
    ConfigSection s = parse("[a]\npattern = ^a:b=c\nkey: v = w\n").get(0);
    assertThat(s.get("pattern")).isEqualTo("^a:b=c");
    assertThat(s.get("key")).isEqualTo("v = w");
  }

  @Test
  void joinsIndentedContinuationLines() {
    ConfigSection s = parse("[a]\nretentions = 10s:6h,\n   1m:7d\n\nother = 1\n").get(0);
    assertThat(s.get("retentions")).isEqualTo("10s:6h,\n1m:7d");
    assertThat(s.get("other")).isEqualTo("1");
  }

  @Test
  void turnsDoublePercentIntoOneAndInterpolatesReferences() {
    ConfigSection s = parse("[DEFAULT]\nbase = ^servers\n[a]\npattern = %(base)s\\.cpu%%\n").get(1);
    assertThat(s.get("pattern")).isEqualTo("^servers\\.cpu%");
    assertThat(s.get("base")).isEqualTo("^servers");
  }

  @Test
  void rejectsALonePercentAsConfigparserDoes() {
    assertThatThrownBy(() -> parse("[a]\npattern = 100%\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("test.conf")
        .hasMessageContaining("[a] pattern")
        .hasMessageContaining("%%");
    assertThatThrownBy(() -> parse("[a]\npattern = %(missing)s\n")).hasMessageContaining("missing");
    assertThatThrownBy(() -> parse("[a]\nx = %(y)s\ny = %(x)s\n")).hasMessageContaining("deeper");
  }

  @Test
  void listsDefaultAtItsPositionAsCarbonsOrderedConfigParserDoes() {
    List<ConfigSection> sections = parse("[a]\nx = 1\n[DEFAULT]\nretentions = 60:1440\n");
    assertThat(sections).extracting(ConfigSection::name).containsExactly("a", "DEFAULT");
    assertThat(sections.get(0).get("retentions")).isEqualTo("60:1440");
  }

  @Test
  void rejectsLayoutsCarbonWouldMisread() {
    assertThatThrownBy(() -> parse("pattern = x\n")).hasMessageContaining("test.conf:1");
    assertThatThrownBy(() -> parse("[a]\nx = 1\n[a]\n")).hasMessageContaining("duplicate section");
    assertThatThrownBy(() -> parse("[a]\nx = 1\nX = 2\n")).hasMessageContaining("duplicate key");
    assertThatThrownBy(() -> parse("[a]\njust words\n")).hasMessageContaining("test.conf:2");
    assertThatThrownBy(() -> parse("[a] trailing\n"))
        .hasMessageContaining("after the section header");
    assertThatThrownBy(() -> parse("[a]\nx = 1\n  [b]\n"))
        .hasMessageContaining("indented section header");
    assertThatThrownBy(() -> parse("[a]\n = 1\n")).hasMessageContaining("empty key");
  }

  @Test
  void acceptsWindowsLineEnds() {
    assertThat(parse("[a]\r\npattern = x\r\n").get(0).get("pattern")).isEqualTo("x");
  }
}

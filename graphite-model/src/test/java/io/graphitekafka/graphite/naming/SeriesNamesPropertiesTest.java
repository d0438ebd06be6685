package io.graphitekafka.graphite.naming;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class SeriesNamesPropertiesTest {

  private static final Path ROOT = Path.of("/data/whisper");

  @Provide
  Arbitrary<String> names() {
    // Mostly the characters that matter to the parsers, plus anything at all.
    Arbitrary<String> structured =
        Arbitraries.strings()
            .withChars(".;=~{}\"\\,:!^/ab_-é\u0000\t ")
            .withCharRange('a', 'e')
            .ofMaxLength(40);
    return Arbitraries.oneOf(
        structured,
        Arbitraries.strings().ofMaxLength(40),
        Arbitraries.strings().all().ofMaxLength(20));
  }

  @Property(tries = 1000)
  void normalizeIsIdempotentOnItsOwnOutput(@ForAll("names") String raw) {
    String once;
    try {
      once = SeriesNames.normalize(raw);
    } catch (InvalidSeriesNameException e) {
      return;
    }
    assertThat(SeriesNames.normalize(once)).isEqualTo(once);
  }

  @Property(tries = 1000)
  void normalizeThrowsNothingButInvalidSeriesName(@ForAll("names") String raw) {
    try {
      SeriesNames.normalize(raw);
    } catch (InvalidSeriesNameException e) {
      assertThat(e.reason()).isNotBlank();
    }
  }

  @Property(tries = 1000)
  void resolveNeverLeavesTheRoot(@ForAll("names") String raw, @ForAll boolean hash) {
    Path file;
    try {
      file = SeriesPaths.resolve(ROOT, raw, hash);
    } catch (InvalidSeriesNameException e) {
      return;
    }
    assertThat(file.normalize().startsWith(ROOT)).as(file.toString()).isTrue();
    assertThat(file.getNameCount()).isGreaterThan(ROOT.getNameCount());
    assertThat(file.getFileName().toString()).endsWith(".wsp");
  }
}

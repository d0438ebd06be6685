package io.graphitekafka.graphite.naming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SeriesPathsTest {

  @Test
  void mapsPlainNamesToDirectories() {
    assertThat(SeriesPaths.relativePath("servers.web01.cpu", true))
        .isEqualTo(Path.of("servers/web01/cpu.wsp"));
    assertThat(SeriesPaths.relativePath("single", true)).isEqualTo(Path.of("single.wsp"));
  }

  @Test
  void hashesTaggedNamesAsInTheSpecExample() {
    String name = "test.tagged;aa=2;env=prod;zz=1";
    assertThat(SeriesPaths.sha256Hex(name))
        .isEqualTo("77a6e2b645458a5e1f225976b721a5974e8522764cc5585d2d4615f7e09ea86a");
    assertThat(SeriesPaths.relativePath(name, true))
        .isEqualTo(
            Path.of(
                "_tagged/77a/6e2/77a6e2b645458a5e1f225976b721a5974e8522764cc5585d2d4615f7e09ea86a.wsp"));
    assertThat(SeriesPaths.relativePath(name, false))
        .isEqualTo(Path.of("_tagged/77a/6e2/test_DOT_tagged;aa=2;env=prod;zz=1.wsp"));
  }

  @Test
  void refusesNamesThatAreNotNormalized() {
    assertThatThrownBy(() -> SeriesPaths.relativePath("test.tagged;zz=1;env=prod;aa=2", true))
        .isInstanceOfSatisfying(
            InvalidSeriesNameException.class,
            e -> assertThat(e.reason()).isEqualTo("not_normalized"))
        .hasMessageContaining("test.tagged;aa=2;env=prod;zz=1");
  }

  @Test
  void refusesUnhashedTaggedFileNamesOverTheFilesystemLimit() {
    String name = "m;t=" + "v".repeat(260);
    assertThat(SeriesPaths.relativePath(name, true).getNameCount()).isEqualTo(4);
    assertThatThrownBy(() -> SeriesPaths.relativePath(name, false))
        .isInstanceOfSatisfying(
            InvalidSeriesNameException.class, e -> assertThat(e.reason()).isEqualTo("too_long"));
  }

  @Test
  void resolvesInsideTheRoot() {
    Path root = Path.of("/srv/graphite/whisper");
    assertThat(SeriesPaths.resolve(root, "a.b"))
        .isEqualTo(Path.of("/srv/graphite/whisper/a/b.wsp"));
    assertThat(SeriesPaths.resolve(Path.of("/srv/graphite/x/../whisper"), "a.b"))
        .isEqualTo(Path.of("/srv/graphite/whisper/a/b.wsp"));
  }

  @Test
  void rejectsTraversalAttempts() {
    Path root = Path.of("/srv/whisper");
    for (String name : new String[] {"..", "a/../../etc", "/etc/passwd", "..;x=1", "a..b"}) {
      assertThatThrownBy(() -> SeriesPaths.resolve(root, name, false))
          .as(name)
          .isInstanceOf(InvalidSeriesNameException.class);
    }
  }
}

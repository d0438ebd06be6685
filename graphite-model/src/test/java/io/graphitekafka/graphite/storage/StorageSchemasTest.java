package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageSchemasTest {

  private static final String CONF =
      "[carbon]\n"
          + "pattern = ^carbon\\.\n"
          + "retentions = 60:90d\n"
          + "\n"
          + "[prod]\n"
          + "pattern = ;env=prod\n"
          + "retentions = 10s:6h,1m:7d\n"
          + "\n"
          + "[web]\n"
          + "pattern = web\n"
          + "retentions = 1m:1d\n"
          + "\n"
          + "[servers]\n"
          + "pattern = ^servers\\.\n"
          + "retentions = 5m:30d\n";

  @Test
  void firstMatchingSectionWins() {
    StorageSchemas s = StorageSchemas.parse(CONF, "storage-schemas.conf");
    assertThat(s.match("servers.web01.cpu")).containsExactly(new ArchiveSpec(60, 1440));
    assertThat(s.match("servers.db01.cpu")).containsExactly(new ArchiveSpec(300, 8640));
  }

  @Test
  void matchesUnanchoredIncludingTagsOfNormalizedNames() {
    StorageSchemas s = StorageSchemas.parse(CONF, "storage-schemas.conf");
    assertThat(s.match("app.requests;dc=x;env=prod"))
        .containsExactly(new ArchiveSpec(10, 2160), new ArchiveSpec(60, 10080));
    assertThat(s.match("app.requests;env=production"))
        .containsExactly(new ArchiveSpec(10, 2160), new ArchiveSpec(60, 10080));
    assertThat(s.match("x.carbon.y")).isEqualTo(StorageSchemas.CATCH_ALL);
  }

  @Test
  void fallsBackToSevenDaysOfMinutes() {
    assertThat(StorageSchemas.parse(CONF, "s").match("other.metric"))
        .containsExactly(new ArchiveSpec(60, 10080));
    assertThat(StorageSchemas.empty().match("x")).isEqualTo(StorageSchemas.CATCH_ALL);
  }

  @Test
  void skipsSectionsWithoutPatternOrRetentionsOrFailingValidation() {
    String text =
        "[nopattern]\nretentions = 1s:1d\n"
            + "[emptypattern]\npattern =\nretentions = 1s:1d\n"
            + "[noretentions]\npattern = .*\n"
            + "[invalid]\npattern = .*\nretentions = 10:360,60:60\n"
            + "[good]\npattern = ^a\nretentions = 1m:1d\n";
    StorageSchemas s = StorageSchemas.parse(text, "s");
    assertThat(s.rules()).extracting(StorageSchemas.Rule::section).containsExactly("good");
    assertThat(s.match("a.b")).containsExactly(new ArchiveSpec(60, 1440));
    assertThat(s.match("b")).isEqualTo(StorageSchemas.CATCH_ALL);
  }

  @Test
  void anUnparsableRetentionIsFatalAndNamesTheSection() {
    assertThatThrownBy(
            () -> StorageSchemas.parse("[bad]\npattern = .*\nretentions = 10sec:1d\n", "f.conf"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("f.conf [bad]")
        .hasMessageContaining("10sec:1d");
  }

  @Test
  void anInvalidPatternIsFatal() {
    assertThatThrownBy(
            () -> StorageSchemas.parse("[bad]\npattern = (\nretentions = 1m:1d\n", "f.conf"))
        .hasMessageContaining("f.conf [bad]");
  }

  @Test
  void loadsAFileAndReportsAMissingOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("storage-schemas.conf");
    Files.writeString(file, CONF);
    assertThat(StorageSchemas.load(file).rules()).hasSize(4);
    assertThatThrownBy(() -> StorageSchemas.load(dir.resolve("nope.conf")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("nope.conf");
  }

  @Test
  void readsTheShippedExampleLayout() {
    String example =
        "# Schema definitions for Whisper files. Entries are scanned in order,\n"
            + "[carbon]\npattern = ^carbon\\.\nretentions = 60:90d\n\n"
            + "[default_1min_for_1day]\npattern = .*\nretentions = 60s:1d\n";
    StorageSchemas s = StorageSchemas.parse(example, "example");
    assertThat(s.match("carbon.agents.a.cache.size")).containsExactly(new ArchiveSpec(60, 129600));
    assertThat(s.match("anything")).isEqualTo(List.of(new ArchiveSpec(60, 1440)));
  }
}

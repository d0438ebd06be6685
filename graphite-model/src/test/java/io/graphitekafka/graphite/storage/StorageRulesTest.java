package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageRulesTest {

  @Test
  void resolvesBothFilesFromADirectory(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("storage-schemas.conf"), "[all]\npattern = .*\nretentions = 10s:1m,1m:5m\n");
    Files.writeString(
        dir.resolve("storage-aggregation.conf"),
        "[max]\npattern = \\.max$\naggregationMethod = max\nxFilesFactor = 0.1\n");
    StorageRules rules = StorageRules.load(dir);
    SeriesLayout layout = rules.resolve("a.max");
    assertThat(layout.archives()).containsExactly(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5));
    assertThat(layout.method()).isEqualTo(AggregationMethod.MAX);
    assertThat(layout.xFilesFactor()).isEqualTo(0.1f);
  }

  @Test
  void theAggregationFileIsOptional(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("storage-schemas.conf"), "[all]\npattern = ^nomatch\nretentions = 1m:1d\n");
    SeriesLayout layout = StorageRules.load(dir).resolve("x");
    assertThat(layout)
        .isEqualTo(new SeriesLayout(StorageSchemas.CATCH_ALL, AggregationMethod.AVERAGE, 0.5f));
  }

  @Test
  void theSchemasFileIsRequired(@TempDir Path dir) {
    assertThatThrownBy(() -> StorageRules.load(dir))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("storage-schemas.conf");
  }

  @Test
  void combinesParsedRules() {
    StorageRules rules =
        StorageRules.of(
            StorageSchemas.parse("[a]\npattern = ;env=prod\nretentions = 1m:1d\n", "s"),
            StorageAggregation.empty());
    assertThat(rules.resolve("m;env=prod").archives()).containsExactly(new ArchiveSpec(60, 1440));
    assertThat(rules.resolve("m;env=dev").archives()).isEqualTo(StorageSchemas.CATCH_ALL);
  }
}

package io.graphitekafka.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageRulesWatcherTest {

  @TempDir Path conf;

  private void write(String file, String text, long mtimeSecond) throws Exception {
    Path path = conf.resolve(file);
    Files.writeString(path, text);
    Files.setLastModifiedTime(path, FileTime.from(Instant.ofEpochSecond(mtimeSecond)));
  }

  @Test
  void reloadsWhenEitherFileChangesAndKeepsTheOldRulesWhenTheNewOnesDoNotParse() throws Exception {
    write("storage-schemas.conf", "[all]\npattern = .*\nretentions = 10s:1h\n", 1_000);
    try (StorageRulesWatcher watcher = new StorageRulesWatcher(conf)) {
      assertThat(watcher.resolve("a.b").archives()).containsExactly(new ArchiveSpec(10, 360));
      assertThat(watcher.checkNow()).isFalse();

      write("storage-aggregation.conf", "[all]\npattern = .*\naggregationMethod = max\n", 2_000);
      assertThat(watcher.checkNow()).isTrue();
      assertThat(watcher.resolve("a.b").method()).isEqualTo(AggregationMethod.MAX);

      write("storage-schemas.conf", "[all]\npattern = .*\nretentions = 1m:1d,10m:30d\n", 3_000);
      assertThat(watcher.checkNow()).isTrue();
      assertThat(watcher.resolve("a.b").archives())
          .isEqualTo(List.of(new ArchiveSpec(60, 1440), new ArchiveSpec(600, 4320)));

      write("storage-aggregation.conf", "[all]\npattern = .*\naggregationMethod = median\n", 4_000);
      assertThat(watcher.checkNow()).isFalse();
      assertThat(watcher.resolve("a.b").method()).isEqualTo(AggregationMethod.MAX);

      Files.delete(conf.resolve("storage-aggregation.conf"));
      assertThat(watcher.checkNow()).isTrue();
      assertThat(watcher.resolve("a.b").method()).isEqualTo(AggregationMethod.AVERAGE);
    }
  }
}

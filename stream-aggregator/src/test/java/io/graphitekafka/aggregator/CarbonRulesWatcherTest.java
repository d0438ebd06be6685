package io.graphitekafka.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.rules.AggregateRule;
import io.graphitekafka.graphite.rules.AggregateRules;
import io.graphitekafka.graphite.rules.RewriteRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CarbonRulesWatcherTest {

  @TempDir Path conf;

  private void write(String file, String text, int second) throws Exception {
    Path path = conf.resolve(file);
    Files.writeString(path, text);
    Files.setLastModifiedTime(path, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + second)));
  }

  @Test
  void noFilesMeanNoRules() {
    try (CarbonRulesWatcher watcher = new CarbonRulesWatcher(conf)) {
      assertThat(watcher.get().isEmpty()).isTrue();
    }
  }

  @Test
  void aBadLineAtStartIsLeftOutAndABadEditLaterKeepsTheRulesInForce() throws Exception {
    write(AggregateRules.FILE, "a.sum (60) = sum a.*\nbroken line\n", 1);
    write(RewriteRules.FILE, "[pre]\nx = y\n", 1);
    try (CarbonRulesWatcher watcher = new CarbonRulesWatcher(conf)) {
      assertThat(watcher.get().aggregate().rules())
          .extracting(AggregateRule::toString)
          .containsExactly("a.sum (60) = sum a.*");
      assertThat(watcher.get().rewrite().pre("x")).isEqualTo("y");
      assertThat(watcher.checkNow()).isFalse();

      write(AggregateRules.FILE, "a.max (60) = max a.*\na.p (60) = median a.*\n", 2);
      assertThat(watcher.checkNow()).isFalse();
      assertThat(watcher.get().aggregate().rules())
          .extracting(AggregateRule::toString)
          .containsExactly("a.sum (60) = sum a.*");

      write(AggregateRules.FILE, "a.max (60) = max a.*\n", 3);
      assertThat(watcher.checkNow()).isTrue();
      assertThat(watcher.get().aggregate().rules())
          .extracting(AggregateRule::toString)
          .containsExactly("a.max (60) = max a.*");

      Files.delete(conf.resolve(RewriteRules.FILE));
      assertThat(watcher.checkNow()).isTrue();
      assertThat(watcher.get().rewrite().isEmpty()).isTrue();
    }
  }
}

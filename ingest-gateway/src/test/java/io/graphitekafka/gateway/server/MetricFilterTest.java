package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.gateway.server.MetricFilter.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** carbon's whitelist/blacklist files, looked at again as carbon's RegexList does. */
class MetricFilterTest {

  @TempDir Path dir;

  private static void write(Path file, String text, long epochSecond) throws Exception {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(epochSecond)));
  }

  @Test
  void aChangedFileIsReadAgainOnRefreshAndAnUnchangedOneIsNot() throws Exception {
    Path white = dir.resolve("whitelist.conf");
    Path black = dir.resolve("blacklist.conf");
    write(white, "# servers only\n^servers\\.\n", 1_700_000_000L);
    write(black, "\\.secret$\n", 1_700_000_000L);
    MetricFilter filter = MetricFilter.fromFiles(white.toString(), black.toString());

    assertThat(filter.check("servers.a")).isEqualTo(Verdict.ACCEPT);
    assertThat(filter.check("other.a")).isEqualTo(Verdict.NOT_WHITELISTED);
    assertThat(filter.check("servers.secret")).isEqualTo(Verdict.BLACKLISTED);

    write(white, "^servers\\.\n^other\\.\n", 1_700_000_060L);
    write(black, "\\.password$\n", 1_700_000_000L); // same mtime: carbon would not read it again
    filter.refresh();

    assertThat(filter.check("other.a")).isEqualTo(Verdict.ACCEPT);
    assertThat(filter.check("servers.secret")).isEqualTo(Verdict.BLACKLISTED);
    assertThat(filter.check("servers.password")).isEqualTo(Verdict.ACCEPT);
  }

  @Test
  void aMissingFileIsAnEmptyListUntilItAppearsAndAfterItGoes() throws Exception {
    Path white = dir.resolve("whitelist.conf");
    MetricFilter filter = MetricFilter.fromFiles(white.toString(), "");

    assertThat(filter.isEmpty()).isFalse(); // configured: it may fill up later
    assertThat(filter.check("anything")).isEqualTo(Verdict.ACCEPT);

    write(white, "^servers\\.\n", 1_700_000_000L);
    filter.refresh();
    assertThat(filter.check("anything")).isEqualTo(Verdict.NOT_WHITELISTED);

    Files.delete(white);
    filter.refresh();
    assertThat(filter.check("anything")).isEqualTo(Verdict.ACCEPT);
  }

  @Test
  void aFileThatCannotBeReadKeepsThePreviousListAndABadPatternIsSkipped() throws Exception {
    Path black = dir.resolve("blacklist.conf");
    write(black, "(unclosed\n\\.secret$\n", 1_700_000_000L);
    MetricFilter filter = MetricFilter.fromFiles("", black.toString());
    assertThat(filter.check("a.secret")).isEqualTo(Verdict.BLACKLISTED);

    Files.delete(black);
    Files.createDirectory(black); // exists, but is not a readable list
    filter.refresh();

    assertThat(filter.check("a.secret")).isEqualTo(Verdict.BLACKLISTED);
  }

  @Test
  void noFilesConfiguredIsEmpty() {
    assertThat(MetricFilter.fromFiles("", "").isEmpty()).isTrue();
    assertThat(MetricFilter.none().check("x")).isEqualTo(Verdict.ACCEPT);
  }
}

package io.graphitekafka.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * The state directory check on real RocksDB stores and checkpoint files, damaged as a crash, a full
 * disk or a bad block leaves them.
 */
class StateDirectoryCheckTest {

  @TempDir Path appDir;

  @Test
  void intactStoresAndAValidCheckpointAreLeftAlone() throws Exception {
    Path store = store("0_0", "series-state");
    Files.writeString(
        appDir.resolve("0_0/.checkpoint"), "0\n2\ncarbon.points 0 17\nchangelog 0 -2\n");

    assertThat(StateDirectoryCheck.run(appDir)).isEmpty();
    assertThat(store.resolve("CURRENT")).exists();
    assertThat(appDir.resolve("0_0/.checkpoint")).exists();
  }

  @Test
  void aCorruptCheckpointRemovesItsTask() throws Exception {
    store("0_0", "series-state");
    store("0_1", "series-state");
    Files.writeString(appDir.resolve("0_0/.checkpoint"), "0\n2\ncarbon.points 0 zz\n");

    List<String> changed = StateDirectoryCheck.run(appDir);

    assertThat(changed).hasSize(1);
    assertThat(changed.get(0))
        .contains("0_0/.checkpoint is corrupt", "2 offsets announced, 1 found", "changelog");
    assertThat(appDir.resolve("0_0")).doesNotExist();
    assertThat(appDir.resolve("0_1/rocksdb/series-state/CURRENT")).exists();
  }

  @Test
  void checkpointsOfEveryKindOfDamageAreNamed() throws Exception {
    Path file = appDir.resolve("c");
    for (String[] bad :
        new String[][] {
          {"", "only 0 lines"},
          {"1\n0\n", "version '1', expected 0"},
          {"0\nx\n", "count 'x' is not a number"},
          {"0\n1\ncarbon.points zero 5\n", "malformed line"},
          {"0\n1\ncarbon.points 0 5 6\n", "malformed line"},
          {"0\n1\n", "1 offsets announced, 0 found"},
        }) {
      Files.writeString(file, bad[0]);
      assertThat(StateDirectoryCheck.checkpointProblem(file)).as(bad[0]).contains(bad[1]);
    }
    Files.write(file, new byte[] {'0', '\n', (byte) 0xff, (byte) 0xfe});
    assertThat(StateDirectoryCheck.checkpointProblem(file)).isNotNull();
    Files.writeString(file, "0\n0\n");
    assertThat(StateDirectoryCheck.checkpointProblem(file)).isNull();
  }

  @Test
  void aStoreWhoseCurrentFileIsGarbageRemovesItsTask() throws Exception {
    Path store = store("0_1", "series-state");
    store("0_1", "aggregate-buffers");
    Files.writeString(store.resolve("CURRENT"), "NOT-A-MANIFEST\n");

    List<String> changed = StateDirectoryCheck.run(appDir);

    assertThat(changed).singleElement().asString().contains(store.toString(), "is corrupt");
    assertThat(appDir.resolve("0_1")).doesNotExist();
  }

  @Test
  void aTruncatedManifestRemovesItsTask() throws Exception {
    Path store = store("0_3", "aggregate-buffers");
    try (Stream<Path> files = Files.list(store)) {
      for (Path manifest :
          files.filter(f -> f.getFileName().toString().startsWith("MANIFEST-")).toList()) {
        try (FileChannel c = FileChannel.open(manifest, StandardOpenOption.WRITE)) {
          c.truncate(0);
        }
      }
    }

    assertThat(StateDirectoryCheck.run(appDir)).singleElement().asString().contains("0_3");
    assertThat(appDir.resolve("0_3")).doesNotExist();
  }

  @Test
  void aTableFileWithFlippedBytesRemovesItsTask() throws Exception {
    Path store = store("0_2", "series-state");
    Path sst;
    try (Stream<Path> files = Files.list(store)) {
      sst = files.filter(f -> f.toString().endsWith(".sst")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(sst);
    for (int i = 0; i < bytes.length / 2; i++) {
      bytes[i] ^= (byte) 0x5a; // a bad block: the data's checksums no longer match
    }
    Files.write(sst, bytes);

    assertThat(StateDirectoryCheck.run(appDir)).singleElement().asString().contains("0_2");
    assertThat(appDir.resolve("0_2")).doesNotExist();
  }

  @Test
  void aDirectoryLockedByAnotherInstanceIsNotTouched() throws Exception {
    Path store = store("0_1", "series-state");
    Files.writeString(store.resolve("CURRENT"), "NOT-A-MANIFEST\n");
    try (FileChannel held =
            FileChannel.open(
                appDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        var lock = held.lock()) {
      assertThat(StateDirectoryCheck.run(appDir)).isEmpty();
    }
    assertThat(store.resolve("CURRENT")).exists();
  }

  @Test
  void aMissingDirectoryIsNothingToCheck() {
    assertThat(StateDirectoryCheck.run(appDir.resolve("never-started"))).isEmpty();
  }

  /** A RocksDB store with keys flushed to a table file, closed as Kafka Streams closes it. */
  private Path store(String task, String name) throws Exception {
    Path dir = appDir.resolve(task).resolve("rocksdb").resolve(name);
    Files.createDirectories(dir);
    RocksDB.loadLibrary();
    try (Options options = new Options().setCreateIfMissing(true);
        RocksDB db = RocksDB.open(options, dir.toString());
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      for (int i = 0; i < 2_000; i++) {
        db.put(
            ("series.name." + i).getBytes(StandardCharsets.UTF_8),
            ("value-" + i + "-".repeat(40)).getBytes(StandardCharsets.UTF_8));
      }
      db.flush(flush);
    }
    return dir;
  }
}

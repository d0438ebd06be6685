package io.graphitekafka.aggregator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at the aggregator's Kafka Streams state directory before Kafka Streams opens it, so that
 * what a crash, a full disk or a bad block left there costs a restore from the changelog and never
 * a failed start. Kafka Streams refuses to start on a checkpoint file it cannot parse, and a stream
 * thread dies on a RocksDB store it cannot open; both are rebuilt from Kafka here instead.
 *
 * <p>For each task directory ({@code <state.dir>/<application.id>/<subtopology>_<partition>}):
 *
 * <ul>
 *   <li>a {@code .checkpoint} file (Kafka Streams 4.3 keeps a RocksDB store's changelog offsets in
 *       the store itself, but still reads and migrates a checkpoint file it finds) that is not
 *       Kafka's offset checkpoint format (version 0, a count, then that many {@code topic partition
 *       offset} lines) is named in the log and the whole task directory removed;
 *   <li>each RocksDB store is opened read-only, with its column families, and every block's
 *       checksum verified; a store that fails is named in the log and the task directory removed.
 * </ul>
 *
 * A store left by an unclean stop but intact is kept: under exactly-once Kafka Streams sees from
 * the store's own status that it was not closed and wipes and restores it itself.
 *
 * <p>Everything removed is restored from the stores' changelog topics, and the input is read again
 * from the last committed offsets, so nothing is lost. The check takes the application directory's
 * lock first and does nothing if another process holds it.
 */
final class StateDirectoryCheck {

  private static final Logger log = LoggerFactory.getLogger(StateDirectoryCheck.class);

  static final String CHECKPOINT = ".checkpoint";
  private static final Pattern TASK_DIR = Pattern.compile("(.+__)?\\d+_\\d+");
  private static final Pattern LONG = Pattern.compile("-?\\d{1,19}");

  private StateDirectoryCheck() {}

  /**
   * Checks {@code appDir}, the state directory of one application id, and repairs what it finds.
   *
   * @return one line per task directory changed, as logged
   */
  static List<String> run(Path appDir) {
    List<String> changed = new ArrayList<>();
    if (!Files.isDirectory(appDir)) {
      return changed;
    }
    try (FileChannel channel =
        FileChannel.open(
            appDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = tryLock(channel);
      if (lock == null) {
        log.warn("state directory {} is in use by another process; not checked", appDir);
        return changed;
      }
      try (lock;
          Stream<Path> entries = Files.list(appDir)) {
        for (Path task : entries.sorted().toList()) {
          if (Files.isDirectory(task)
              && TASK_DIR.matcher(task.getFileName().toString()).matches()) {
            String line = checkTask(task);
            if (line != null) {
              log.warn("state directory check: {}", line);
              changed.add(line);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check the state directory " + appDir, e);
    }
    return changed;
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held in this JVM: another instance on the same directory
    }
  }

  /** Checks one task directory; returns what was done, or null if it was left as it is. */
  static String checkTask(Path task) throws IOException {
    String name = task.getFileName().toString();
    Path checkpoint = task.resolve(CHECKPOINT);
    if (Files.exists(checkpoint)) {
      String problem = checkpointProblem(checkpoint);
      if (problem != null) {
        delete(task);
        return checkpoint
            + " is corrupt ("
            + problem
            + "); task "
            + name
            + "'s state is rebuilt from its changelog";
      }
    }
    for (Path store : stores(task.resolve("rocksdb"))) {
      String damage = storeProblem(store);
      if (damage != null) {
        delete(task);
        return "store "
            + store
            + " is corrupt ("
            + damage
            + "); task "
            + name
            + "'s state is rebuilt from its changelog";
      }
    }
    return null;
  }

  /** What is wrong with a checkpoint file, or null if it is Kafka's format, version 0. */
  static String checkpointProblem(Path file) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (java.nio.charset.MalformedInputException e) {
      return "not text";
    }
    if (lines.size() < 2) {
      return "only " + lines.size() + " lines";
    }
    if (!lines.get(0).trim().equals("0")) {
      return "version '" + lines.get(0) + "', expected 0";
    }
    String countText = lines.get(1).trim();
    if (!countText.matches("\\d{1,9}")) {
      return "count '" + countText + "' is not a number";
    }
    int count = Integer.parseInt(countText);
    List<String> entries =
        lines.subList(2, lines.size()).stream().filter(l -> !l.isBlank()).toList();
    if (entries.size() != count) {
      return count + " offsets announced, " + entries.size() + " found";
    }
    for (String entry : entries) {
      String[] parts = entry.trim().split(" ");
      if (parts.length != 3
          || parts[0].isEmpty()
          || !parts[1].matches("\\d{1,9}")
          || !LONG.matcher(parts[2]).matches()) {
        return "malformed line '" + entry + "'";
      }
    }
    return null;
  }

  /** The RocksDB stores of a task: the directories below its {@code rocksdb} directory. */
  private static List<Path> stores(Path rocksdb) throws IOException {
    if (!Files.isDirectory(rocksdb)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(rocksdb)) {
      return s.filter(Files::isDirectory).sorted().toList();
    }
  }

  /**
   * Opens a RocksDB store read-only, with all its column families, and verifies every block's
   * checksum; returns what failed, or null.
   */
  static String storeProblem(Path store) {
    if (!Files.exists(store.resolve("CURRENT"))) {
      return "no CURRENT file";
    }
    RocksDB.loadLibrary();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (Options options = new Options()) {
      List<ColumnFamilyDescriptor> families = new ArrayList<>();
      for (byte[] family : RocksDB.listColumnFamilies(options, store.toString())) {
        families.add(new ColumnFamilyDescriptor(family));
      }
      if (families.isEmpty()) {
        return "no column families readable";
      }
      try (DBOptions dbOptions = new DBOptions();
          RocksDB db = RocksDB.openReadOnly(dbOptions, store.toString(), families, handles)) {
        db.verifyChecksum();
      }
      return null;
    } catch (RocksDBException | RuntimeException e) {
      return e.getMessage() == null ? e.toString() : e.getMessage();
    } finally {
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

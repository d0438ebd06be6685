package io.graphitekafka.aggregator;

import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.graphite.storage.StorageRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage rules under a conf dir, re-read when {@code storage-schemas.conf} or {@code
 * storage-aggregation.conf} changes, as carbon re-reads them every 60 s (storage.py). Only series
 * seen for the first time get the new rules: an existing series keeps the layout of its file.
 */
public final class StorageRulesWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StorageRulesWatcher.class);

  private final Path confDir;
  private final ScheduledExecutorService timer;
  private volatile StorageRules rules;
  private List<Stamp> stamps;

  /** What identifies one version of a file: its modification time and size, or absence. */
  private record Stamp(boolean exists, long modifiedMillis, long size) {}

  /**
   * Loads the rules once.
   *
   * @throws java.io.UncheckedIOException if storage-schemas.conf is missing
   * @throws IllegalArgumentException for a fatal error in either file
   */
  public StorageRulesWatcher(Path confDir) {
    this.confDir = confDir;
    this.stamps = stamps();
    this.rules = StorageRules.load(confDir);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "storage-rules-watcher");
              t.setDaemon(true);
              return t;
            });
  }

  /** Checks for changes every {@code interval}; zero disables checking. */
  public void start(Duration interval) {
    if (interval.isZero() || interval.isNegative()) {
      return;
    }
    long millis = interval.toMillis();
    timer.scheduleWithFixedDelay(this::checkSafely, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** The layout carbon would give a new file for this series under the current rules. */
  public SeriesLayout resolve(String normalizedName) {
    return rules.resolve(normalizedName);
  }

  public StorageRules rules() {
    return rules;
  }

  private void checkSafely() {
    try {
      checkNow();
    } catch (RuntimeException e) {
      log.error("could not check the storage rules in {}", confDir, e);
    }
  }

  /**
   * Re-reads the rules if either file changed since the last look. A file that does not parse is
   * logged and the previous rules stay in force until it is fixed.
   *
   * @return whether new rules are in force
   */
  synchronized boolean checkNow() {
    List<Stamp> now = stamps();
    if (now.equals(stamps)) {
      return false;
    }
    stamps = now;
    StorageRules loaded;
    try {
      loaded = StorageRules.load(confDir);
    } catch (RuntimeException e) {
      log.error(
          "{} or {} in {} changed but cannot be loaded; keeping the previous rules: {}",
          StorageRules.SCHEMAS_FILE,
          StorageRules.AGGREGATION_FILE,
          confDir,
          e.getMessage());
      return false;
    }
    rules = loaded;
    log.info(
        "storage rules in {} changed and were reloaded: {} schema sections, {} aggregation "
            + "sections; new series get them, existing series keep their layout",
        confDir,
        loaded.schemas().rules().size(),
        loaded.aggregation().rules().size());
    return true;
  }

  private List<Stamp> stamps() {
    return List.of(
        stamp(confDir.resolve(StorageRules.SCHEMAS_FILE)),
        stamp(confDir.resolve(StorageRules.AGGREGATION_FILE)));
  }

  private static Stamp stamp(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(true, a.lastModifiedTime().toMillis(), a.size());
    } catch (NoSuchFileException e) {
      return new Stamp(false, 0, 0);
    } catch (IOException e) {
      log.warn("cannot read the attributes of {}: {}", file, e.toString());
      return new Stamp(false, -1, -1);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }

  @Override
  public String toString() {
    return "StorageRulesWatcher[" + Objects.toString(confDir) + "]";
  }
}

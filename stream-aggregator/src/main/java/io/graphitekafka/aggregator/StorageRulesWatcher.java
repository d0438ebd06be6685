package io.graphitekafka.aggregator;

import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.graphite.storage.StorageRules;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage rules under a conf dir, re-read when {@code storage-schemas.conf} or {@code
 * storage-aggregation.conf} changes, as carbon re-reads them every 60 s (storage.py). Only series
 * seen for the first time get the new rules: an existing series keeps the layout of its file.
 */
public final class StorageRulesWatcher extends ConfWatcher {

  private static final Logger log = LoggerFactory.getLogger(StorageRulesWatcher.class);

  private final Path confDir;
  private volatile StorageRules rules;

  /**
   * Loads the rules once.
   *
   * @throws java.io.UncheckedIOException if storage-schemas.conf is missing
   * @throws IllegalArgumentException for a fatal error in either file
   */
  public StorageRulesWatcher(Path confDir) {
    super(
        confDir, "storage-rules-watcher", StorageRules.SCHEMAS_FILE, StorageRules.AGGREGATION_FILE);
    this.confDir = confDir;
    this.rules = StorageRules.load(confDir);
  }

  /** The layout carbon would give a new file for this series under the current rules. */
  public SeriesLayout resolve(String normalizedName) {
    return rules.resolve(normalizedName);
  }

  public StorageRules rules() {
    return rules;
  }

  /**
   * Re-reads the rules. A file that does not parse is logged and the previous rules stay in force
   * until it is fixed.
   */
  @Override
  boolean reload() {
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

  @Override
  public String toString() {
    return "StorageRulesWatcher[" + Objects.toString(confDir) + "]";
  }
}

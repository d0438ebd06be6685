package io.graphitekafka.aggregator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files of a conf dir checked for changes on a timer, as carbon re-reads its conf files: a
 * subclass's {@link #reload} runs when one of them changed (modification time or size, or it
 * appeared or went away).
 */
abstract class ConfWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ConfWatcher.class);

  private final List<Path> files;
  private final ScheduledExecutorService timer;
  private List<Stamp> stamps;

  /** What identifies one version of a file. */
  private record Stamp(boolean exists, long modifiedMillis, long size) {}

  ConfWatcher(Path confDir, String threadName, String... fileNames) {
    this.files = Arrays.stream(fileNames).map(confDir::resolve).toList();
    this.stamps = stamps();
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, threadName);
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

  /**
   * Runs {@link #reload} if a file changed since the last look.
   *
   * @return whether new contents are in force
   */
  synchronized boolean checkNow() {
    List<Stamp> now = stamps();
    if (now.equals(stamps)) {
      return false;
    }
    stamps = now;
    return reload();
  }

  /**
   * Reads the files again after a change; keeps what is in force if they cannot be used.
   *
   * @return whether new contents are in force
   */
  abstract boolean reload();

  private void checkSafely() {
    try {
      checkNow();
    } catch (RuntimeException e) {
      log.error("could not check {}", files, e);
    }
  }

  private List<Stamp> stamps() {
    return files.stream().map(ConfWatcher::stamp).toList();
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
}

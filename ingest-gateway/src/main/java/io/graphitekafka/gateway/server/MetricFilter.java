package io.graphitekafka.gateway.server;

import io.graphitekafka.graphite.python.PythonRegex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * carbon's whitelist.conf and blacklist.conf: one Python regex per line, matched with {@code
 * re.search} against the metric path as received. A name passes if no blacklist pattern matches and
 * then, when the whitelist holds any pattern, a whitelist pattern matches (carbon protocols.py
 * {@code metricReceived}, regexlist.py {@code RegexList}). Like carbon, a filter read from files
 * looks at them again every 10 s ({@link #refresh}): a file whose modification time moved is read
 * again, and a file that does not exist is an empty list.
 */
public final class MetricFilter {

  private static final Logger log = LoggerFactory.getLogger(MetricFilter.class);

  /** The outcome for one name. */
  public enum Verdict {
    ACCEPT,
    NOT_WHITELISTED,
    BLACKLISTED
  }

  /** How often carbon's RegexList looks at its file again. */
  public static final java.time.Duration REFRESH_INTERVAL = java.time.Duration.ofSeconds(10);

  private final ListFile whitelistFile;
  private final ListFile blacklistFile;
  private volatile List<Pattern> whitelist;
  private volatile List<Pattern> blacklist;

  public MetricFilter(List<Pattern> whitelist, List<Pattern> blacklist) {
    this(whitelist, blacklist, null, null);
  }

  private MetricFilter(
      List<Pattern> whitelist,
      List<Pattern> blacklist,
      ListFile whitelistFile,
      ListFile blacklistFile) {
    this.whitelist = List.copyOf(whitelist);
    this.blacklist = List.copyOf(blacklist);
    this.whitelistFile = whitelistFile;
    this.blacklistFile = blacklistFile;
  }

  public static MetricFilter none() {
    return new MetricFilter(List.of(), List.of());
  }

  /**
   * Reads both files; an empty path means no list, a missing file an empty one until it appears.
   */
  public static MetricFilter fromFiles(String whitelistFile, String blacklistFile) {
    ListFile white = ListFile.of(whitelistFile);
    ListFile black = ListFile.of(blacklistFile);
    MetricFilter filter = new MetricFilter(List.of(), List.of(), white, black);
    filter.refresh();
    return filter;
  }

  /**
   * Reads again each list file whose modification time changed since it was last read (carbon's
   * {@code read_list}); a file that disappeared empties its list. A file that cannot be read keeps
   * the list as it was. Call it every {@link #REFRESH_INTERVAL}.
   */
  public void refresh() {
    if (whitelistFile != null) {
      List<Pattern> read = whitelistFile.readIfChanged();
      if (read != null) {
        whitelist = read;
      }
    }
    if (blacklistFile != null) {
      List<Pattern> read = blacklistFile.readIfChanged();
      if (read != null) {
        blacklist = read;
      }
    }
  }

  /** One list's file and when it was last read. */
  private static final class ListFile {
    private final Path path;
    private long lastModified = Long.MIN_VALUE;
    private boolean present = true;

    private ListFile(Path path) {
      this.path = path;
    }

    static ListFile of(String file) {
      return file == null || file.isBlank() ? null : new ListFile(Path.of(file));
    }

    /** The list if the file changed (an empty one if it is gone), or null if it did not. */
    synchronized List<Pattern> readIfChanged() {
      if (!Files.exists(path)) {
        if (present) {
          log.warn("metric filter file {} does not exist; its list is empty until it does", path);
        }
        present = false;
        lastModified = Long.MIN_VALUE;
        return List.of();
      }
      present = true;
      try {
        long modified = Files.getLastModifiedTime(path).toMillis();
        if (modified == lastModified) {
          return null;
        }
        List<Pattern> patterns =
            parse(Files.readAllLines(path, StandardCharsets.UTF_8), path.toString());
        lastModified = modified;
        log.info("{} patterns from {}", patterns.size(), path);
        return List.copyOf(patterns);
      } catch (IOException | UncheckedIOException e) {
        log.error(
            "cannot read metric filter file {}; keeping its previous list: {}", path, e.toString());
        return null;
      }
    }
  }

  /**
   * Parses one list as carbon's RegexList does: a line starting with {@code #} (before stripping)
   * or blank after stripping is skipped, and a pattern that does not compile is logged and skipped.
   */
  public static List<Pattern> parse(List<String> lines, String origin) {
    List<Pattern> out = new ArrayList<>();
    for (String line : lines) {
      String pattern = line.strip();
      if (line.startsWith("#") || pattern.isEmpty()) {
        continue;
      }
      try {
        out.add(PythonRegex.compile(pattern));
      } catch (IllegalArgumentException e) {
        log.error(
            "Failed to parse '{}' in '{}'. Ignoring line: {}", pattern, origin, e.getMessage());
      }
    }
    return out;
  }

  /** Whether no list can ever filter: none configured (a configured file may fill up later). */
  public boolean isEmpty() {
    return whitelistFile == null
        && blacklistFile == null
        && whitelist.isEmpty()
        && blacklist.isEmpty();
  }

  public Verdict check(String metric) {
    // carbon checks the blacklist first, then "if WhiteList and metric not in WhiteList"
    if (matchesAny(blacklist, metric)) {
      return Verdict.BLACKLISTED;
    }
    List<Pattern> white = whitelist;
    if (!white.isEmpty() && !matchesAny(white, metric)) {
      return Verdict.NOT_WHITELISTED;
    }
    return Verdict.ACCEPT;
  }

  private static boolean matchesAny(List<Pattern> patterns, String metric) {
    for (Pattern p : patterns) {
      if (p.matcher(metric).find()) {
        return true;
      }
    }
    return false;
  }
}

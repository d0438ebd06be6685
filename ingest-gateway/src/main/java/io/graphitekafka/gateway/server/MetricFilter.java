package io.graphitekafka.gateway.server;

import io.graphitekafka.schemas.storage.PythonRegex;
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
 * carbon's whitelist.conf and blacklist.conf: one Python regex per line, matched with
 * {@code re.search} against the metric path as received. A name passes if no blacklist pattern
 * matches and then, when the whitelist holds any pattern, a whitelist pattern matches (carbon
 * protocols.py {@code metricReceived}, regexlist.py {@code RegexList}).
 */
public final class MetricFilter {

  private static final Logger log = LoggerFactory.getLogger(MetricFilter.class);

  /** The outcome for one name. */
  public enum Verdict { ACCEPT, NOT_WHITELISTED, BLACKLISTED }

  private final List<Pattern> whitelist;
  private final List<Pattern> blacklist;

  public MetricFilter(List<Pattern> whitelist, List<Pattern> blacklist) {
    this.whitelist = List.copyOf(whitelist);
    this.blacklist = List.copyOf(blacklist);
  }

  public static MetricFilter none() {
    return new MetricFilter(List.of(), List.of());
  }

  /** Reads both files; an empty path means no list. */
  public static MetricFilter fromFiles(String whitelistFile, String blacklistFile) {
    return new MetricFilter(read(whitelistFile), read(blacklistFile));
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
        log.error("Failed to parse '{}' in '{}'. Ignoring line: {}", pattern, origin, e.getMessage());
      }
    }
    return out;
  }

  private static List<Pattern> read(String file) {
    if (file == null || file.isBlank()) {
      return List.of();
    }
    Path path = Path.of(file);
    try {
      List<Pattern> patterns = parse(Files.readAllLines(path, StandardCharsets.UTF_8), file);
      log.info("{} patterns from {}", patterns.size(), path);
      return patterns;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read metric filter file " + path, e);
    }
  }

  public boolean isEmpty() {
    return whitelist.isEmpty() && blacklist.isEmpty();
  }

  public Verdict check(String metric) {
    // carbon checks the blacklist first, then "if WhiteList and metric not in WhiteList"
    if (matchesAny(blacklist, metric)) {
      return Verdict.BLACKLISTED;
    }
    if (!whitelist.isEmpty() && !matchesAny(whitelist, metric)) {
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

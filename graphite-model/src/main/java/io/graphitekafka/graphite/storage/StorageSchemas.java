package io.graphitekafka.graphite.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of carbon's {@code storage-schemas.conf}: sections in file order, each a Python regex
 * searched (unanchored) in the normalized series name and the retentions to use, then carbon's
 * catch-all of one-minute points for seven days. Mirrors carbon's {@code storage.py
 * loadStorageSchemas}.
 */
public final class StorageSchemas {

  private static final Logger LOG = LoggerFactory.getLogger(StorageSchemas.class);

  /** carbon storage.py {@code defaultArchive}: 60 s per point, 10080 points (7 days). */
  public static final List<ArchiveSpec> CATCH_ALL = List.of(new ArchiveSpec(60, 10080));

  /**
   * One usable section: its name, the pattern as written, the compiled pattern and the archives.
   */
  public record Rule(
      String section, String patternText, Pattern pattern, List<ArchiveSpec> archives) {
    public Rule {
      archives = List.copyOf(archives);
    }
  }

  private final List<Rule> rules;

  private StorageSchemas(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /**
   * Parses the file's text.
   *
   * <p>As in carbon, a section without {@code retentions} or {@code pattern}, or whose archives
   * fail whisper's list rules, is skipped with a warning, while a retention that cannot be parsed
   * or a pattern that cannot be compiled is fatal.
   *
   * @throws IllegalArgumentException for a fatal error, naming the source and section
   */
  public static StorageSchemas parse(String text, String sourceName) {
    List<Rule> rules = new ArrayList<>();
    for (ConfigSection section : CarbonConfigParser.parse(text, sourceName)) {
      String where = sourceName + " [" + section.name() + "]";
      String retentions = section.get("retentions");
      if (retentions == null) {
        LOG.warn("{}: no 'retentions', skipping the section", where);
        continue;
      }
      List<ArchiveSpec> archives;
      try {
        archives = Retentions.parseUnvalidated(retentions);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            where + ": retentions = '" + retentions + "': " + e.getMessage(), e);
      }
      Pattern pattern = PatternRules.compile(section, where, LOG);
      if (pattern == null) {
        continue;
      }
      String patternText = section.get("pattern");
      try {
        archives = Retentions.validate(archives);
      } catch (IllegalArgumentException e) {
        LOG.warn(
            "{}: invalid retentions '{}', skipping the section: {}",
            where,
            retentions,
            e.getMessage());
        continue;
      }
      rules.add(new Rule(section.name(), patternText, pattern, archives));
    }
    return new StorageSchemas(rules);
  }

  /**
   * Reads and parses a {@code storage-schemas.conf}.
   *
   * @throws UncheckedIOException naming the path if it cannot be read (carbon refuses to start)
   */
  public static StorageSchemas load(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (NoSuchFileException e) {
      throw new UncheckedIOException("storage schemas file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read storage schemas file " + file, e);
    }
  }

  /** No rules: every series gets {@link #CATCH_ALL}. */
  public static StorageSchemas empty() {
    return new StorageSchemas(List.of());
  }

  /** The usable sections in file order, without the catch-all. */
  public List<Rule> rules() {
    return rules;
  }

  /**
   * The archives of the first section whose pattern is found anywhere in the name ({@code
   * re.search}), or {@link #CATCH_ALL}.
   */
  public List<ArchiveSpec> match(String normalizedName) {
    return PatternRules.first(rules, Rule::pattern, Rule::archives, normalizedName, CATCH_ALL);
  }
}

package io.graphitekafka.tools.importer;

import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesNames;
import io.graphitekafka.graphite.naming.SeriesPaths;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a Whisper file's path back into its series name, the inverse of carbon's {@code
 * _getFilesystemPath}: {@code a/b/c.wsp} is {@code a.b.c}; under {@code _tagged} an unhashed file
 * name has {@code _DOT_} for each dot, and a hashed one is looked up among the names given.
 */
final class SeriesNameFromPath {

  private final Map<String, String> namesByHash = new HashMap<>();

  SeriesNameFromPath(Iterable<String> taggedNames) {
    for (String raw : taggedNames) {
      String name = SeriesNames.normalize(raw.strip());
      namesByHash.put(SeriesPaths.sha256Hex(name), name);
    }
  }

  /**
   * The series stored at {@code relative} (below the whisper root), or empty if it cannot be told.
   */
  Optional<String> nameOf(Path relative) {
    String file = relative.getFileName().toString();
    if (!file.endsWith(".wsp") || relative.getNameCount() < 1) {
      return Optional.empty();
    }
    String stem = file.substring(0, file.length() - 4);
    String name;
    if (relative.getNameCount() == 4
        && relative.getName(0).toString().equals(SeriesPaths.TAGGED_DIR)) {
      name = isSha256Hex(stem) ? namesByHash.get(stem) : stem.replace("_DOT_", ".");
      if (name == null) {
        return Optional.empty();
      }
    } else {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < relative.getNameCount() - 1; i++) {
        sb.append(relative.getName(i)).append('.');
      }
      name = sb.append(stem).toString();
    }
    try {
      // the path must be exactly where the sink would write this series
      Path expected = SeriesPaths.relativePath(name, isSha256Hex(stem));
      return expected.equals(relative) ? Optional.of(name) : Optional.empty();
    } catch (InvalidSeriesNameException e) {
      return Optional.empty();
    }
  }

  private static boolean isSha256Hex(String s) {
    if (s.length() != 64) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}

package io.graphitekafka.graphite.storage;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One section of a carbon INI file as Python's {@code configparser} returns it from {@code
 * items()}: lowercased keys, the DEFAULT section's options merged in, and {@code %} interpolation
 * applied.
 */
public record ConfigSection(String name, int line, Map<String, String> options) {

  public ConfigSection {
    options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
  }

  /**
   * The value of {@code key} (case-insensitive, as carbon's lowercasing {@code optionxform}), or
   * null.
   */
  public String get(String key) {
    return options.get(key.toLowerCase(Locale.ROOT));
  }
}

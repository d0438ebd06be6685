package io.graphitekafka.service.config;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.config.ConfigException;

/**
 * The one policy for Kafka client settings given under the {@code kafka.} prefix: each key, prefix
 * removed, must be a setting of a client the service runs. A mistyped key is refused at start-up
 * with the nearest known key, never passed on to be ignored by the client or dropped.
 */
public final class KafkaPassThrough {

  /** The prefix operators put before a Kafka client setting. */
  public static final String PREFIX = "kafka.";

  private KafkaPassThrough() {}

  /**
   * Returns {@code settings} (keys without the prefix) unchanged if every key is in one of the
   * {@code known} name sets, or is a key under one of {@code knownPrefixes} (for Kafka Streams'
   * {@code consumer.}, {@code producer.} and similar forms).
   *
   * @param service the command the settings are for, named in the message
   * @param prefix the prefix the settings were given under, for the message
   * @throws ConfigException naming the first unknown key and the nearest known one
   */
  @SafeVarargs
  public static Map<String, Object> check(
      String service,
      String prefix,
      Map<String, Object> settings,
      Collection<String> knownPrefixes,
      Set<String>... known) {
    Set<String> names = new TreeSet<>();
    for (Set<String> set : known) {
      names.addAll(set);
    }
    for (String key : new TreeSet<>(settings.keySet())) {
      if (names.contains(key) || isUnderKnownPrefix(key, knownPrefixes, names)) {
        continue;
      }
      throw new ConfigException(
          prefix + key,
          settings.get(key),
          "not a setting of the Kafka clients "
              + service
              + " runs; did you mean "
              + prefix
              + nearest(key, names)
              + "?");
    }
    return settings;
  }

  private static boolean isUnderKnownPrefix(
      String key, Collection<String> prefixes, Set<String> names) {
    for (String prefix : prefixes) {
      if (key.startsWith(prefix) && names.contains(key.substring(prefix.length()))) {
        return true;
      }
    }
    return false;
  }

  /** The known name closest to {@code key} in edit distance; the first in order among equals. */
  static String nearest(String key, Set<String> names) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String name : names) {
      int d = editDistance(key, name);
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
    return best;
  }

  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}

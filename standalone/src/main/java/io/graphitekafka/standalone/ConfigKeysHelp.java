package io.graphitekafka.standalone;

import io.graphitekafka.service.config.KafkaPassThrough;
import io.graphitekafka.service.config.ServiceConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.IHelpSectionRenderer;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * What a command's help says about its configuration, read from the {@link ConfigDef} that defines
 * it: each flag's description and default, and a section listing every key with its default and
 * description. Also checks a flag's value against its key's definition as the flag is parsed.
 */
final class ConfigKeysHelp {

  /** The help section after the options. */
  static final String SECTION = "configKeys";

  private static final int WIDTH = 100;
  private static final String INDENT = "      ";

  private ConfigKeysHelp() {}

  /** {@code <key>}: what a flag's value is called in the help. */
  static String label(String key) {
    return "<" + key + ">";
  }

  /** A flag's description: the key's doc, the key and its default. */
  static String describe(ConfigDef keys, String key) {
    ConfigKey def = keys.configKeys().get(key);
    return def.documentation + " (" + key + ", default " + defaultOf(def) + ")";
  }

  /**
   * {@code value} if it is a valid value of {@code key}.
   *
   * @throws CommandLine.TypeConversionException naming the value, the key and what was expected;
   *     picocli adds the flag
   */
  static String checked(ConfigDef keys, String key, String value) {
    ConfigKey def = keys.configKeys().get(key);
    try {
      Object parsed = ConfigDef.parseType(key, value, def.type);
      if (def.validator != null) {
        def.validator.ensureValid(key, parsed);
      }
      return value;
    } catch (ConfigException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a valid " + key + ": " + expected(e, key, value));
    }
  }

  /** The reason in a {@link ConfigException}, without the key and the value it repeats. */
  private static String expected(ConfigException e, String key, String value) {
    String message = e.getMessage();
    String repeated = "Invalid value " + value + " for configuration " + key + ": ";
    String reason = message.startsWith(repeated) ? message.substring(repeated.length()) : message;
    return reason.isEmpty()
        ? reason
        : reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
  }

  /** The section keys of a command's help, with the keys' section before the footer. */
  static List<String> withKeysSection(List<String> sectionKeys) {
    List<String> keys = new ArrayList<>(sectionKeys);
    int footer = keys.indexOf(UsageMessageSpec.SECTION_KEY_FOOTER_HEADING);
    keys.add(footer < 0 ? keys.size() : footer, SECTION);
    return keys;
  }

  /** The renderers of a command's help, with one for the keys of {@code keys}. */
  static Map<String, IHelpSectionRenderer> withKeysSection(
      Map<String, IHelpSectionRenderer> renderers, ConfigDef keys, String note) {
    Map<String, IHelpSectionRenderer> all = new LinkedHashMap<>(renderers);
    all.put(SECTION, help -> render(keys, note));
    return all;
  }

  /** Every key of {@code keys}, in definition order, with its default, doc and valid values. */
  static String render(ConfigDef keys, String note) {
    StringBuilder out = new StringBuilder();
    out.append(System.lineSeparator())
        .append("Configuration keys (in --config FILE; a flag sets the key it names):")
        .append(System.lineSeparator());
    for (ConfigKey key : keys.configKeys().values()) {
      out.append("  ").append(key.name).append(" = ").append(defaultOf(key));
      out.append(System.lineSeparator());
      String valid = describes(key.validator) ? " Valid values: " + key.validator + "." : "";
      wrap(out, key.documentation + valid);
    }
    if (keys.configKeys().containsKey(ServiceConfig.BOOTSTRAP_SERVERS)) {
      out.append("  ").append(KafkaPassThrough.PREFIX).append("<setting>");
      out.append(System.lineSeparator());
      wrap(
          out,
          "A setting of the command's Kafka clients, passed through (say"
              + " kafka.security.protocol=SASL_SSL); an unknown one is refused at start.");
    }
    if (!note.isEmpty()) {
      out.append(System.lineSeparator());
      wrap(out, note);
    }
    return out.toString();
  }

  /** Whether the validator says what it accepts (a lambda's toString does not). */
  private static boolean describes(ConfigDef.Validator validator) {
    if (validator == null) {
      return false;
    }
    try {
      return validator.getClass().getMethod("toString").getDeclaringClass() != Object.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private static String defaultOf(ConfigKey key) {
    if (!key.hasDefault()) {
      return "(required)";
    }
    String text = ConfigDef.convertToString(key.defaultValue, key.type);
    return text == null || text.isEmpty() ? "(empty)" : text;
  }

  /** Appends {@code text} indented and wrapped at word boundaries. */
  private static void wrap(StringBuilder out, String text) {
    StringBuilder line = new StringBuilder(INDENT);
    for (String word : text.strip().split("\\s+")) {
      if (line.length() > INDENT.length() && line.length() + 1 + word.length() > WIDTH) {
        out.append(line).append(System.lineSeparator());
        line = new StringBuilder(INDENT);
      }
      if (line.length() > INDENT.length()) {
        line.append(' ');
      }
      line.append(word);
    }
    out.append(line).append(System.lineSeparator());
  }
}

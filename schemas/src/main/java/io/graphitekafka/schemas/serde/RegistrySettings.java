package io.graphitekafka.schemas.serde;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * The Schema Registry settings every service takes, under the names Confluent's own clients use:
 * {@code schema.registry.url} (comma-separated URLs tried in turn) and {@code
 * schema.registry.basic.auth.user.info} ({@code user:password}).
 */
public final class RegistrySettings {

  public static final String URL = "schema.registry.url";
  public static final String USER_INFO = "schema.registry.basic.auth.user.info";

  private RegistrySettings() {}

  /** Adds both settings to {@code def}, and returns it. */
  public static ConfigDef define(ConfigDef def) {
    return def.define(
            URL,
            Type.STRING,
            "",
            Importance.MEDIUM,
            "Confluent Schema Registry base URL(s), comma-separated. When set, the values this service "
                + "writes use Confluent's wire format under subject <topic>-value, and it reads both "
                + "that and Avro single-object encoding; otherwise it writes and reads single-object "
                + "encoding only.")
        .define(
            USER_INFO,
            Type.PASSWORD,
            "",
            Importance.LOW,
            "user:password for HTTP basic auth against the Schema Registry.");
  }

  /** A client for the configured registry, or null when {@code schema.registry.url} is empty. */
  public static SchemaRegistryClient client(AbstractConfig config) {
    String url = config.getString(URL);
    if (url == null || url.isBlank()) {
      return null;
    }
    Password userInfo = config.getPassword(USER_INFO);
    return new SchemaRegistryClient(url, userInfo == null ? null : userInfo.value());
  }
}

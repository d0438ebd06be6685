package io.graphitekafka.tools.importer;

import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.service.config.KafkaPassThrough;
import io.graphitekafka.service.config.ServiceConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Configuration of {@code graphite-kafka import}; Kafka producer settings pass through under {@code
 * kafka.}.
 */
public final class ImportConfig extends ServiceConfig {

  public static final String WHISPER_DIR = "whisper.dir";
  public static final String RATE = "rate.points.per.second";
  public static final String STATE_FILE = "state.file";
  public static final String TAG_NAMES_FILE = "tag.names.file";
  public static final String TAG_NAMES_FROM = "tag.names.from";

  public static final ConfigDef CONFIG_DEF =
      withBootstrapServers()
          .define(
              WHISPER_DIR,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "The existing Whisper tree to import (carbon's LOCAL_DATA_DIR).")
          .define(
              RATE,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Most archive points produced per second; 0 means as fast as Kafka takes them.")
          .define(
              STATE_FILE,
              Type.STRING,
              "graphite-kafka-import.state",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Where finished files are recorded, so that an interrupted import resumes"
                  + " where it stopped; delete it to import everything again.")
          .define(
              TAG_NAMES_FILE,
              Type.STRING,
              "",
              Importance.LOW,
              "A file of tagged series names, one a line, for files stored under hashed _tagged paths:"
                  + " a hash cannot be turned back into its name.")
          .define(
              TAG_NAMES_FROM,
              Type.STRING,
              "",
              Importance.LOW,
              "The old installation's graphite-web URL: the tagged series names come from its TagDB"
                  + " (GET /tags/findSeries?expr=name=~.+), matched to the hashed files by their hash;"
                  + " credentials in the URL's user-info are sent as basic auth. Adds to "
                  + TAG_NAMES_FILE
                  + ".");

  static {
    defineTopic(CONFIG_DEF, ARCHIVES_TOPIC, Importance.MEDIUM, "Topic the archive points go to.");
    RegistrySettings.define(CONFIG_DEF);
  }

  public ImportConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
    KafkaPassThrough.check(
        "import",
        "kafka.",
        originalsWithPrefix(KAFKA_PREFIX),
        List.of(),
        ProducerConfig.configNames(),
        AdminClientConfig.configNames());
  }

  public Path whisperDir() {
    return Path.of(getString(WHISPER_DIR));
  }

  public Path stateFile() {
    return Path.of(getString(STATE_FILE));
  }
}

package io.graphitekafka.sink;

import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.whisper.FillMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** Typed configuration of the whisper-sink; Kafka consumer settings pass through under {@code kafka.}. */
public final class SinkConfig extends AbstractConfig {

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String DATA_DIR = "data.dir";
  public static final String GROUP_ID = "group.id";
  public static final String GROUP_INSTANCE_ID = "group.instance.id";
  public static final String PARTITIONS = "partitions";
  public static final String REPLAY_FROM = "replay.from";
  public static final String ARCHIVES_TOPIC = "topic.archives";
  public static final String REJECTS_TOPIC = "topic.rejects";
  public static final String FILL_MODE = "fill.mode";
  public static final String FSYNC = "fsync";
  public static final String MAX_OPEN_FILES = "max.open.files";
  public static final String HASH_TAGGED_NAMES = "tag.hash.filenames";
  public static final String KAFKA_PREFIX = "kafka.";

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(BOOTSTRAP_SERVERS, Type.LIST, "localhost:9092", Importance.HIGH,
              "Kafka bootstrap servers, host:port[,host:port...].")
          .define(DATA_DIR, Type.STRING, "data", new ConfigDef.NonEmptyString(), Importance.HIGH,
              "Data directory; Whisper files go under <data.dir>/whisper (carbon's LOCAL_DATA_DIR).")
          .define(GROUP_ID, Type.STRING, "graphite-kafka-sink", new ConfigDef.NonEmptyString(),
              Importance.HIGH, "Consumer group; each storage replica uses its own group.")
          .define(GROUP_INSTANCE_ID, Type.STRING, "", Importance.MEDIUM,
              "Static membership id (group.instance.id); empty for dynamic membership.")
          .define(PARTITIONS, Type.STRING, "", Importance.HIGH,
              "Explicit partitions this host owns, e.g. 0-5,9; empty means consumer-group assignment.")
          .define(REPLAY_FROM, Type.STRING, "", Importance.MEDIUM,
              "Rewind the owned partitions at start: an ISO-8601 instant, epoch seconds, or earliest.")
          .define(ARCHIVES_TOPIC, Type.STRING, Topics.DEFAULT_ARCHIVES, new ConfigDef.NonEmptyString(),
              Importance.MEDIUM, "Input topic of ArchivePoint records.")
          .define(REJECTS_TOPIC, Type.STRING, Topics.DEFAULT_REJECTS, new ConfigDef.NonEmptyString(),
              Importance.MEDIUM, "Topic for records that cannot be decoded or written.")
          .define(FILL_MODE, Type.STRING, "zero",
              ConfigDef.ValidString.in("zero", "sparse", "fallocate"), Importance.LOW,
              "How new files are filled: zero (carbon's default), sparse, or fallocate.")
          .define(FSYNC, Type.BOOLEAN, false, Importance.MEDIUM,
              "fsync each written file before its offsets are committed (carbon's WHISPER_FSYNC).")
          .define(MAX_OPEN_FILES, Type.INT, 1024, Range.atLeast(1), Importance.LOW,
              "Most Whisper files kept open at once (an LRU of descriptors and parsed headers).")
          .define(HASH_TAGGED_NAMES, Type.BOOLEAN, true, Importance.LOW,
              "Store tagged series under hashed file names (carbon's TAG_HASH_FILENAMES).");

  public SinkConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
    explicitPartitions(); // validates the list at start
  }

  public String bootstrapServers() {
    return String.join(",", getList(BOOTSTRAP_SERVERS));
  }

  public Path whisperDir() {
    return Path.of(getString(DATA_DIR)).resolve("whisper");
  }

  public String archivesTopic() {
    return getString(ARCHIVES_TOPIC);
  }

  public String rejectsTopic() {
    return getString(REJECTS_TOPIC);
  }

  public FillMode fillMode() {
    return FillMode.valueOf(getString(FILL_MODE).toUpperCase(Locale.ROOT));
  }

  /** The partitions given as {@code 0-5,9}, or an empty list for consumer-group assignment. */
  public List<Integer> explicitPartitions() {
    String spec = getString(PARTITIONS).trim();
    List<Integer> out = new ArrayList<>();
    if (spec.isEmpty()) {
      return out;
    }
    for (String part : spec.split(",")) {
      String p = part.trim();
      try {
        int dash = p.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
        int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).trim());
        if (from < 0 || to < from) {
          throw new NumberFormatException();
        }
        for (int i = from; i <= to; i++) {
          if (!out.contains(i)) {
            out.add(i);
          }
        }
      } catch (NumberFormatException e) {
        throw new ConfigException(PARTITIONS, spec,
            "expected partition numbers and ranges such as 0-5,9; cannot read '" + p + "'");
      }
    }
    return out;
  }

  /** Kafka consumer settings given under the {@code kafka.} prefix, prefix removed. */
  public Map<String, Object> kafkaOverrides() {
    return originalsWithPrefix(KAFKA_PREFIX);
  }
}

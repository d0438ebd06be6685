package io.graphitekafka.sink.config;

import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.service.config.KafkaPassThrough;
import io.graphitekafka.service.config.SelfMetricsSettings;
import io.graphitekafka.service.config.ServiceConfig;
import io.graphitekafka.service.restart.StaticMember;
import io.graphitekafka.whisper.FillMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Typed configuration of the whisper-sink; Kafka consumer settings pass through under {@code
 * kafka.}.
 */
public final class SinkConfig extends ServiceConfig {

  public static final String DATA_DIR = "data.dir";
  public static final String GROUP_ID = "group.id";
  public static final String GROUP_INSTANCE_ID = "group.instance.id";
  public static final String PARTITIONS = "partitions";
  public static final String REPLAY_FROM = "replay.from";
  public static final String FILL_MODE = "fill.mode";
  public static final String FSYNC = "fsync";
  public static final String MAX_OPEN_FILES = "max.open.files";
  public static final String HASH_TAGGED_NAMES = "tag.hash.filenames";
  public static final String MAX_CREATES_PER_MINUTE = "max.creates.per.minute";
  public static final String MAX_UPDATES_PER_SECOND = "max.updates.per.second";
  public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
  public static final String WRITE_BATCH_MAX_RECORDS = "write.batch.max.records";
  public static final String WRITE_BATCH_MAX_BYTES = "write.batch.max.bytes";
  public static final String WRITE_BATCH_MAX_MS = "write.batch.max.ms";
  public static final String METRICS_INTERVAL_SECONDS = SelfMetricsSettings.INTERVAL_SECONDS;
  public static final String METRICS_INSTANCE = SelfMetricsSettings.INSTANCE;
  public static final String PROMETHEUS_PORT = SelfMetricsSettings.HTTP_PORT;
  public static final String PROMETHEUS_BIND = SelfMetricsSettings.HTTP_BIND;
  public static final String GRAPHITE_URL = "graphite.url";
  public static final String TAGS_BATCH_SIZE = "tags.batch.size";
  public static final String TAGS_UPDATE_INTERVAL = "tags.update.interval";
  public static final String TAGS_UNTAGGED = "tags.untagged";
  public static final String TAGS_TIMEOUT_MS = "tags.timeout.ms";

  private static final String UNLIMITED = "inf";

  /** Accepts {@code inf} or a positive number. */
  private static final ConfigDef.Validator RATE =
      (name, value) -> {
        try {
          parseRate(name, (String) value);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(name, value, "expected inf or a positive number");
        }
      };

  public static final ConfigDef CONFIG_DEF =
      withBootstrapServers()
          .define(
              DATA_DIR,
              Type.STRING,
              "data",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Data directory; Whisper files go under <data.dir>/whisper (carbon's LOCAL_DATA_DIR).")
          .define(
              GROUP_ID,
              Type.STRING,
              "graphite-kafka-sink",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Consumer group; each storage replica uses its own group.")
          .define(
              GROUP_INSTANCE_ID,
              Type.STRING,
              StaticMember.AUTO,
              Importance.MEDIUM,
              "Static membership id (group.instance.id): a restarted sink takes its partitions "
                  + "back at once instead of after the dead one's session timeout. 'auto' (the "
                  + "default) derives one from the host name and the data directory; empty means "
                  + "dynamic membership; any other value is the id itself, which must differ "
                  + "between the sinks of a group. kafka.group.instance.id, if set, wins.")
          .define(
              PARTITIONS,
              Type.STRING,
              "",
              Importance.HIGH,
              "Explicit partitions this host owns, e.g. 0-5,9; empty means consumer-group assignment.")
          .define(
              REPLAY_FROM,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "Rewind the owned partitions at start: an ISO-8601 instant, epoch seconds, or earliest.")
          .define(
              FILL_MODE,
              Type.STRING,
              "fallocate",
              ConfigDef.ValidString.in("zero", "sparse", "fallocate"),
              Importance.LOW,
              "How new files get their data region: fallocate (blocks reserved with posix_fallocate,"
                  + " none written; WHISPER_FALLOCATE_CREATE = True in the carbon.conf Debian and carbon's"
                  + " example ship; zeros are written where it cannot be called), zero (16 KiB chunks of"
                  + " zeros, whisper's own default) or sparse (a hole).")
          .define(
              FSYNC,
              Type.BOOLEAN,
              false,
              Importance.MEDIUM,
              "fsync each written file before its offsets are committed (carbon's WHISPER_FSYNC).")
          .define(
              MAX_OPEN_FILES,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.LOW,
              "Most Whisper files kept open at once (an LRU of descriptors and parsed headers); 0 "
                  + "(the default) takes half the process's file-descriptor limit, between 1024 and 65536.")
          .define(
              HASH_TAGGED_NAMES,
              Type.BOOLEAN,
              true,
              Importance.LOW,
              "Store tagged series under hashed file names (carbon's TAG_HASH_FILENAMES).")
          .define(
              GRAPHITE_URL,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "graphite-web's URL (carbon's GRAPHITE_URL), e.g. http://127.0.0.1:8080; credentials in "
                  + "its user-info are sent as basic auth. With it set, the series the sink writes are "
                  + "registered with graphite-web's TagDB (POST /tags/tagMultiSeries), from a journal "
                  + "under <data.dir>/tagdb so that none is lost. Empty: no registration.")
          .define(
              TAGS_BATCH_SIZE,
              Type.INT,
              100,
              Range.atLeast(1),
              Importance.LOW,
              "Series names per registration request (carbon's TAG_BATCH_SIZE).")
          .define(
              TAGS_UPDATE_INTERVAL,
              Type.INT,
              100,
              Range.atLeast(1),
              Importance.LOW,
              "Every this many file updates, the updated series is registered again (carbon's "
                  + "TAG_UPDATE_INTERVAL), so a TagDB that lost it gets it back.")
          .define(
              TAGS_UNTAGGED,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              "Register untagged series too, as carbon 1.1.7 does; later carbon skips them by default "
                  + "(SKIP_TAGS_FOR_NONTAGGED), and so does the sink.")
          .define(
              TAGS_TIMEOUT_MS,
              Type.LONG,
              5000L,
              Range.atLeast(1),
              Importance.LOW,
              "Timeout of a registration request (carbon's is 5 s); a timed-out batch is retried.")
          .define(
              MAX_CREATES_PER_MINUTE,
              Type.STRING,
              UNLIMITED,
              RATE,
              Importance.MEDIUM,
              "Most new Whisper files per minute (carbon's MAX_CREATES_PER_MINUTE), or inf. Points of"
                  + " files not yet created are never dropped: their partition pauses until there is"
                  + " budget. Bursts of up to one second's worth.")
          .define(
              MAX_UPDATES_PER_SECOND,
              Type.STRING,
              UNLIMITED,
              RATE,
              Importance.MEDIUM,
              "Most file updates (one per file per write batch) per second (carbon's MAX_UPDATES_PER_SECOND),"
                  + " or inf. Above it consumption pauses; nothing is dropped.")
          .define(
              RETRY_BACKOFF_MAX_MS,
              Type.LONG,
              30_000L,
              Range.atLeast(100),
              Importance.LOW,
              "Longest wait between retries of a failed write or commit (doubling from 100 ms).")
          .define(
              WRITE_BATCH_MAX_RECORDS,
              Type.INT,
              200_000,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Most records gathered from successive polls into one write batch. A batch is written,"
                  + " flushed and committed as a whole; the more points of a file it holds, the fewer"
                  + " writes per point.")
          .define(
              WRITE_BATCH_MAX_BYTES,
              Type.LONG,
              64L * 1024 * 1024,
              Range.atLeast(1),
              Importance.LOW,
              "Most record value bytes in one write batch.")
          .define(
              WRITE_BATCH_MAX_MS,
              Type.LONG,
              500L,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Longest time a write batch gathers records before it is written and committed; it is"
                  + " written sooner when full or when a poll finds nothing new. 0 writes every poll"
                  + " on its own. Bounds how long a point waits before it is in its file.");

  static {
    defineTopic(
        CONFIG_DEF,
        POINTS_TOPIC,
        Importance.LOW,
        "Topic the sink's own carbon.agents.* series are sent to.");
    defineTopic(
        CONFIG_DEF, ARCHIVES_TOPIC, Importance.MEDIUM, "Input topic of ArchivePoint records.");
    defineTopic(
        CONFIG_DEF,
        REJECTS_TOPIC,
        Importance.MEDIUM,
        "Topic for records that cannot be decoded or written.");
    SelfMetricsSettings.defineReporting(
        CONFIG_DEF,
        "carbon.agents.<host>-<instance>.*",
        "",
        "Instance in carbon.agents.<host>-<instance>; empty uses group.instance.id, else 'a'.");
    SelfMetricsSettings.defineEndpoint(CONFIG_DEF, true);
    RegistrySettings.define(CONFIG_DEF);
  }

  public SinkConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
    explicitPartitions(); // validates the list at start
    try {
      replayFrom();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(REPLAY_FROM, getString(REPLAY_FROM), e.getMessage());
    }
    // the consumer's settings and the rejects producer's; each client takes the ones it knows
    KafkaPassThrough.check(
        "the sink",
        "kafka.",
        originalsWithPrefix(KAFKA_PREFIX),
        List.of(),
        ConsumerConfig.configNames(),
        ProducerConfig.configNames(),
        AdminClientConfig.configNames());
  }

  /**
   * Where to rewind the owned partitions at start, or {@code null} to resume from committed
   * offsets.
   */
  public ReplayFrom replayFrom() {
    String text = getString(REPLAY_FROM).trim();
    return text.isEmpty() ? null : ReplayFrom.parse(text);
  }

  /** {@value #MAX_CREATES_PER_MINUTE} as a number; infinite when unlimited. */
  public double maxCreatesPerMinute() {
    return parseRate(MAX_CREATES_PER_MINUTE, getString(MAX_CREATES_PER_MINUTE));
  }

  /** {@value #MAX_UPDATES_PER_SECOND} as a number; infinite when unlimited. */
  public double maxUpdatesPerSecond() {
    return parseRate(MAX_UPDATES_PER_SECOND, getString(MAX_UPDATES_PER_SECOND));
  }

  /**
   * The self-metrics instance name: {@value #METRICS_INSTANCE}, else a group.instance.id given by
   * name, else "a".
   */
  public String metricsInstance() {
    String instance = getString(METRICS_INSTANCE).trim();
    if (instance.isEmpty()) {
      instance = getString(GROUP_INSTANCE_ID).trim();
    }
    return instance.isEmpty() || instance.equals(StaticMember.AUTO) ? "a" : instance;
  }

  /**
   * The {@code group.instance.id} setting as the sink applies it: empty when it sets none (dynamic
   * membership, explicit partitions, or an id given as {@code kafka.group.instance.id}), {@link
   * StaticMember#AUTO} when it derives one, else the configured id.
   */
  public String groupInstanceId() {
    if (!explicitPartitions().isEmpty()
        || kafkaOverrides().containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) {
      return "";
    }
    return getString(GROUP_INSTANCE_ID).trim();
  }

  private static double parseRate(String name, String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals(UNLIMITED) || t.equals("infinity") || t.equals("unlimited")) {
      return Double.POSITIVE_INFINITY;
    }
    double rate = Double.parseDouble(t); // NumberFormatException is an IllegalArgumentException
    if (!(rate > 0) || Double.isNaN(rate)) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    return rate;
  }

  /** {@code max.open.files}, with 0 resolved against the process's descriptor limit. */
  public int maxOpenFiles() {
    int configured = getInt(MAX_OPEN_FILES);
    return configured > 0 ? configured : automaticMaxOpenFiles(descriptorLimit());
  }

  static int automaticMaxOpenFiles(long descriptorLimit) {
    if (descriptorLimit <= 0) {
      return 1024;
    }
    return (int) Math.max(1024, Math.min(65_536, descriptorLimit / 2));
  }

  /** The JVM's descriptor limit (which it raises to the hard limit on start), or -1 if unknown. */
  private static long descriptorLimit() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return unix.getMaxFileDescriptorCount();
    }
    return -1;
  }

  public Path whisperDir() {
    return Path.of(getString(DATA_DIR)).resolve("whisper");
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
        throw new ConfigException(
            PARTITIONS,
            spec,
            "expected partition numbers and ranges such as 0-5,9; cannot read '" + p + "'");
      }
    }
    return out;
  }
}

package io.graphitekafka.standalone;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Configuration of {@code graphite-kafka standalone}: one process, an embedded broker, all
 * services. Any service setting can be given with the service's prefix, {@code gateway.}, {@code
 * aggregator.} or {@code sink.} (say {@code sink.fill.mode=sparse}); see {@link
 * Standalone#serviceProperties}.
 */
public final class StandaloneConfig extends AbstractConfig {

  public static final String DATA_DIR = "data.dir";
  public static final String CONF_DIR = "conf.dir";
  public static final String BIND_ADDRESS = "bind.address";
  public static final String CARBON_PORT = "carbon.port";
  public static final String UDP_PORT = "udp.port";
  public static final String PICKLE_PORT = "pickle.port";
  public static final String BROKER_PORT = "broker.port";
  public static final String PARTITIONS = "partitions";
  public static final String METRICS_PORT = "metrics.http.port";
  public static final String CARBONLINK_PORT = "carbonlink.port";
  public static final String GRAPHITE_URL = "graphite.url";

  public static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              DATA_DIR,
              Type.STRING,
              "data",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Where Whisper files (<data.dir>/whisper), the broker's log and the aggregator's state go.")
          .define(
              CONF_DIR,
              Type.STRING,
              Main.home().resolve("conf").toString(),
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Directory with storage-schemas.conf and storage-aggregation.conf.")
          .define(
              BIND_ADDRESS,
              Type.STRING,
              "127.0.0.1",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Address every listener binds to; loopback unless you open it on purpose.")
          .define(
              CARBON_PORT,
              Type.INT,
              2003,
              Range.between(0, 65535),
              Importance.HIGH,
              "Carbon plaintext TCP port.")
          .define(
              UDP_PORT,
              Type.INT,
              2003,
              Range.between(0, 65535),
              Importance.MEDIUM,
              "Carbon plaintext UDP port.")
          .define(
              PICKLE_PORT,
              Type.INT,
              2004,
              Range.between(0, 65535),
              Importance.MEDIUM,
              "Carbon pickle TCP port.")
          .define(
              BROKER_PORT,
              Type.INT,
              9092,
              Range.between(0, 65535),
              Importance.HIGH,
              "Port of the embedded Kafka broker.")
          .define(
              PARTITIONS,
              Type.INT,
              4,
              Range.between(1, 1024),
              Importance.MEDIUM,
              "Partitions of the pipeline's topics when they are created.")
          .define(
              CARBONLINK_PORT,
              Type.INT,
              7002,
              Range.between(0, 65535),
              Importance.MEDIUM,
              "carbon's CACHE_QUERY_PORT: graphite-web's carbonlink queries (CARBONLINK_HOSTS ="
                  + " ['127.0.0.1:7002:a']) are answered here with the points accepted and not yet in"
                  + " their files; 0 turns it off.")
          .define(
              METRICS_PORT,
              Type.INT,
              9108,
              Range.between(-1, 65535),
              Importance.MEDIUM,
              "Port of the Prometheus endpoint GET /metrics with every service's counters; -1 disables"
                  + " it.")
          .define(
              GRAPHITE_URL,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "graphite-web's URL (carbon's GRAPHITE_URL): the sink registers the tagged series it "
                  + "writes with its TagDB. Empty: no registration.");

  public StandaloneConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
  }

  public Path dataDir() {
    return Path.of(getString(DATA_DIR));
  }
}

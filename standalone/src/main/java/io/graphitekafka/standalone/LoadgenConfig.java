package io.graphitekafka.standalone;

import io.graphitekafka.tools.load.LoadGenerator;
import io.graphitekafka.tools.load.LoadGenerator.Protocol;
import io.graphitekafka.tools.load.LoadGenerator.Timestamps;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;

/**
 * Options of {@code graphite-kafka loadgen}: where to send, in which protocol, over how many
 * connections, how much and how fast.
 */
final class LoadgenConfig extends AbstractConfig {

  static final String HOST = "host";
  static final String PORT = "port";
  static final String PROTOCOL = "protocol";
  static final String CONNECTIONS = "connections";
  static final String SERIES = "series";
  static final String POINTS_PER_SERIES = "points.per.series";
  static final String RATE = "rate";
  static final String TIMESTAMPS = "timestamps";
  static final String STEP = "step";
  static final String SEED = "seed";
  static final String PREFIX = "prefix";

  static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              HOST,
              Type.STRING,
              "127.0.0.1",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "The Carbon receiver to load.")
          .define(
              PORT,
              Type.INT,
              0,
              Range.between(0, 65535),
              Importance.HIGH,
              "Its TCP port; 0 means 2003 for plaintext and 2004 for pickle.")
          .define(
              PROTOCOL,
              Type.STRING,
              "plaintext",
              ValidString.in("plaintext", "pickle"),
              Importance.HIGH,
              "plaintext lines or pickle frames of up to 500 points.")
          .define(
              CONNECTIONS,
              Type.INT,
              1,
              Range.between(1, 1024),
              Importance.MEDIUM,
              "Parallel TCP connections; series s is sent by connection s % connections.")
          .define(
              SERIES,
              Type.INT,
              10_000,
              Range.atLeast(1),
              Importance.MEDIUM,
              "Distinct series, named <prefix>.h<s % 100>.s<s>.")
          .define(
              POINTS_PER_SERIES,
              Type.LONG,
              100L,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Points sent for each series, round by round.")
          .define(
              RATE,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Points per second over all connections; 0 sends as fast as possible.")
          .define(
              TIMESTAMPS,
              Type.STRING,
              "fixed",
              ValidString.in("fixed", "now"),
              Importance.MEDIUM,
              "fixed: 1700000000 + round * step (the same bytes every run); now: the current second.")
          .define(
              STEP,
              Type.INT,
              10,
              Range.atLeast(1),
              Importance.LOW,
              "Seconds between rounds with fixed timestamps.")
          .define(SEED, Type.LONG, 1L, Importance.LOW, "Picks the values.")
          .define(
              PREFIX,
              Type.STRING,
              "loadgen",
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "The first component(s) of every series name.");

  LoadgenConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
  }

  LoadGenerator.Spec spec() {
    Protocol protocol = Protocol.valueOf(getString(PROTOCOL).toUpperCase(Locale.ROOT));
    int port = getInt(PORT) != 0 ? getInt(PORT) : protocol == Protocol.PLAINTEXT ? 2003 : 2004;
    return new LoadGenerator.Spec(
        getString(HOST),
        port,
        protocol,
        getInt(CONNECTIONS),
        getInt(SERIES),
        getLong(POINTS_PER_SERIES),
        getLong(RATE),
        Timestamps.valueOf(getString(TIMESTAMPS).toUpperCase(Locale.ROOT)),
        getInt(STEP),
        getLong(SEED),
        getString(PREFIX));
  }
}

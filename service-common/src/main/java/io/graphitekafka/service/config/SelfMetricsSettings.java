package io.graphitekafka.service.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The self-metric keys every service shares, declared once: how often its carbon-named series are
 * written into the pipeline and under which instance, and where its Prometheus endpoint listens.
 */
public final class SelfMetricsSettings {

  public static final String INTERVAL_SECONDS = "carbon.metric.interval.seconds";
  public static final String INSTANCE = "carbon.metric.instance";
  public static final String HTTP_PORT = "metrics.http.port";
  public static final String HTTP_BIND = "metrics.http.bind";

  private SelfMetricsSettings() {}

  /**
   * Defines the interval (60 s, carbon's {@code CARBON_METRIC_INTERVAL}; 0 turns reporting off) and
   * the instance, whose default and meaning differ by service as carbon's daemons do.
   *
   * @param series the series the service reports, e.g. {@code carbon.agents.<host>-<instance>.*}
   */
  public static ConfigDef defineReporting(
      ConfigDef def, String series, String defaultInstance, String instanceDoc) {
    return def.define(
            INTERVAL_SECONDS,
            Type.INT,
            60,
            Range.atLeast(0),
            Importance.LOW,
            "Seconds between self-metric reports ("
                + series
                + ") into the pipeline (carbon's "
                + "CARBON_METRIC_INTERVAL); 0 disables them.")
        .define(INSTANCE, Type.STRING, defaultInstance, Importance.LOW, instanceDoc);
  }

  /**
   * Defines the Prometheus endpoint's port (-1 turns it off, 0 picks a free one) and, unless {@code
   * withBind} is false (the service binds it with its other listeners), its address.
   */
  public static ConfigDef defineEndpoint(ConfigDef def, boolean withBind) {
    def.define(
        HTTP_PORT,
        Type.INT,
        -1,
        Range.between(-1, 65535),
        Importance.LOW,
        "Port of the Prometheus endpoint GET /metrics; -1 disables it, 0 picks a free port.");
    if (withBind) {
      def.define(
          HTTP_BIND,
          Type.STRING,
          "0.0.0.0",
          Importance.LOW,
          "Address the Prometheus endpoint binds to.");
    }
    return def;
  }
}

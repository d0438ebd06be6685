package io.graphitekafka.gateway.metrics;

/**
 * The gateway's self-metric names, carbon-style ({@code carbon.relays.<host>-<instance>.<stat>}).
 * The common daemon stats keep carbon's names (instrumentation.py); the others are ours.
 */
public final class GatewayStats {

  /** The carbon role the gateway reports under, as carbon-relay does. */
  public static final String ROLE = "relays";

  /** Points accepted: decoded, past the allow/deny lists, valid name (carbon's metricsReceived). */
  public static final String METRICS_RECEIVED = "metricsReceived";

  /** Points acknowledged by Kafka, self-metrics included. */
  public static final String POINTS_PRODUCED = "pointsProduced";

  /** Records Kafka failed to take (counted, logged at a sampled rate). */
  public static final String PRODUCE_ERRORS = "produceErrors";

  /** Prefix of the per-reason reject counters: {@code rejects.field_count} and so on. */
  public static final String REJECTS_PREFIX = "rejects.";

  public static final String BLACKLIST_MATCHES = "blacklistMatches";
  public static final String WHITELIST_REJECTS = "whitelistRejects";
  public static final String ACTIVE_CONNECTIONS = "activeConnections";
  public static final String CONNECTIONS_REFUSED = "connectionsRefused";
  public static final String IDLE_TIMEOUTS = "idleTimeouts";

  /** Milliseconds during which TCP reading was paused because Kafka lagged behind. */
  public static final String BACKPRESSURE_MILLIS = "backpressureMillis";

  public static final String BACKPRESSURE_ACTIVE = "backpressure.active";

  /** Lines in UDP datagrams dropped because the producer could not take them. */
  public static final String UDP_LOSSES = "udpLosses";

  public static final String UDP_DATAGRAMS_DROPPED = "udpDatagramsDropped";
  public static final String INFLIGHT_BYTES = "inflight.bytes";
  public static final String INFLIGHT_RECORDS = "inflight.records";

  /** Records of the lines topic consumed, and their offsets committed. */
  public static final String LINES_RECORDS = "lines.records";

  /** Points lost at shutdown because Kafka did not acknowledge them within the shutdown timeout. */
  public static final String SHUTDOWN_UNFLUSHED = "shutdownUnflushed";

  private GatewayStats() {}

  public static String reject(String reasonCode) {
    return REJECTS_PREFIX + reasonCode;
  }
}

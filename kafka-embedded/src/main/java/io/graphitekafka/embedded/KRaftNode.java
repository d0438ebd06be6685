package io.graphitekafka.embedded;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one KRaft node an embedded broker runs: its server settings and the formatting of its log
 * dir.
 */
final class KRaftNode {

  private static final Logger LOG = LoggerFactory.getLogger(KRaftNode.class);

  static final int NODE_ID = 1;
  static final String CLIENT_LISTENER = "PLAINTEXT";
  static final String SECURE_LISTENER = "SECURE";
  static final String INTERNAL_LISTENER = "INTERNAL";
  static final String CONTROLLER_LISTENER = "CONTROLLER";
  static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

  private KRaftNode() {}

  /**
   * The broker's settings: one combined broker and controller, a plaintext client listener, or with
   * {@code tls} a SASL_SSL one for clients and a loopback plaintext one for the broker itself; one
   * replica of everything; sized for a small machine. {@code overrides} win.
   */
  static Properties serverProperties(
      String host,
      int port,
      int controllerPort,
      int internalPort,
      Path logDir,
      SelfSignedTls tls,
      Map<String, String> overrides) {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("node.id", Integer.toString(NODE_ID));
    settings.put("process.roles", "broker,controller");
    if (tls != null) {
      // Clients authenticate with SCRAM over TLS; the broker talks to itself over a loopback-only
      // plaintext listener, so it needs no credentials of its own before the first user exists.
      settings.put(
          "listeners",
          SECURE_LISTENER
              + "://"
              + host
              + ":"
              + port
              + ","
              + INTERNAL_LISTENER
              + "://127.0.0.1:"
              + internalPort
              + ","
              + CONTROLLER_LISTENER
              + "://"
              + host
              + ":"
              + controllerPort);
      settings.put(
          "advertised.listeners",
          SECURE_LISTENER
              + "://"
              + host
              + ":"
              + port
              + ","
              + INTERNAL_LISTENER
              + "://127.0.0.1:"
              + internalPort);
      settings.put(
          "listener.security.protocol.map",
          SECURE_LISTENER
              + ":SASL_SSL,"
              + INTERNAL_LISTENER
              + ":PLAINTEXT,"
              + CONTROLLER_LISTENER
              + ":PLAINTEXT");
      settings.put("inter.broker.listener.name", INTERNAL_LISTENER);
      settings.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
      settings.put(
          "listener.name."
              + SECURE_LISTENER.toLowerCase(java.util.Locale.ROOT)
              + "."
              + SCRAM_MECHANISM.toLowerCase(java.util.Locale.ROOT)
              + ".sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      settings.putAll(tls.brokerProperties());
    } else {
      settings.put(
          "listeners",
          CLIENT_LISTENER
              + "://"
              + host
              + ":"
              + port
              + ","
              + CONTROLLER_LISTENER
              + "://"
              + host
              + ":"
              + controllerPort);
      settings.put("advertised.listeners", CLIENT_LISTENER + "://" + host + ":" + port);
      settings.put(
          "listener.security.protocol.map",
          CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
      settings.put("inter.broker.listener.name", CLIENT_LISTENER);
    }
    settings.put("controller.listener.names", CONTROLLER_LISTENER);
    // A static voter set (kraft.version 0): the quorum is read from this config on every start.
    settings.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
    settings.put("log.dirs", logDir.toString());

    // One node can only hold one replica of anything, internal topics included.
    settings.put("default.replication.factor", "1");
    settings.put("min.insync.replicas", "1");
    settings.put("offsets.topic.replication.factor", "1");
    settings.put("transaction.state.log.replication.factor", "1");
    settings.put("transaction.state.log.min.isr", "1");
    settings.put("share.coordinator.state.topic.replication.factor", "1");
    settings.put("share.coordinator.state.topic.min.isr", "1");
    settings.put("remote.log.metadata.topic.replication.factor", "1");
    // Few coordinator partitions, so the first group or transaction does not wait for 50 to load.
    settings.put("offsets.topic.num.partitions", "5");
    settings.put("transaction.state.log.num.partitions", "5");
    settings.put("share.coordinator.state.topic.num.partitions", "5");
    settings.put("num.partitions", "1");
    settings.put("auto.create.topics.enable", "false");
    settings.put("group.initial.rebalance.delay.ms", "0");

    // Sized for a test machine: fewer threads, a small cleaner buffer, quick broker heartbeats.
    settings.put("num.network.threads", "2");
    settings.put("num.io.threads", "4");
    settings.put("background.threads", "4");
    settings.put("num.recovery.threads.per.data.dir", "1");
    settings.put("log.cleaner.threads", "1");
    settings.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
    settings.put("broker.heartbeat.interval.ms", "500");
    // After an unclean stop the controller, which is this same process, takes the broker's last
    // registration as alive for a whole session and refuses the restarted broker's own registration
    // (DUPLICATE_BROKER_REGISTRATION) until that session ends: 9 s by default, the longest part of
    // a restart after a crash. The broker and its controller share one JVM, so a missed heartbeat
    // means the whole process stalled; 3 s is six heartbeats.
    settings.put("broker.session.timeout.ms", "3000");

    settings.putAll(overrides);
    Properties properties = new Properties();
    properties.putAll(settings);
    return properties;
  }

  /**
   * Formats {@code logDir} for this node, as {@code kafka-storage.sh format} would, unless it is
   * already.
   */
  static void formatIfNeeded(Path logDir) {
    if (Files.exists(logDir.resolve(MetaPropertiesEnsemble.META_PROPERTIES_NAME))) {
      LOG.debug("Kafka log dir {} is formatted already", logDir);
      return;
    }
    try {
      new Formatter()
          .setPrintStream(
              new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .setMetadataLogDirectory(logDir.toString())
          .addDirectory(logDir.toString())
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("could not format Kafka log dir " + logDir, e);
    }
    LOG.debug("Formatted Kafka log dir {}", logDir);
  }
}

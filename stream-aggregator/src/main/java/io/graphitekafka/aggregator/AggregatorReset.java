package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.tools.StreamsResetter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the next start of the aggregator reprocess every point still on the points topic, as after
 * a change of storage-schemas.conf: Kafka's own Streams application reset tool ({@link
 * StreamsResetter}, what {@code kafka-streams-application-reset.sh} runs) moves the application's
 * committed offsets on the points topic to the earliest and deletes its internal topics (the
 * series-state changelog), then the local state under {@code state.dir} is deleted with {@code
 * KafkaStreams#cleanUp()}. Every aggregator instance must be stopped first; the reset tool refuses
 * while the group has members.
 */
public final class AggregatorReset {

  private static final Logger log = LoggerFactory.getLogger(AggregatorReset.class);

  private AggregatorReset() {}

  /**
   * The arguments given to the reset tool for this configuration: the application id, the brokers,
   * the points topic as the only input topic, reset to its earliest offsets.
   */
  static List<String> resetterArguments(AggregatorConfig config, boolean dryRun) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--bootstrap-server",
                config.bootstrapServers(),
                "--application-id",
                config.getString(AggregatorConfig.APPLICATION_ID),
                "--input-topics",
                config.pointsTopic(),
                "--to-earliest"));
    if (dryRun) {
      args.add("--dry-run");
    }
    return args;
  }

  /**
   * Runs the reset. With {@code dryRun} the reset tool only prints what it would do and the local
   * state is left alone.
   *
   * @return 0 on success; the reset tool's status (1) when it failed, in which case the local state
   *     is kept and nothing should be started before the cause is fixed and the reset run again
   */
  public static int run(AggregatorConfig config, boolean dryRun) {
    Properties clientSettings = new Properties();
    // the Kafka client settings of the aggregator (security above all) for the tool's admin and
    // consumer
    clientSettings.putAll(config.kafkaOverrides());
    List<String> args = resetterArguments(config, dryRun);
    String appId = config.getString(AggregatorConfig.APPLICATION_ID);
    if (!awaitNoMembers(config, clientSettings, appId)) {
      return 1;
    }
    log.info(
        "resetting aggregator {}: {}", config.getString(AggregatorConfig.APPLICATION_ID), args);
    int status = new StreamsResetter().execute(args.toArray(String[]::new), clientSettings);
    if (status != 0) {
      log.error("the Streams reset tool failed (status {}); the local state was kept", status);
      return status;
    }
    if (!dryRun) {
      try (Aggregator aggregator = new Aggregator(config)) {
        aggregator.cleanUpLocalState();
      }
      log.info(
          "deleted the local state of {} under {}",
          config.getString(AggregatorConfig.APPLICATION_ID),
          config.getString(AggregatorConfig.STATE_DIR));
    }
    return 0;
  }

  /**
   * Waits for the members of stopped instances to expire: Kafka Streams does not leave its group
   * when it closes, so the broker drops a stopped member only after its {@code session.timeout.ms}.
   */
  private static boolean awaitNoMembers(
      AggregatorConfig config, Properties clientSettings, String appId) {
    Object session = config.kafkaOverrides().get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
    long sessionMillis = session == null ? 45_000 : Long.parseLong(session.toString().trim());
    long deadline = System.nanoTime() + Duration.ofMillis(sessionMillis).plusSeconds(15).toNanos();
    Properties admin = new Properties();
    admin.putAll(clientSettings);
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    try (Admin client = Admin.create(admin)) {
      boolean told = false;
      while (true) {
        ConsumerGroupDescription group =
            client.describeConsumerGroups(List.of(appId)).describedGroups().get(appId).get();
        if (group.members().isEmpty()) {
          return true;
        }
        if (System.nanoTime() - deadline > 0) {
          log.error(
              "group {} still has {} members after the session timeout; stop every aggregator "
                  + "instance of this application.id first: {}",
              appId,
              group.members().size(),
              group.members());
          return false;
        }
        if (!told) {
          log.info(
              "waiting up to {} s for the {} members of group {} to expire (session.timeout.ms)",
              sessionMillis / 1000 + 15,
              group.members().size(),
              appId);
          told = true;
        }
        Thread.sleep(1000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      log.error("cannot describe group {}: {}", appId, e.getCause().toString());
      return false;
    }
  }
}

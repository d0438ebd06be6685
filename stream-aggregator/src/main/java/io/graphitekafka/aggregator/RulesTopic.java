package io.graphitekafka.aggregator;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure the rules topic exists with as many partitions as the points topic, which the topology
 * needs: the task that reads partition p of both owns the series keyed to p. Created like the
 * points topic (its partitions and replication factor) when missing; a rules topic with another
 * partition count stops the start with what to do.
 */
final class RulesTopic {

  private static final Logger log = LoggerFactory.getLogger(RulesTopic.class);
  private static final long TIMEOUT_SECONDS = 60;

  private RulesTopic() {}

  static void ensure(AggregatorConfig config, Properties streamsProperties) {
    Map<String, Object> adminConfig =
        new StreamsConfig(streamsProperties).getAdminConfigs("graphite-kafka-rules-topic");
    try (Admin admin = Admin.create(adminConfig)) {
      TopicDescription points = describe(admin, config.pointsTopic());
      if (points == null) {
        // Streams reports a missing source topic itself, with its own error
        return;
      }
      int partitions = points.partitions().size();
      TopicDescription rules = describe(admin, config.rulesTopic());
      if (rules == null) {
        short replication = (short) points.partitions().get(0).replicas().size();
        create(admin, new NewTopic(config.rulesTopic(), partitions, replication));
      } else if (rules.partitions().size() != partitions) {
        throw new IllegalStateException(
            "the rules topic "
                + config.rulesTopic()
                + " has "
                + rules.partitions().size()
                + " partitions and the points topic "
                + config.pointsTopic()
                + " has "
                + partitions
                + "; they must be equal: add partitions to the smaller one");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the rules topic", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "could not check or create the rules topic " + config.rulesTopic() + ": " + e, e);
    }
  }

  private static TopicDescription describe(Admin admin, String topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      return admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .get(topic);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return null;
      }
      throw e;
    }
  }

  private static void create(Admin admin, NewTopic topic)
      throws InterruptedException, ExecutionException, TimeoutException {
    try {
      admin.createTopics(List.of(topic)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      log.info(
          "created the rules topic {} with {} partitions, replication factor {}",
          topic.name(),
          topic.numPartitions(),
          topic.replicationFactor());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }
}

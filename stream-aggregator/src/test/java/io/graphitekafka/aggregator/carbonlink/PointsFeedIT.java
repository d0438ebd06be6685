package io.graphitekafka.aggregator.carbonlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.topology.RollupTopology;
import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.serde.MetricPointReader;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaRecords;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The carbonlink feed against a real broker: it reads the partitions it is told this instance owns,
 * from the offset their task committed, adds the points the aggregator accepts, and stands aside
 * while carbon rules are in force.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class PointsFeedIT {

  @Test
  void feedsOwnedPartitionsFromTheirCommittedOffsets(EmbeddedKafkaBroker kafka) throws Exception {
    String topic = "points-" + UUID.randomUUID().toString().substring(0, 8);
    kafka.createTopics(2, topic);
    Topic<String, MetricPoint> points = Topics.points(topic);
    TopicPartition p0 = new TopicPartition(topic, 0);
    TopicPartition p1 = new TopicPartition(topic, 1);

    // partition 0: four points, of which the task has committed the first two
    produce(kafka, points, 0, point("a.committed", 100, 1), point("a.committed", 110, 2));
    produce(kafka, points, 0, point("a.new", 100, 3), point("a.new", 110, Double.NaN));
    produce(kafka, points, 1, point("b.other", 100, 5));

    RecentPoints recent = new RecentPoints(Duration.ofSeconds(60), System::nanoTime);
    AtomicReference<Set<TopicPartition>> owned = new AtomicReference<>(Set.of(p0));
    Map<TopicPartition, Long> committed = new HashMap<>(Map.of(p0, 2L));
    AtomicBoolean offsetsReadable = new AtomicBoolean(true);
    AtomicBoolean active = new AtomicBoolean(true);
    try (PointsFeed feed =
        new PointsFeed(
            consumer(kafka, points),
            owned::get,
            partitions -> offsetsReadable.get() ? committed : null,
            active::get,
            RollupTopology::accepted,
            recent)) {
      feed.start();
      Await.until(
          "the uncommitted point of partition 0",
          Duration.ofSeconds(30),
          () -> !recent.get("a.new").isEmpty());
      assertThat(recent.get("a.new"))
          .as("the NaN point is rejected by the aggregator, so not answered either")
          .containsExactly(new RecentPoints.Point(100, 3));
      assertThat(recent.get("a.committed")).as("committed: in the files' way already").isEmpty();
      assertThat(recent.get("b.other")).as("partition 1 is another instance's").isEmpty();
      assertThat(feed.adds(0)).as("the rollup leaves partition 0 to the feed").isTrue();
      assertThat(feed.adds(1)).as("and adds partition 1's points itself").isFalse();

      // partition 1 becomes this instance's while the committed offsets cannot be read: the rollup
      // keeps adding its points until they can
      offsetsReadable.set(false);
      owned.set(Set.of(p0, p1));
      Thread.sleep(2_500); // the feed looks at its assignment every second
      assertThat(feed.adds(1)).isFalse();
      assertThat(recent.get("b.other")).isEmpty();

      // readable again, its task with nothing committed: read from the beginning, where the task
      // starts too
      offsetsReadable.set(true);
      Await.until(
          "the points of partition 1",
          Duration.ofSeconds(30),
          () -> !recent.get("b.other").isEmpty());
      produce(kafka, points, 1, point("b.new", 100, 6));
      Await.until(
          "the new point of partition 1",
          Duration.ofSeconds(30),
          () -> !recent.get("b.new").isEmpty());

      // carbon rules in force: the rollup adds what the rules make of each point, not the feed
      active.set(false);
      assertThat(feed.adds(0)).as("the rollup adds them while rules are in force").isFalse();
      long read = feed.read();
      produce(kafka, points, 0, point("a.ruled", 100, 7));
      Await.until("the feed read the point", Duration.ofSeconds(30), () -> feed.read() > read);
      assertThat(recent.get("a.ruled")).isEmpty();
      active.set(true);
      produce(kafka, points, 0, point("a.after", 100, 8));
      Await.until(
          "the point after the rules",
          Duration.ofSeconds(30),
          () -> !recent.get("a.after").isEmpty());
      assertThat(feed.running()).isTrue();
      assertThat(feed.added()).as("a.new, b.other, b.new, a.after").isEqualTo(4);
    }
  }

  private static MetricPoint point(String metric, long timestamp, double value) {
    return new MetricPoint(metric, timestamp, value);
  }

  private static void produce(
      EmbeddedKafkaBroker kafka,
      Topic<String, MetricPoint> topic,
      int partition,
      MetricPoint... ps) {
    KafkaRecords.produce(
        kafka.bootstrapServers(),
        topic,
        List.of(ps).stream()
            .map(p -> new ProducerRecord<>(topic.name(), partition, p.getMetric().toString(), p))
            .toList());
  }

  private static KafkaConsumer<byte[], MetricPointReader.Result> consumer(
      EmbeddedKafkaBroker kafka, Topic<String, MetricPoint> topic) {
    Map<String, Object> props = new HashMap<>(kafka.clientProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return new KafkaConsumer<>(
        props, new ByteArrayDeserializer(), MetricPointReader.of(topic.valueSerde()));
  }
}

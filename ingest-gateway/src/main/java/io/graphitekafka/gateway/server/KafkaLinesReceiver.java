package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes raw Carbon plaintext lines from a topic (Telegraf's graphite output, kcat: one or more
 * newline-separated lines per record value) and feeds them to the same {@link PointHandler} as the
 * sockets. A thin polling shell around an injected {@link Consumer}: each poll is a {@link
 * LinesBatch}, whose offsets are committed only after Kafka acknowledged every point and reject
 * produced from it, so a crash or restart re-reads, never loses; a failed batch is sought back and
 * read again.
 */
public final class KafkaLinesReceiver implements CarbonReceiver {

  private static final Logger log = LoggerFactory.getLogger(KafkaLinesReceiver.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration TOPIC_WAIT = Duration.ofSeconds(1);
  private static final Duration ACK_WAIT = Duration.ofSeconds(1);
  private static final Duration SHUTDOWN_ACK_WAIT = Duration.ofSeconds(20);
  private static final Duration STOP_WAIT = Duration.ofSeconds(30);
  private static final Duration WAKEUP_WAIT = Duration.ofSeconds(10);

  private final Consumer<byte[], byte[]> consumer;
  private final String topic;
  private final PointHandler points;
  private final LongAdder consumed;
  private final Thread thread;
  private volatile boolean running = true;

  /** A receiver that polls {@code consumer}, which it owns and closes. */
  KafkaLinesReceiver(
      Consumer<byte[], byte[]> consumer, String topic, PointHandler points, SelfMetrics metrics) {
    this.consumer = consumer;
    this.topic = topic;
    this.points = points;
    this.consumed = metrics.counter(GatewayStats.LINES_RECORDS);
    this.thread = new Thread(this::run, "carbon-lines-" + topic);
    thread.setDaemon(true);
  }

  /**
   * A receiver with its own {@link KafkaConsumer} in group {@code groupId}; see {@link
   * #consumerProperties}.
   */
  public static KafkaLinesReceiver create(
      String bootstrapServers,
      String groupId,
      String topic,
      Map<String, Object> overrides,
      PointHandler points,
      SelfMetrics metrics) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            consumerProperties(bootstrapServers, groupId, overrides),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    return new KafkaLinesReceiver(consumer, topic, points, metrics);
  }

  /**
   * Manual commits, reading a new group from the start, 1000 records a poll; {@code overrides} win.
   */
  static Map<String, Object> consumerProperties(
      String bootstrapServers, String groupId, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "graphite-kafka-gateway-lines");
    props.putAll(overrides);
    return props;
  }

  @Override
  public void start() {
    thread.start();
  }

  private void run() {
    try (consumer) {
      if (!awaitTopic()) {
        return;
      }
      consumer.subscribe(List.of(topic));
      log.info("consuming Carbon lines from {}", topic);
      while (running) {
        pollOnce();
      }
    } catch (WakeupException e) {
      // close() woke us: the last batch is either committed or will be read again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("lines receiver on {} stopped: {}", topic, e.toString(), e);
    }
  }

  /** Waits quietly for the topic to exist (auto-creation is off), polling its metadata. */
  boolean awaitTopic() throws InterruptedException {
    boolean logged = false;
    while (running) {
      try {
        if (consumer.listTopics(TOPIC_WAIT).containsKey(topic)) {
          return true;
        }
      } catch (TimeoutException e) {
        // brokers unreachable: keep waiting
      }
      if (!logged) {
        log.info("lines topic {} does not exist yet; waiting for it", topic);
        logged = true;
      }
      for (int i = 0; i < 50 && running; i++) {
        Thread.sleep(100);
      }
    }
    return false;
  }

  /**
   * Polls once and settles the batch: its offsets are committed once Kafka acknowledged everything
   * produced from it, sought back when Kafka failed a record, and left alone when stopping first.
   */
  void pollOnce() throws InterruptedException {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
    if (records.isEmpty()) {
      return;
    }
    LinesBatch batch = LinesBatch.produce(records, points);
    consumed.add(records.count());
    switch (batch.settle(ACK_WAIT, SHUTDOWN_ACK_WAIT, () -> running)) {
      case ACKNOWLEDGED -> consumer.commitSync(batch.nextOffsets());
      case FAILED -> {
        log.warn(
            "producing lines from {} failed ({}); re-reading the batch",
            topic,
            batch.failure().toString());
        batch.firstOffsets().forEach(consumer::seek);
      }
      case ABANDONED ->
          log.warn(
              "stopping with {} records of {} unacknowledged; their offsets stay"
                  + " uncommitted and will be read again",
              batch.pending(),
              topic);
    }
  }

  /**
   * Stops after the current batch, which is committed once acknowledged, and closes the consumer.
   */
  @Override
  public void close() {
    running = false;
    try {
      thread.join(STOP_WAIT.toMillis());
      if (thread.isAlive()) {
        consumer.wakeup();
        thread.join(WAKEUP_WAIT.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

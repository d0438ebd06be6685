package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.GatewayStats;
import io.graphitekafka.gateway.kafka.Delivery;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes raw Carbon plaintext lines from a topic (Telegraf's graphite output, kcat: one or more
 * newline-separated lines per record value) and feeds them to the same {@link PointHandler} as the
 * sockets. Offsets are committed only after Kafka acknowledged every point and reject produced from
 * the polled records, so a crash or restart re-reads, never loses; a failed batch is re-read.
 */
public final class KafkaLinesReceiver implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaLinesReceiver.class);
  static final String PROTOCOL = "kafka-lines";
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration TOPIC_WAIT = Duration.ofSeconds(1);
  private static final Duration ACK_WAIT = Duration.ofSeconds(1);
  private static final Duration SHUTDOWN_ACK_WAIT = Duration.ofSeconds(20);

  private final String topic;
  private final PointHandler points;
  private final LongAdder consumed;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;

  public KafkaLinesReceiver(String bootstrapServers, String groupId, String topic,
      Map<String, Object> overrides, PointHandler points, SelfMetrics metrics) {
    this.topic = topic;
    this.points = points;
    this.consumed = metrics.counter(GatewayStats.LINES_RECORDS);
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "graphite-kafka-gateway-lines");
    props.putAll(overrides);
    this.consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "carbon-lines-" + topic);
    thread.setDaemon(true);
  }

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
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        if (!records.isEmpty()) {
          process(records);
        }
      }
    } catch (WakeupException e) {
      // close() woke us: the last batch is either committed or will be read again
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("lines receiver on {} stopped: {}", topic, e.toString(), e);
    } finally {
      stopped.countDown();
    }
  }

  /** Waits quietly for the topic to exist (auto-creation is off), polling its metadata. */
  private boolean awaitTopic() throws InterruptedException {
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

  private void process(ConsumerRecords<byte[], byte[]> records) throws InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    Map<TopicPartition, Long> first = new HashMap<>();
    Delivery delivery = new Delivery();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      TopicPartition tp = new TopicPartition(record.topic(), record.partition());
      first.putIfAbsent(tp, record.offset());
      next.put(tp, new OffsetAndMetadata(record.offset() + 1));
      byte[] value = record.value();
      if (value != null) {
        Source source = new Source(PROTOCOL,
            record.topic() + "-" + record.partition() + "@" + record.offset(), null);
        forEachLine(value, (offset, length) -> points.line(value, offset, length, source, delivery));
      }
      consumed.increment();
    }
    // while Kafka is unreachable this waits, which is this receiver's backpressure
    long giveUpAt = 0;
    while (!delivery.await(ACK_WAIT)) {
      if (!running) {
        if (giveUpAt == 0) {
          giveUpAt = System.nanoTime() + SHUTDOWN_ACK_WAIT.toNanos();
        } else if (System.nanoTime() - giveUpAt > 0) {
          log.warn("stopping with {} records of {} unacknowledged; their offsets stay uncommitted and"
              + " will be read again", delivery.pending(), topic);
          return;
        }
      }
    }
    if (delivery.failure() != null) {
      log.warn("producing lines from {} failed ({}); re-reading the batch", topic,
          delivery.failure().toString());
      first.forEach(consumer::seek);
      return;
    }
    consumer.commitSync(next);
  }

  /** Splits a record value at {@code \n}, as the TCP framer does; a final newline ends the last line. */
  static void forEachLine(byte[] value, LineRange consumer) {
    int start = 0;
    for (int i = 0; i < value.length; i++) {
      if (value[i] == '\n') {
        int end = i > start && value[i - 1] == '\r' ? i - 1 : i;
        consumer.accept(start, end - start);
        start = i + 1;
      }
    }
    if (start < value.length) {
      consumer.accept(start, value.length - start);
    }
  }

  /** One line of a record value, as an offset and length. */
  @FunctionalInterface
  interface LineRange {
    void accept(int offset, int length);
  }

  /** Stops after the current batch, which is committed once acknowledged, and closes the consumer. */
  @Override
  public void close() {
    running = false;
    try {
      if (!stopped.await(30, TimeUnit.SECONDS)) {
        consumer.wakeup();
        stopped.await(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

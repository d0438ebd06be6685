package io.graphitekafka.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What a test asks Kafka: end offsets, committed offsets, a topic's contents, and paced copies of
 * records, through one admin client opened on first use.
 */
public final class KafkaProbe implements AutoCloseable {

  private final String bootstrapServers;
  private Admin admin;

  public KafkaProbe(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  /** A record as stored: partition, offset, raw key and value. */
  public record Rec(int partition, long offset, byte[] key, byte[] value) {}

  private synchronized Admin admin() {
    if (admin == null) {
      admin = KafkaClients.admin(bootstrapServers);
    }
    return admin;
  }

  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
  }

  /** The end offset of every partition: the high watermark, or the last stable offset. */
  public Map<Integer, Long> endOffsets(String topic, boolean readCommitted) throws Exception {
    Admin admin = admin();
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    Map<TopicPartition, OffsetSpec> query = new HashMap<>();
    d.partitions()
        .forEach(p -> query.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    Map<Integer, Long> out = new HashMap<>();
    admin
        .listOffsets(
            query,
            new ListOffsetsOptions(
                readCommitted ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED))
        .all()
        .get()
        .forEach((tp, info) -> out.put(tp.partition(), info.offset()));
    return out;
  }

  /** Offsets the group has committed on the topic (absent partitions: nothing committed). */
  public Map<Integer, Long> committed(String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> all =
        admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    Map<Integer, Long> out = new HashMap<>();
    all.forEach(
        (tp, o) -> {
          if (tp.topic().equals(topic) && o != null) {
            out.put(tp.partition(), o.offset());
          }
        });
    return out;
  }

  /** The offsets added up over the partitions: records in a topic, or records a group consumed. */
  public static long sum(Map<Integer, Long> offsets) {
    return offsets.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Every record of the topic up to its current end, in partition and offset order. */
  public List<Rec> readAll(String topic, boolean readCommitted) throws Exception {
    Map<Integer, Long> ends = endOffsets(topic, readCommitted);
    Map<String, Object> props =
        Map.of(
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            readCommitted ? "read_committed" : "read_uncommitted",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            20_000);
    List<Rec> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        KafkaClients.consumer(
            bootstrapServers, new ByteArrayDeserializer(), new ByteArrayDeserializer(), props)) {
      List<TopicPartition> tps = new ArrayList<>();
      ends.keySet().forEach(p -> tps.add(new TopicPartition(topic, p)));
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        boolean done = true;
        for (TopicPartition tp : tps) {
          done &= consumer.position(tp) >= ends.get(tp.partition());
        }
        if (done) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("reading " + topic + " to " + ends);
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.offset() < ends.get(r.partition())) {
            out.add(new Rec(r.partition(), r.offset(), r.key(), r.value()));
          }
        }
      }
    }
    out.sort(
        (a, b) ->
            a.partition() != b.partition()
                ? Integer.compare(a.partition(), b.partition())
                : Long.compare(a.offset(), b.offset()));
    return out;
  }

  /** Per partition, the offset after its last record: what a consumer of all of it commits. */
  public static Map<Integer, Long> afterLastRecord(List<Rec> records) {
    Map<Integer, Long> out = new HashMap<>();
    for (Rec r : records) {
      out.merge(r.partition(), r.offset() + 1, Math::max);
    }
    return out;
  }

  /**
   * Produces {@code records} to {@code topic} on a thread, keeping each record's partition and
   * order, at about {@code perSecond} records a second.
   */
  public Thread copyPaced(List<Rec> records, String topic, int perSecond) {
    // partitions interleaved, each in its own order, as they fill up in a live stream
    List<Rec> ordered = new ArrayList<>(records);
    ordered.sort(
        (a, b) ->
            a.offset() != b.offset()
                ? Long.compare(a.offset(), b.offset())
                : Integer.compare(a.partition(), b.partition()));
    Thread t =
        new Thread(
            () -> {
              // idempotent, with retries for as long as it takes: a copy across a broker restart
              // loses nothing
              Map<String, Object> props =
                  Map.of(
                      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                      true,
                      ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                      5,
                      ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                      Integer.MAX_VALUE);
              try (KafkaProducer<byte[], byte[]> producer =
                  KafkaClients.producer(
                      bootstrapServers,
                      new ByteArraySerializer(),
                      new ByteArraySerializer(),
                      props)) {
                int chunk = Math.max(1, perSecond / 20);
                long started = System.nanoTime();
                for (int i = 0; i < ordered.size(); i++) {
                  Rec r = ordered.get(i);
                  producer.send(new ProducerRecord<>(topic, r.partition(), r.key(), r.value()));
                  if (i % chunk == chunk - 1) {
                    long due = started + (long) ((i + 1) * 1e9 / perSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                      Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                  }
                }
                producer.flush();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "copy-" + topic);
    t.start();
    return t;
  }
}

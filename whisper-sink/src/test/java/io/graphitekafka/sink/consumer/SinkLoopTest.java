package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.SERDE;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consumer loop's commit protocol, driven poll by poll over Kafka's {@link MockConsumer} and
 * {@link MockProducer}: what is committed, what is written to the files and what goes to the
 * rejects topic, after writes that work, writes that fail, rebalances, replays and bad records.
 */
class SinkLoopTest {

  private static final String TOPIC = "archives";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
  private static final long NOW = 1_800_000_000L;
  private static final long T0 = NOW - 600;
  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120)),
          AggregationMethod.AVERAGE,
          0.5f);
  private static final Topic<String, Reject> REJECTS = Topics.rejects("rejects");

  @TempDir Path dataDir;

  private final RecordingConsumer consumer = new RecordingConsumer();
  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final List<String> events = new ArrayList<>();
  private SinkLoop loop;

  /**
   * A MockConsumer that keeps the group's committed offsets as the broker would (MockConsumer
   * answers 0 for a partition no longer assigned), notes seeks to the beginning, and answers
   * offsetsForTimes, which Kafka's own leaves unimplemented.
   */
  static final class RecordingConsumer extends MockConsumer<Void, ByteBuffer> {
    final Map<TopicPartition, Long> committed = new HashMap<>();
    final List<Set<TopicPartition>> seeksToBeginning = new ArrayList<>();
    final Map<TopicPartition, OffsetAndTimestamp> found = new HashMap<>();
    final List<Map<TopicPartition, Long>> asked = new ArrayList<>();

    RecordingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      super.commitSync(offsets);
      offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
    }

    @Override
    public synchronized void seekToBeginning(Collection<TopicPartition> partitions) {
      seeksToBeginning.add(Set.copyOf(partitions));
      super.seekToBeginning(partitions);
    }

    @Override
    public synchronized Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(
        Map<TopicPartition, Long> timestamps) {
      asked.add(timestamps);
      Map<TopicPartition, OffsetAndTimestamp> out = new HashMap<>();
      timestamps.keySet().forEach(tp -> out.put(tp, found.get(tp)));
      return out;
    }
  }

  /** Stops the loop as close() does: it finishes the batch, then closes its files and clients. */
  @AfterEach
  void stop() throws Exception {
    if (loop != null && loop.isRunning()) {
      loop.close();
      loop.run();
      assertThat(loop.isRunning()).isFalse();
      assertThat(consumer.closed()).isTrue();
    }
  }

  private SinkLoop loop(Map<String, Object> changed) {
    return loop(changed, producer);
  }

  private SinkLoop loop(Map<String, Object> changed, MockProducer<byte[], byte[]> rejects) {
    Map<String, Object> props = new HashMap<>();
    props.put(SinkConfig.BOOTSTRAP_SERVERS, "localhost:9");
    props.put(SinkConfig.DATA_DIR, dataDir.toString());
    props.put(SinkConfig.GROUP_ID, "sink");
    props.put(SinkConfig.ARCHIVES_TOPIC, TOPIC);
    props.put(SinkConfig.REJECTS_TOPIC, REJECTS.name());
    props.put(SinkConfig.FILL_MODE, "sparse");
    props.put(SinkConfig.WRITE_BATCH_MAX_MS, "600000");
    props.put(SinkConfig.RETRY_BACKOFF_MAX_MS, "100");
    props.putAll(changed);
    SinkStats stats = new SinkStats(new SelfMetrics(SinkStats.ROLE), 60, System::nanoTime);
    SeriesListener listener =
        new SeriesListener() {
          @Override
          public void flushed(boolean fsync) {
            events.add("flushed, committed " + committedOffsets());
          }
        };
    loop =
        new SinkLoop(
            new SinkConfig(props),
            stats,
            Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC),
            listener,
            consumer,
            rejects);
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    consumer.updateEndOffsets(Map.of(P0, 0L, P1, 0L));
    return loop;
  }

  private SinkLoop ownedPartitionZero() {
    SinkLoop l = loop(Map.of(SinkConfig.PARTITIONS, "0"));
    l.own();
    return l;
  }

  private static ConsumerRecord<Void, ByteBuffer> record(
      TopicPartition tp, long offset, byte[] value) {
    return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, ByteBuffer.wrap(value));
  }

  private static ConsumerRecord<Void, ByteBuffer> point(
      TopicPartition tp, long offset, String metric, long timestamp, double value) {
    return record(
        tp,
        offset,
        SERDE.encode(new ArchivePoint(metric, 0, timestamp, value, Layouts.toAvro(LAYOUT), null)));
  }

  private Map<TopicPartition, Long> committedOffsets() {
    return new HashMap<>(consumer.committed);
  }

  private Path file(String metric) {
    return dataDir.resolve("whisper").resolve(metric.replace('.', '/') + ".wsp");
  }

  private Double[] values(String metric) throws IOException {
    try (WhisperFile f = WhisperFile.openReadOnly(file(metric))) {
      return f.fetch(T0 - 1, T0 + 19, NOW).values();
    }
  }

  @Test
  void commitsOffsetsOnlyAfterTheBatchIsWrittenAndFlushed() throws Exception {
    ownedPartitionZero();
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(point(P0, 1, "a.c", T0, 2));
    consumer.addRecord(point(P0, 2, "a.b", T0 + 10, 3));

    loop.pollOnce(); // gathered: the batch waits for an empty poll or for being full
    assertThat(committedOffsets()).isEmpty();
    assertThat(file("a.b")).doesNotExist();

    loop.pollOnce();
    assertThat(events).containsExactly("flushed, committed {}");
    assertThat(committedOffsets()).isEqualTo(Map.of(P0, 3L));
    assertThat(values("a.b")).containsExactly(1.0, 3.0);
    assertThat(values("a.c")).containsExactly(2.0, null);
    assertThat(producer.history()).isEmpty();
  }

  @Test
  void closingWritesAndCommitsTheGatheredBatchThenClosesTheClients() throws Exception {
    ownedPartitionZero();
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    loop.pollOnce();

    loop.close();
    loop.run();

    assertThat(committedOffsets()).isEqualTo(Map.of(P0, 1L));
    assertThat(values("a.b")).containsExactly(1.0, null);
    assertThat(consumer.closed()).isTrue();
    assertThat(producer.closed()).isTrue();
    assertThat(loop.failure()).isNull();
  }

  @Test
  void commitsNothingForAFailedWriteAndWritesTheBatchWhenItIsReadAgain() throws Exception {
    ownedPartitionZero();
    Files.createDirectories(dataDir.resolve("whisper"));
    Files.writeString(dataDir.resolve("whisper/a"), "in the way of the directory a.b needs");
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(point(P0, 1, "c.d", T0, 2));
    loop.pollOnce();

    loop.pollOnce(); // the write fails: nothing is committed, the partition goes back to the batch
    assertThat(committedOffsets()).isEmpty();
    assertThat(events).isEmpty();
    assertThat(consumer.position(P0)).isZero();

    Files.delete(dataDir.resolve("whisper/a"));
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(point(P0, 1, "c.d", T0, 2));
    loop.pollOnce();
    loop.pollOnce();
    assertThat(committedOffsets()).isEqualTo(Map.of(P0, 2L));
    assertThat(values("a.b")).containsExactly(1.0, null);
    assertThat(values("c.d")).containsExactly(2.0, null);
  }

  @Test
  void aRevokedPartitionIsWrittenAndCommittedBeforeItIsGivenUp() throws Exception {
    loop(Map.of()).own();
    consumer.rebalance(List.of(P0, P1));
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(point(P0, 1, "a.b", T0 + 10, 2));
    consumer.addRecord(point(P1, 0, "x.y", T0, 3));
    loop.pollOnce();
    assertThat(committedOffsets()).isEmpty();

    consumer.rebalance(List.of(P1));
    assertThat(committedOffsets()).isEqualTo(Map.of(P0, 2L, P1, 1L));
    assertThat(values("a.b")).containsExactly(1.0, 2.0);
    assertThat(values("x.y")).containsExactly(3.0, null);

    loop.pollOnce(); // nothing left to write for the partition kept
    assertThat(committedOffsets()).isEqualTo(Map.of(P0, 2L, P1, 1L));
  }

  @Test
  void aBatchThatCannotBeWrittenOnRevocationIsDroppedAndTheKeptPartitionReadAgain()
      throws Exception {
    loop(Map.of()).own();
    consumer.rebalance(List.of(P0, P1));
    Files.createDirectories(dataDir.resolve("whisper"));
    Files.writeString(dataDir.resolve("whisper/a"), "in the way");
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(point(P1, 0, "x.y", T0, 3));
    consumer.addRecord(point(P1, 1, "x.y", T0 + 10, 4));
    loop.pollOnce();
    assertThat(consumer.position(P1)).isEqualTo(2);

    consumer.rebalance(List.of(P1));
    assertThat(committedOffsets()).isEmpty(); // the new owner of partition 0 writes it
    assertThat(consumer.position(P1)).isZero();

    consumer.addRecord(point(P1, 0, "x.y", T0, 3));
    consumer.addRecord(point(P1, 1, "x.y", T0 + 10, 4));
    loop.pollOnce();
    loop.pollOnce();
    assertThat(committedOffsets()).isEqualTo(Map.of(P1, 2L));
    assertThat(values("x.y")).containsExactly(3.0, 4.0);
    assertThat(Files.exists(file("a.b"))).isFalse();
  }

  @Test
  void replaysFromTheEarliestOffsetsOnlyTheFirstTimeAPartitionIsOwned() {
    loop(Map.of(SinkConfig.REPLAY_FROM, "earliest"));
    consumer.updateBeginningOffsets(Map.of(P0, 3L, P1, 4L));
    consumer.updateEndOffsets(Map.of(P0, 9L, P1, 9L));
    loop.own();
    consumer.rebalance(List.of(P0));
    assertThat(consumer.seeksToBeginning).containsExactly(Set.of(P0));
    assertThat(consumer.position(P0)).isEqualTo(3);

    consumer.rebalance(List.of(P1));
    consumer.rebalance(List.of(P0, P1)); // owned again: it goes on from its committed offset
    assertThat(consumer.seeksToBeginning).containsExactly(Set.of(P0), Set.of(P1));
  }

  @Test
  void withoutReplayOwningAPartitionSeeksNowhere() {
    loop(Map.of()).own();
    consumer.rebalance(List.of(P0, P1));
    assertThat(consumer.seeksToBeginning).isEmpty();
    assertThat(consumer.asked).isEmpty();
  }

  @Test
  void replaysFromTheFirstRecordAtOrAfterTheInstantOrFromTheEnd() {
    loop(Map.of(SinkConfig.PARTITIONS, "0-1", SinkConfig.REPLAY_FROM, "2026-11-25T10:00:00Z"));
    consumer.found.put(
        P0, new OffsetAndTimestamp(5, Instant.parse("2026-11-25T10:00:02Z").toEpochMilli()));
    consumer.updateEndOffsets(Map.of(P0, 20L, P1, 12L)); // partition 1 has nothing that recent
    loop.own();

    assertThat(consumer.asked)
        .containsExactly(
            Map.of(
                P0, Instant.parse("2026-11-25T10:00:00Z").toEpochMilli(),
                P1, Instant.parse("2026-11-25T10:00:00Z").toEpochMilli()));
    assertThat(consumer.position(P0)).isEqualTo(5);
    assertThat(consumer.position(P1)).isEqualTo(12);
  }

  @Test
  void aBadRecordGoesToRejectsAndTheRecordsAroundItAreWrittenAndCommitted() throws Exception {
    ownedPartitionZero();
    byte[] junk = "not an archive point".getBytes(StandardCharsets.UTF_8);
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(record(P0, 1, junk));
    consumer.addRecord(point(P0, 2, "a.b", T0 + 10, 2));
    consumer.addRecord(point(P0, 3, "a..b", T0, 9)); // no file can have this name
    loop.pollOnce();
    loop.pollOnce();

    assertThat(committedOffsets()).isEqualTo(Map.of(P0, 4L));
    assertThat(values("a.b")).containsExactly(1.0, 2.0);
    List<ProducerRecord<byte[], byte[]>> sent = producer.history();
    assertThat(sent).hasSize(2);
    assertThat(sent).allSatisfy(r -> assertThat(r.topic()).isEqualTo(REJECTS.name()));
    Reject first =
        REJECTS.valueSerde().deserializer().deserialize(REJECTS.name(), sent.get(0).value());
    assertThat(REJECTS.keySerde().deserializer().deserialize(REJECTS.name(), sent.get(0).key()))
        .isEqualTo("undecodable");
    assertThat(first.getReason()).isEqualTo("undecodable");
    assertThat(first.getSourceAddress()).isEqualTo("archives-0");
    assertThat(first.getRaw().array()).isEqualTo(junk);
    assertThat(
            REJECTS
                .valueSerde()
                .deserializer()
                .deserialize(REJECTS.name(), sent.get(1).value())
                .getReason())
        .isEqualTo("invalid_name");
  }

  @Test
  void aRejectThatCannotBeSentKeepsTheBatchUncommitted() throws Exception {
    MockProducer<byte[], byte[]> failing =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer()) {
          @Override
          public synchronized void flush() {
            while (errorNext(new TimeoutException("no broker"))) {
              // every pending send fails
            }
          }
        };
    loop(Map.of(SinkConfig.PARTITIONS, "0"), failing).own();
    consumer.addRecord(point(P0, 0, "a.b", T0, 1));
    consumer.addRecord(record(P0, 1, new byte[] {1, 2, 3}));
    loop.pollOnce();
    loop.pollOnce();

    assertThat(committedOffsets()).isEmpty();
    assertThat(consumer.position(P0)).isZero();
    assertThat(failing.history()).hasSize(1);
  }
}

package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.SERDE;
import static io.graphitekafka.sink.consumer.SinkTestSupport.await;
import static io.graphitekafka.sink.consumer.SinkTestSupport.awaitCommitted;
import static io.graphitekafka.sink.consumer.SinkTestSupport.point;
import static io.graphitekafka.sink.consumer.SinkTestSupport.produce;
import static io.graphitekafka.sink.consumer.SinkTestSupport.props;
import static io.graphitekafka.sink.consumer.SinkTestSupport.rejectReasons;
import static io.graphitekafka.sink.consumer.SinkTestSupport.tree;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.consumer.SinkTestSupport.Names;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.whisper.FetchResult;
import io.graphitekafka.whisper.WhisperFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InconsistentGroupProtocolException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink against a real broker: archive points in, Whisper files, rejects and committed offsets
 * out.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class SinkLoopIT {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120), new ArchiveSpec(300, 48)),
          AggregationMethod.AVERAGE,
          0.5f);
  private static final long NOW = System.currentTimeMillis() / 1000;
  private static final long T0 = NOW - Math.floorMod(NOW, 300) - 300;
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dataDir;

  @Test
  void writesEachArchivePointIntoItsSlotAndCommitsOnlyAfterwards(EmbeddedKafkaBroker kafka)
      throws Exception {
    Names names = Names.create(kafka, 2);
    List<ArchivePoint> points = new ArrayList<>();
    for (String metric : List.of("servers.web01.cpu", "servers.web02.cpu")) {
      points.add(point(metric, LAYOUT, 0, T0, 1.0));
      points.add(point(metric, LAYOUT, 0, T0 + 10, 2.0));
      points.add(point(metric, LAYOUT, 0, T0 + 10, 5.0)); // later record wins the slot
      points.add(point(metric, LAYOUT, 1, T0, 3.0));
    }
    points.add(point("servers.web03.cpu", LAYOUT, 0, T0, 7.0));
    // two hours old: past the 10 s archive's one hour, it would overwrite T0 - 3600's ring slot
    points.add(point("servers.web03.cpu", LAYOUT, 0, T0 - 7200, 8.0));
    produce(kafka, names.archives(), points);

    String group = "sink-" + names.suffix();
    try (Sink sink = new Sink(new SinkConfig(props(kafka, names, dataDir, group)))) {
      sink.start();
      awaitCommitted(kafka, group, names.archives(), 10, WAIT);
      SinkTestSupport.awaitCounted(sink, 9);
      assertThat(sink.stats().creates.sum()).isEqualTo(3);
      assertThat(sink.stats().droppedTooOld.sum()).isEqualTo(1);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(9);
      assertThat(sink.stats().updateOperations.sum()).isBetween(3L, 9L);
      assertThat(sink.metrics().gauges()).containsKey("pointsPerUpdate");
      await(
          "lag gauges",
          WAIT,
          () ->
              sink.metrics()
                  .gauges()
                  .keySet()
                  .containsAll(List.of("consumerLag.0", "consumerLag.1")));
      await(
          "lag to reach 0",
          WAIT,
          () -> sink.stats().lags().values().stream().allMatch(l -> l == 0));
    }

    try (WhisperFile file =
        WhisperFile.openReadOnly(dataDir.resolve("whisper/servers/web01/cpu.wsp"))) {
      assertThat(file.layout()).isEqualTo(LAYOUT);
      FetchResult fine = file.fetch(T0 - 1, T0 + 50, NOW);
      assertThat(fine.step()).isEqualTo(10);
      assertThat(fine.values()).containsExactly(1.0, 5.0, null, null, null, null);
      FetchResult minutes = file.fetch(T0 - 100, T0 + 200, NOW, 60);
      assertThat(minutes.values()[(int) ((T0 - minutes.fromInterval()) / 60)]).isEqualTo(3.0);
    }
    try (WhisperFile file =
        WhisperFile.openReadOnly(dataDir.resolve("whisper/servers/web03/cpu.wsp"))) {
      assertThat(file.fetch(T0 - 1, T0 + 5, NOW).values()[0]).isEqualTo(7.0);
    }
    assertThat(tree(dataDir).keySet())
        .containsExactlyInAnyOrder(
            "whisper/servers/web01/cpu.wsp",
            "whisper/servers/web02/cpu.wsp",
            "whisper/servers/web03/cpu.wsp");
  }

  @Test
  void rejectsEachKindOfBadInputWithItsReasonAndKeepsTheValidPointsAroundIt(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 1);
    ArchiveLayout good = Layouts.toAvro(LAYOUT);
    ArchiveLayout badMethod = new ArchiveLayout(good.getArchives(), "median", 0.5f);
    ArchiveLayout notIncreasing =
        new ArchiveLayout(
            List.of(new ArchiveRetention(60, 120), new ArchiveRetention(10, 360)), "average", 0.5f);
    ArchiveLayout badXff = new ArchiveLayout(good.getArchives(), "average", 1.5f);
    byte[] valid = SERDE.encode(point("ok.before", good, 0, T0, 1.0));
    byte[] unknownFingerprint = Arrays.copyOf(valid, valid.length);
    for (int i = 2; i < 10; i++) {
      unknownFingerprint[i] ^= (byte) 0x5A;
    }
    // a corrupt file already on disk for one series
    Path corrupt = dataDir.resolve("whisper/ok/corrupt.wsp");
    Files.createDirectories(corrupt.getParent());
    Files.write(corrupt, new byte[] {0, 0, 0, 1, 0, 0});

    List<byte[]> values =
        List.of(
            valid,
            "not avro".getBytes(StandardCharsets.UTF_8),
            unknownFingerprint,
            SERDE.encode(point("ok.x", badMethod, 0, T0, 1.0)),
            SERDE.encode(point("ok.x", notIncreasing, 0, T0, 1.0)),
            SERDE.encode(point("ok.x", badXff, 0, T0, 1.0)),
            SERDE.encode(point("ok.x", good, 3, T0, 1.0)),
            SERDE.encode(point("ok.x", good, 0, 1L << 32, 1.0)),
            SERDE.encode(point("ok.x", good, 0, -20, 1.0)),
            SERDE.encode(point("a..b", good, 0, T0, 1.0)),
            SERDE.encode(point("a/../../../etc/x", good, 0, T0, 1.0)),
            SERDE.encode(point("ok.corrupt", good, 0, T0, 1.0)),
            SERDE.encode(point("ok.after", good, 0, T0, 2.0)));
    try (KafkaProducer<String, byte[]> producer = SinkTestSupport.producer(kafka)) {
      for (byte[] v : values) {
        producer.send(new ProducerRecord<>(names.archives(), "k", v));
      }
    }

    String group = "bad-" + names.suffix();
    try (Sink sink = new Sink(new SinkConfig(props(kafka, names, dataDir, group)))) {
      sink.start();
      awaitCommitted(kafka, group, names.archives(), values.size(), WAIT);
      assertThat(sink.stats().rejected.sum()).isEqualTo(11);
      assertThat(sink.metrics().counters())
          .containsEntry("rejects.invalid_layout", 3L)
          .containsEntry("rejects.corrupt_file", 1L);
      assertThat(sink.isRunning()).isTrue();
    }
    assertThat(rejectReasons(kafka, names.rejects(), 11))
        .containsExactlyInAnyOrder(
            "undecodable",
            "unknown_schema",
            "invalid_layout",
            "invalid_layout",
            "invalid_layout",
            "bad_archive_index",
            "bad_timestamp",
            "bad_timestamp",
            "invalid_name",
            "invalid_name",
            "corrupt_file");
    assertThat(tree(dataDir).keySet())
        .containsExactlyInAnyOrder(
            "whisper/ok/before.wsp", "whisper/ok/after.wsp", "whisper/ok/corrupt.wsp");
    assertThat(Files.readAllBytes(corrupt)).containsExactly(0, 0, 0, 1, 0, 0);
    try (WhisperFile file = WhisperFile.openReadOnly(dataDir.resolve("whisper/ok/after.wsp"))) {
      assertThat(file.fetch(T0 - 1, T0, NOW).values()[0]).isEqualTo(2.0);
    }
  }

  @Test
  void retriesAFailingWriteWithoutSkippingAndCommitsNothingUntilItSucceeds(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 1);
    // a regular file where the series' directory must go: every create fails until it is removed
    Path blocker = dataDir.resolve("whisper/blocked");
    Files.createDirectories(blocker.getParent());
    Files.writeString(blocker, "in the way");
    List<ArchivePoint> points =
        List.of(
            point("free.a", LAYOUT, 0, T0, 1.0),
            point("blocked.b", LAYOUT, 0, T0, 2.0),
            point("free.c", LAYOUT, 0, T0, 3.0));
    produce(kafka, names.archives(), points);

    String group = "retry-" + names.suffix();
    Map<String, Object> props = props(kafka, names, dataDir, group);
    props.put(SinkConfig.RETRY_BACKOFF_MAX_MS, "400");
    try (Sink sink = new Sink(new SinkConfig(props));
        KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      sink.start();
      await("write errors", WAIT, () -> sink.stats().errors.sum() >= 3);
      assertThat(KafkaProbe.sum(probe.committed(group, names.archives()))).isZero();
      Files.delete(blocker);
      awaitCommitted(kafka, group, names.archives(), 3, WAIT);
      assertThat(sink.isRunning()).isTrue();
    }
    for (String f : List.of("free/a", "blocked/b", "free/c")) {
      try (WhisperFile file = WhisperFile.openReadOnly(dataDir.resolve("whisper/" + f + ".wsp"))) {
        assertThat(file.fetch(T0 - 1, T0, NOW).values()[0]).as(f).isNotNull();
      }
    }
  }

  @Test
  void capsUpdatesPerSecondBySlowingDownAndWritesEverything(EmbeddedKafkaBroker kafka)
      throws Exception {
    Names names = Names.create(kafka, 1);
    List<ArchivePoint> points = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      points.add(point("capped.s" + i, LAYOUT, 0, T0, i));
    }
    produce(kafka, names.archives(), points);
    String group = "cap-" + names.suffix();
    Map<String, Object> props = props(kafka, names, dataDir, group);
    props.put(SinkConfig.MAX_UPDATES_PER_SECOND, "20");
    props.put("kafka.max.poll.records", "5");
    long started = System.nanoTime();
    try (Sink sink = new Sink(new SinkConfig(props))) {
      sink.start();
      awaitCommitted(kafka, group, names.archives(), 60, WAIT);
      long millis = (System.nanoTime() - started) / 1_000_000;
      // a burst of 20, then 40 more at 20 per second
      assertThat(millis).isGreaterThanOrEqualTo(1_500);
      assertThat(sink.stats().throttlePauses.sum()).isPositive();
      SinkTestSupport.awaitCounted(sink, 60);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(60);
    }
    assertThat(tree(dataDir)).hasSize(60);
  }

  @Test
  void startsFromTheEarliestOffsetWhenResetIsNoneAndTheGroupHasNoOffsets(EmbeddedKafkaBroker kafka)
      throws Exception {
    Names names = Names.create(kafka, 2);
    produce(
        kafka,
        names.archives(),
        List.of(
            point("reset.a", LAYOUT, 0, T0, 1.0),
            point("reset.b", LAYOUT, 0, T0, 2.0),
            point("reset.c", LAYOUT, 0, T0, 3.0)));
    String group = "reset-" + names.suffix();
    Map<String, Object> props = props(kafka, names, dataDir, group);
    props.put("kafka.auto.offset.reset", "none");
    try (Sink sink = new Sink(new SinkConfig(props))) {
      sink.start();
      awaitCommitted(kafka, group, names.archives(), 3, WAIT);
      assertThat(sink.stats().errors.sum()).isPositive(); // the repositioning is counted
    }
    assertThat(tree(dataDir)).hasSize(3);
  }

  @Test
  void onATopicWrittenWithTransactionsTheCommittedOffsetsReachTheEndOffsets(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 2);
    Map<String, Object> producerProps =
        new java.util.HashMap<>(
            Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "tx-" + names.suffix()));
    List<String> metrics = List.of("tx.a", "tx.b", "tx.c", "tx.d");
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            producerProps,
            new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer.initTransactions();
      for (int t = 0;
          t < 3;
          t++) { // each transaction leaves a commit marker in each partition it wrote
        producer.beginTransaction();
        for (String metric : metrics) {
          producer.send(
              new ProducerRecord<>(
                  names.archives(),
                  metric,
                  SERDE.encode(point(metric, LAYOUT, 0, T0 + 10L * t, t + 1.0))));
        }
        producer.commitTransaction();
      }
    }

    String group = "sink-" + names.suffix();
    try (Sink sink = new Sink(new SinkConfig(props(kafka, names, dataDir, group)));
        KafkaProbe probe = new KafkaProbe(kafka.bootstrapServers())) {
      sink.start();
      long end = KafkaProbe.sum(probe.endOffsets(names.archives(), false));
      assertThat(end).as("records plus markers").isGreaterThan(12);
      await(
          "committed offsets to reach the end offsets " + end,
          WAIT,
          () -> {
            try {
              return KafkaProbe.sum(probe.committed(group, names.archives())) == end;
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
      SinkTestSupport.awaitCounted(sink, 12);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(12);
    }
    try (WhisperFile file = WhisperFile.openReadOnly(dataDir.resolve("whisper/tx/c.wsp"))) {
      assertThat(file.fetch(T0 - 1, T0 + 29, NOW).values()).containsExactly(1.0, 2.0, 3.0);
    }
  }

  /**
   * Values are the records' own slices of the fetched buffers, held in a write batch across many
   * polls: with each compression codec (records read from a decompressed stream) and without
   * (records read in place from the fetch response), every point must reach its slot.
   */
  @Test
  void recordsHeldAcrossPollsKeepTheirBytesWithEveryCompression(EmbeddedKafkaBroker kafka)
      throws Exception {
    for (String codec : List.of("none", "lz4", "zstd", "gzip", "snappy")) {
      Names names = Names.create(kafka, 2);
      List<String> metrics = new ArrayList<>();
      for (int s = 0; s < 20; s++) {
        metrics.add("codec." + codec + ".s" + s);
      }
      try (KafkaProducer<String, byte[]> producer =
          SinkTestSupport.producer(
              kafka,
              Map.of(
                  org.apache.kafka.clients.producer.ProducerConfig.COMPRESSION_TYPE_CONFIG,
                  codec,
                  org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG,
                  20))) {
        for (int i = 0; i < 30; i++) {
          for (int s = 0; s < metrics.size(); s++) {
            String metric = metrics.get(s);
            producer.send(
                new ProducerRecord<>(
                    names.archives(),
                    metric,
                    SERDE.encode(point(metric, LAYOUT, 0, T0 - 300 + 10L * i, s * 1000 + i))));
          }
        }
        producer.flush();
      }
      String group = "codec-" + names.suffix();
      Map<String, Object> props = props(kafka, names, dataDir, group);
      props.put("kafka.max.poll.records", "7"); // a write batch of about 85 polls
      props.put(SinkConfig.WRITE_BATCH_MAX_MS, "60000");
      try (Sink sink = new Sink(new SinkConfig(props))) {
        sink.start();
        awaitCommitted(kafka, group, names.archives(), 600, WAIT);
        assertThat(sink.stats().rejected.sum()).as(codec).isZero();
      }
      for (int s = 0; s < metrics.size(); s++) {
        Path file = dataDir.resolve("whisper/codec/" + codec + "/s" + s + ".wsp");
        try (WhisperFile f = WhisperFile.openReadOnly(file)) {
          List<Double> expected = new ArrayList<>();
          for (int i = 0; i < 30; i++) {
            expected.add((double) (s * 1000 + i));
          }
          assertThat(f.fetch(T0 - 301, T0 - 1, NOW).values())
              .as(codec + " " + file)
              .containsExactlyElementsOf(expected);
        }
      }
    }
  }

  /**
   * Raw values are kept only for series whose file is not open when the batch is gathered. A file
   * that was open then, but is evicted by the open-file limit and found corrupt when opened again
   * (changed behind the sink's back), gets its batch retried, and its records are rejected with
   * their bytes.
   */
  @Test
  void aFileFoundCorruptWhenReopenedWithinABatchHasItsRecordsRejectedWithTheirBytes(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 1);
    String group = "reopen-" + names.suffix();
    Map<String, Object> props = props(kafka, names, dataDir, group);
    props.put(SinkConfig.MAX_OPEN_FILES, "1");
    props.put(SinkConfig.WRITE_BATCH_MAX_MS, "3000");
    Path victim = dataDir.resolve("whisper/reopen/victim.wsp");
    byte[] victimValue = SERDE.encode(point("reopen.victim", LAYOUT, 0, T0 + 10, 2.0));
    try (Sink sink = new Sink(new SinkConfig(props))) {
      sink.start();
      produce(kafka, names.archives(), List.of(point("reopen.victim", LAYOUT, 0, T0, 1.0)));
      awaitCommitted(kafka, group, names.archives(), 1, WAIT);
      // the victim's file is the one open file; its header is now destroyed on disk
      byte[] garbage = new byte[64];
      Arrays.fill(garbage, (byte) 0x7F);
      Files.write(victim, garbage, java.nio.file.StandardOpenOption.WRITE);
      // one batch: another series, whose file is written first and takes the only descriptor, then
      // the victim (open when gathered, so its value is not kept), reopened when its turn comes
      try (KafkaProducer<String, byte[]> producer = SinkTestSupport.producer(kafka)) {
        producer.send(
            new ProducerRecord<>(
                names.archives(), "k", SERDE.encode(point("reopen.other", LAYOUT, 0, T0, 3.0))));
        producer.send(new ProducerRecord<>(names.archives(), "k", victimValue));
      }
      awaitCommitted(kafka, group, names.archives(), 3, WAIT);
      assertThat(sink.metrics().counters()).containsEntry("rejects.corrupt_file", 1L);
      assertThat(sink.stats().errors.sum())
          .as("the retry and the corrupt file")
          .isGreaterThanOrEqualTo(2);
      SinkTestSupport.awaitCounted(sink, 2);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(2);
    }
    List<Reject> rejected = SinkTestSupport.rejects(kafka, Topics.rejects(names.rejects()), 1);
    assertThat(rejected)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getReason()).isEqualTo("corrupt_file");
              byte[] raw = new byte[r.getRaw().remaining()];
              r.getRaw().duplicate().get(raw);
              assertThat(raw).isEqualTo(victimValue);
            });
    assertThat(Arrays.copyOf(Files.readAllBytes(victim), 64)).containsOnly((byte) 0x7F);
    try (WhisperFile file = WhisperFile.openReadOnly(dataDir.resolve("whisper/reopen/other.wsp"))) {
      assertThat(file.fetch(T0 - 1, T0, NOW).values()[0]).isEqualTo(3.0);
    }
  }

  /**
   * A group id already used by a member with another assignor (a Streams application, or a consumer
   * with the range assignor) cannot be joined however often the sink retries: it stops with a
   * message naming the group, instead of logging errors forever.
   */
  @Test
  void stopsWithAClearErrorWhenItsGroupIsUsedByAnotherKindOfMember(EmbeddedKafkaBroker kafka)
      throws Exception {
    Names names = Names.create(kafka, 1);
    String group = "shared-" + names.suffix();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean joined = new AtomicBoolean();
    Thread other =
        new Thread(
            () -> {
              try (KafkaConsumer<byte[], byte[]> consumer =
                  new KafkaConsumer<>(
                      Map.of(
                          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                          ConsumerConfig.GROUP_ID_CONFIG, group,
                          ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                              RangeAssignor.class.getName()),
                      new ByteArrayDeserializer(),
                      new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(names.archives()));
                while (!stop.get()) {
                  consumer.poll(Duration.ofMillis(100));
                  if (!consumer.assignment().isEmpty()) {
                    joined.set(true);
                  }
                }
              }
            });
    other.start();
    try {
      await("the other member to own the partition", WAIT, joined::get);
      try (Sink sink = new Sink(new SinkConfig(props(kafka, names, dataDir, group)))) {
        sink.start();
        assertThat(sink.awaitStopped(60, TimeUnit.SECONDS)).as("the sink stops").isTrue();
        assertThat(sink.failure())
            .isInstanceOf(InconsistentGroupProtocolException.class)
            .hasMessageContaining(
                "group " + group + " is in use by a member with another protocol");
      }
    } finally {
      stop.set(true);
      other.join();
    }
  }
}

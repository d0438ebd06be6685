package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.config.ReplayFrom;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.whisper.WhisperFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InconsistentGroupProtocolException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's consumer loop on its own thread: poll archive points, write them per file in contiguous
 * runs, flush, then commit, so offsets only ever follow durable writes. Failures are handled in tiers
 * (fatal stops the loop, a bad offset is repositioned, anything else is retried from the start of the
 * failed batch with backoff), and flow control pauses partitions instead of dropping points.
 */
public final class SinkLoop implements Runnable, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
  private static final long MAX_PAUSED_POLL_MS = 50;
  private static final long INITIAL_BACKOFF_MS = 100;
  private static final int LOGGED_REJECTS_PER_REASON = 10;

  private final SinkConfig config;
  private final SinkStats stats;
  private final String topic;
  private final Topic<String, Reject> rejects;
  private final RecordDecoder decoder;
  private final ArchiveWriter writer;
  private final RateLimiter createBudget;
  private final RateLimiter updateBudget;
  private final ReplayFrom replayFrom;
  private final List<Integer> explicitPartitions;
  private final long maxBackoffMs;
  private final int batchMaxRecords;
  private final long batchMaxBytes;
  private final long batchMaxNanos;
  // The write batch gathered from one or more polls, written, flushed and committed as a whole.
  private final Batch batch = new Batch();
  private final String offsetReset;
  private final KafkaConsumer<Void, ByteBuffer> consumer;
  private final KafkaProducer<byte[], byte[]> rejectProducer;
  private final AtomicReference<Exception> rejectFailure = new AtomicReference<>();
  private final Map<String, Long> rejectsLogged = new HashMap<>();
  // Partitions whose position was rewound to a record whose file may not be created yet.
  private final Set<TopicPartition> waitingForCreates = new HashSet<>();
  // Partitions replayed since start; each is replayed once, the first time it is owned.
  private final Set<TopicPartition> replayed = new HashSet<>();
  // Offsets written and flushed whose commit has not succeeded yet.
  private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
  // The offset last committed per owned partition, to see a position that moved past markers since.
  private final Map<TopicPartition, Long> committedPositions = new HashMap<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Throwable failure;
  private boolean throttled;
  private Thread thread;

  public SinkLoop(SinkConfig config, SinkStats stats) {
    this(config, stats, SeriesListener.NONE);
  }

  /** @param listener told of series files created, written and flushed, on the loop's thread */
  public SinkLoop(SinkConfig config, SinkStats stats, SeriesListener listener) {
    this(config, stats, Clock.systemUTC(), listener);
  }

  SinkLoop(SinkConfig config, SinkStats stats, Clock clock) {
    this(config, stats, clock, SeriesListener.NONE);
  }

  SinkLoop(SinkConfig config, SinkStats stats, Clock clock, SeriesListener listener) {
    this.config = config;
    this.stats = stats;
    this.topic = config.archivesTopic();
    SchemaRegistryClient registry = RegistrySettings.client(config);
    this.rejects = Topics.rejects(config.rejectsTopic(), registry);
    this.decoder = new RecordDecoder(config.whisperDir(), config.getBoolean(SinkConfig.HASH_TAGGED_NAMES),
        registry == null ? null : AvroSerde.confluent(ArchivePoint.class, registry));
    this.writer = new ArchiveWriter(config.fillMode(), config.getBoolean(SinkConfig.FSYNC),
        config.maxOpenFiles(), stats, clock, listener);
    this.createBudget = RateLimiter.perSecond(config.maxCreatesPerMinute() / 60, System::nanoTime);
    this.updateBudget = RateLimiter.perSecond(config.maxUpdatesPerSecond(), System::nanoTime);
    this.replayFrom = config.replayFrom();
    this.explicitPartitions = config.explicitPartitions();
    this.maxBackoffMs = config.getLong(SinkConfig.RETRY_BACKOFF_MAX_MS);
    this.batchMaxRecords = config.getInt(SinkConfig.WRITE_BATCH_MAX_RECORDS);
    this.batchMaxBytes = config.getLong(SinkConfig.WRITE_BATCH_MAX_BYTES);
    this.batchMaxNanos = TimeUnit.MILLISECONDS.toNanos(config.getLong(SinkConfig.WRITE_BATCH_MAX_MS));
    Map<String, Object> consumerProps = consumerProperties(config);
    this.offsetReset = String.valueOf(consumerProps.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG))
        .toLowerCase(Locale.ROOT);
    // Keys (the series name, for partitioning) are never read: skipped without copying them. Values
    // are the record's own slice of the fetched (or decompressed) buffer, not a copy; the client
    // allocates those buffers per fetch and never reuses them, so a slice stays valid in a write batch
    // across polls.
    this.consumer = new KafkaConsumer<>(consumerProps, new SkipKey(), new ByteBufferDeserializer());
    this.rejectProducer = new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** A key deserializer that skips the key's bytes. */
  private static final class SkipKey implements Deserializer<Void> {
    @Override
    public Void deserialize(String topic, byte[] data) {
      return null;
    }

    @Override
    public Void deserialize(String topic, Headers headers, ByteBuffer data) {
      return null;
    }
  }

  static Map<String, Object> consumerProperties(SinkConfig config) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(SinkConfig.GROUP_ID));
    String instance = config.getString(SinkConfig.GROUP_INSTANCE_ID).trim();
    if (!instance.isEmpty() && config.explicitPartitions().isEmpty()) {
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
    }
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50_000);
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink");
    config.kafkaOverrides().forEach((k, v) -> {
      if (ConsumerConfig.configNames().contains(k)) {
        props.put(k, v);
      }
    });
    return props;
  }

  private static Map<String, Object> producerProperties(SinkConfig config) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink-rejects");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    config.kafkaOverrides().forEach((k, v) -> {
      if (ProducerConfig.configNames().contains(k)) {
        props.put(k, v); // shared client settings such as security.protocol and sasl.*
      }
    });
    return props;
  }

  /** Starts the loop on its own thread. */
  public void start() {
    thread = new Thread(this, "whisper-sink");
    thread.start();
  }

  /** Whether the loop is still consuming (false after close or a fatal error). */
  public boolean isRunning() {
    return stopped.getCount() > 0;
  }

  /** The fatal error that stopped the loop, or {@code null}. */
  public Throwable failure() {
    return failure;
  }

  /** Waits until the loop has stopped and closed its files and clients. */
  public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
    return stopped.await(timeout, unit);
  }

  @Override
  public void run() {
    try {
      own();
      long backoff = INITIAL_BACKOFF_MS;
      while (running) {
        try {
          applyFlowControl();
          ConsumerRecords<Void, ByteBuffer> records = consumer.poll(pollTimeout());
          updateLag();
          if (!records.isEmpty()) {
            gather(records);
          }
          if (!batch.isEmpty() && (records.isEmpty() || batchFull())) {
            writeAndCommit();
          } else if (batch.isEmpty() && records.isEmpty()) {
            commitAdvancedPositions();
          }
          backoff = INITIAL_BACKOFF_MS;
        } catch (WakeupException e) {
          if (running) {
            throw e;
          }
        } catch (OffsetOutOfRangeException e) {
          reposition(e.partitions(), "its offset is out of range");
        } catch (NoOffsetForPartitionException e) {
          reposition(e.partitions(), "it has no committed offset");
        } catch (RecordDeserializationException e) {
          skipCorruptRecord(e);
        } catch (IOException | KafkaException e) {
          if (e instanceof InconsistentGroupProtocolException) {
            throw new InconsistentGroupProtocolException("group " + config.getString(SinkConfig.GROUP_ID)
                + " is in use by a member with another protocol or assignor (a Kafka Streams"
                + " application id, or another consumer); give each storage replica a group.id of its"
                + " own", e);
          }
          if (isFatal(e)) {
            throw (KafkaException) e;
          }
          stats.errors.increment();
          if (e instanceof IOException) {
            stats.writeErrors.increment();
          }
          stats.failed();
          log.error("writing or committing {} failed; retrying from the start of the batch in {} ms: {}",
              batch.start, backoff, e.toString());
          writer.discard();
          rewind(batch.start);
          batch.clear();
          sleep(backoff);
          backoff = Math.min(backoff * 2, maxBackoffMs);
        }
      }
      if (!batch.isEmpty()) {
        try {
          writeAndCommit(); // close() finishes the batch
        } catch (IOException | KafkaException e) {
          log.warn("could not finish the last batch {} on close; it is read again at the next start:"
              + " {}", batch.start, e.toString());
          writer.discard();
        }
      }
    } catch (WakeupException e) {
      failure = e;
      log.error("unexpected wakeup of the sink consumer", e);
    } catch (RuntimeException e) {
      failure = e;
      log.error("sink stopped by a fatal error", e);
    } finally {
      try {
        writer.close();
      } catch (IOException e) {
        log.error("closing Whisper files: {}", e.toString());
      }
      try {
        consumer.close(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        log.warn("closing the consumer: {}", e.toString());
      }
      rejectProducer.close(Duration.ofSeconds(10));
      stopped.countDown();
    }
  }

  // --- ownership -------------------------------------------------------------------------------

  private void own() {
    if (explicitPartitions.isEmpty()) {
      consumer.subscribe(List.of(topic), new Rebalance());
      log.info("joining group {} for {}", config.getString(SinkConfig.GROUP_ID), topic);
      return;
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p : explicitPartitions) {
      partitions.add(new TopicPartition(topic, p));
    }
    consumer.assign(partitions);
    log.info("owning explicit partitions {}", partitions);
    replay(partitions);
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // The batch gathered so far is written, flushed and committed before the partitions are given up,
      // as is a commit that failed earlier. If that fails, nothing of the batch is committed: the new
      // owners rewrite the revoked partitions, and the kept ones are read again from the batch's start.
      try {
        if (!batch.isEmpty()) {
          commit(writeAndFlush());
        }
        writer.flush();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
          OffsetAndMetadata o = uncommitted.remove(tp);
          if (o != null) {
            offsets.put(tp, o);
          }
        }
        if (!offsets.isEmpty()) {
          consumer.commitSync(offsets);
        }
      } catch (IOException | KafkaException e) {
        log.warn("could not flush and commit {} before giving them up; their new owner rewrites"
            + " them: {}", partitions, e.toString());
        abandonBatch(partitions);
      }
      forget(partitions);
      log.info("revoked {}", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Not ours any more, so nothing of the batch is written: the new owners rewrite the lost
      // partitions, and the kept ones are read again from the batch's start.
      abandonBatch(partitions);
      forget(partitions);
      log.warn("lost {} without a chance to commit; their new owner rewrites them", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      log.info("assigned {}", partitions);
      replay(partitions);
    }
  }

  /** Drops the gathered batch unwritten and rewinds the partitions still owned to its start. */
  private void abandonBatch(Collection<TopicPartition> givenUp) {
    if (batch.isEmpty()) {
      return;
    }
    writer.discard();
    Map<TopicPartition, Long> kept = new HashMap<>(batch.start);
    givenUp.forEach(kept::remove);
    rewind(kept);
    batch.clear();
  }

  private void forget(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      waitingForCreates.remove(tp);
      uncommitted.remove(tp);
      committedPositions.remove(tp);
      stats.removeLag(tp.partition());
    }
  }

  private void replay(Collection<TopicPartition> partitions) {
    if (replayFrom == null) {
      return;
    }
    List<TopicPartition> fresh = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      if (replayed.add(tp)) {
        fresh.add(tp);
      }
    }
    if (fresh.isEmpty()) {
      return;
    }
    if (replayFrom.earliest()) {
      consumer.seekToBeginning(fresh);
      log.info("replaying {} from the earliest offsets", fresh);
      return;
    }
    Map<TopicPartition, Long> query = new HashMap<>();
    for (TopicPartition tp : fresh) {
      query.put(tp, replayFrom.instant().toEpochMilli());
    }
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
    Map<TopicPartition, Long> ends = consumer.endOffsets(fresh);
    for (TopicPartition tp : fresh) {
      OffsetAndTimestamp o = found.get(tp);
      // no record at or after the instant: nothing to replay, continue from the end
      long offset = o == null ? ends.get(tp) : o.offset();
      consumer.seek(tp, offset);
      log.info("replaying {} from offset {} (first record at or after {})", tp, offset,
          replayFrom.instant());
    }
  }

  // --- flow control ----------------------------------------------------------------------------

  /** Pauses the partitions that wait for create budget, or all of them while updates are over budget. */
  private void applyFlowControl() {
    if (throttled && !updateBudget.inDebt()) {
      throttled = false;
    }
    if (!waitingForCreates.isEmpty() && createBudget.hasToken()) {
      waitingForCreates.clear();
    }
    Set<TopicPartition> assignment = consumer.assignment();
    Set<TopicPartition> wanted = new HashSet<>();
    for (TopicPartition tp : assignment) {
      if (throttled || waitingForCreates.contains(tp)) {
        wanted.add(tp);
      }
    }
    Set<TopicPartition> paused = consumer.paused();
    List<TopicPartition> toPause = new ArrayList<>();
    for (TopicPartition tp : wanted) {
      if (!paused.contains(tp)) {
        toPause.add(tp);
      }
    }
    List<TopicPartition> toResume = new ArrayList<>();
    for (TopicPartition tp : paused) {
      if (!wanted.contains(tp) && assignment.contains(tp)) {
        toResume.add(tp);
      }
    }
    if (!toPause.isEmpty()) {
      consumer.pause(toPause);
    }
    if (!toResume.isEmpty()) {
      consumer.resume(toResume);
    }
  }

  private Duration pollTimeout() {
    long wait = 0;
    if (throttled) {
      wait = updateBudget.nanosUntil(0);
    }
    if (!waitingForCreates.isEmpty()) {
      wait = Math.max(wait, createBudget.nanosUntil(1));
    }
    long millis = POLL_TIMEOUT.toMillis();
    if (throttled || !waitingForCreates.isEmpty()) {
      millis = Math.max(1, Math.min(MAX_PAUSED_POLL_MS, wait / 1_000_000));
    }
    if (!batch.isEmpty()) {
      // a batch waits for more records until its deadline at most
      long left = batch.startedNanos + batchMaxNanos - System.nanoTime();
      millis = Math.min(millis, Math.max(0, left / 1_000_000));
    }
    return Duration.ofMillis(millis);
  }

  /**
   * Whether the batch is to be written now: it holds the most records or bytes, it is as old as
   * allowed, or it updates as many files as the update budget has left (each file of a batch is one
   * update, and the budget is what slows consumption down).
   */
  private boolean batchFull() {
    return batch.records >= batchMaxRecords || batch.bytes >= batchMaxBytes
        || System.nanoTime() - batch.startedNanos >= batchMaxNanos
        || batch.series.size() >= updateBudget.available();
  }

  private void updateLag() {
    for (TopicPartition tp : consumer.assignment()) {
      consumer.currentLag(tp).ifPresent(lag -> stats.lag(tp.partition(), lag));
    }
  }

  // --- the batch -------------------------------------------------------------------------------

  /**
   * The write batch: per-series slots in offset order, the next offset of each partition and the
   * partition's first offset in the batch (where a failed batch is read again from).
   */
  private static final class Batch {
    final Map<String, SeriesBatch> series = new LinkedHashMap<>();
    final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    final Map<TopicPartition, Long> start = new HashMap<>();
    int records;
    long bytes;
    long startedNanos;

    boolean isEmpty() {
      return start.isEmpty();
    }

    void clear() {
      series.clear();
      offsets.clear();
      start.clear();
      records = 0;
      bytes = 0;
    }
  }

  /** Decodes a poll's records into the batch; a record whose file cannot be created yet stops its partition. */
  private void gather(ConsumerRecords<Void, ByteBuffer> records) {
    if (batch.isEmpty()) {
      batch.startedNanos = System.nanoTime();
    }
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<Void, ByteBuffer>> list = records.records(tp);
      long first = list.get(0).offset();
      batch.start.putIfAbsent(tp, first);
      long next = first;
      for (ConsumerRecord<Void, ByteBuffer> record : list) {
        ByteBuffer value = record.value();
        DecodedPoint point;
        try {
          point = decoder.decode(value);
        } catch (BadRecordException e) {
          reject(record, e.reason(), e.getMessage());
          next = record.offset() + 1;
          continue;
        }
        SeriesBatch series = batch.series.get(point.metric());
        if (series == null) {
          boolean open = writer.isOpen(point.metric());
          // Only a limited create budget needs to know whether the file exists (a stat per series
          // whose file is not open); without a limit, the writer finds out when it opens the file.
          if (!open && !createBudget.unlimited() && !writer.exists(point.path())
              && !createBudget.tryAcquire()) {
            // No budget to create this file: stop the partition here and come back to this record.
            consumer.seek(tp, record.offset());
            consumer.pause(List.of(tp));
            waitingForCreates.add(tp);
            stats.createPauses.increment();
            log.debug("create budget spent; pausing {} at offset {}", tp, record.offset());
            break;
          }
          series = new SeriesBatch(point.metric(), point.path(), point.layout(), !open);
          batch.series.put(point.metric(), series);
        }
        series.add(point);
        series.addRecord(value);
        batch.records++;
        batch.bytes += value.remaining();
        next = record.offset() + 1;
      }
      if (next > first) {
        batch.offsets.put(tp, new OffsetAndMetadata(next));
      }
    }
  }

  /**
   * On a topic written with transactions (the aggregator's), each transaction ends with a commit marker
   * that takes an offset but is never returned as a record, and aborted records are skipped. Committing
   * the last written record + 1 would leave every partition's committed offset one or more below its end
   * offset for good, and lag tools would never show 0. So where the consumer's position has moved past
   * what is committed or in the batch, and every record before it is in the batch or committed (all
   * records a poll returns are gathered, and a partition stopped for creates is sought back to its first
   * unwritten record), the position is committed instead. Only partitions with a known position.
   */
  private void addAdvancedPositions(Map<TopicPartition, OffsetAndMetadata> offsets) {
    for (TopicPartition tp : consumer.assignment()) {
      OffsetAndMetadata inBatch = offsets.get(tp);
      Long committed = committedPositions.get(tp);
      if (inBatch == null && committed == null) {
        continue;
      }
      long position;
      try {
        position = consumer.position(tp, Duration.ZERO);
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        continue; // no position known without asking the broker: nothing read from it yet
      }
      long floor = inBatch != null ? inBatch.offset() : committed;
      if (position > floor) {
        offsets.put(tp, new OffsetAndMetadata(position));
      }
    }
  }

  /** With nothing to write, commits positions that only moved past transaction markers. */
  private void commitAdvancedPositions() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    addAdvancedPositions(offsets);
    if (!offsets.isEmpty()) {
      consumer.commitSync(offsets);
      offsets.forEach((tp, o) -> committedPositions.put(tp, o.offset()));
    }
  }

  private void writeAndCommit() throws IOException {
    commit(writeAndFlush());
  }

  /** Commits a written and flushed batch, then counts it and empties it. */
  private void commit(Written done) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(batch.offsets);
    addAdvancedPositions(offsets);
    if (!offsets.isEmpty()) {
      uncommitted.putAll(offsets);
      consumer.commitSync(offsets);
      offsets.keySet().forEach(uncommitted::remove);
      offsets.forEach((tp, o) -> committedPositions.put(tp, o.offset()));
    }
    batch.clear();
    stats.committed();
    // counted after the commit, so a batch written again after a failed commit is counted once; the
    // drops before committedPoints, so whoever sees the points counted sees the drops too
    stats.droppedTooOld.add(done.tooOld);
    stats.droppedNoArchive.add(done.noArchive);
    stats.updates(done.operations, done.written, done.nanos);
    log.trace("committed {}", offsets);
    updateBudget.consume(done.operations);
    if (updateBudget.inDebt()) {
      throttled = true;
      stats.throttlePauses.increment();
    }
  }

  private record Written(long operations, long written, long tooOld, long noArchive, long nanos) {}

  /** Writes the batch, then flushes every written file and the rejects; the batch stays until committed. */
  private Written writeAndFlush() throws IOException {
    long started = System.nanoTime();
    long written = 0;
    long tooOld = 0;
    long noArchive = 0;
    long operations = 0;
    for (SeriesBatch series : batch.series.values()) {
      try {
        WriteResult result = writer.write(series);
        written += result.written();
        tooOld += result.droppedTooOld();
        noArchive += result.droppedNoArchive();
        operations++;
      } catch (WhisperFormatException e) {
        if (!series.keepsRecords()) {
          // Its file was open when the batch was gathered, then closed (evicted) and found corrupt
          // when opened again: changed behind the sink's back. Its records were not kept, so the
          // batch is retried; gathered again, they are kept and rejected below.
          throw e;
        }
        // A corrupt file is never written to; its points go to the rejects topic, not lost, and the
        // partition goes on. Retrying could not help until an operator repairs or removes the file.
        stats.errors.increment();
        log.error("{}; rejecting its {} records", e.getMessage(), series.records().size());
        for (ByteBuffer raw : series.records()) {
          reject(bytes(raw), "corrupt_file", e.getMessage(), topic);
        }
      }
    }
    writer.flush();
    long elapsed = System.nanoTime() - started;
    rejectProducer.flush();
    Exception sendFailure = rejectFailure.getAndSet(null);
    if (sendFailure != null) {
      throw new KafkaException("sending rejects to " + rejects.name() + " failed", sendFailure);
    }
    return new Written(operations, written, tooOld, noArchive, elapsed);
  }

  /**
   * Errors a retry cannot fix: bad credentials or permissions, a fenced static member, bad config, a
   * group id shared with another kind of application (handled before this check, for its message).
   */
  private static boolean isFatal(Exception e) {
    return e instanceof AuthenticationException || e instanceof AuthorizationException
        || e instanceof FencedInstanceIdException || e instanceof UnsupportedVersionException
        || e instanceof InvalidGroupIdException || e instanceof InvalidTopicException
        || e instanceof InvalidConfigurationException || e instanceof InterruptException;
  }

  // --- failures --------------------------------------------------------------------------------

  /** Puts the partitions of a failed batch back to its first record, so nothing of it is skipped. */
  private void rewind(Map<TopicPartition, Long> batchStart) {
    Set<TopicPartition> assignment = consumer.assignment();
    batchStart.forEach((tp, offset) -> {
      if (assignment.contains(tp)) {
        consumer.seek(tp, offset);
      }
    });
  }

  /**
   * Repositions partitions whose offset the broker no longer has (or never had) as {@code
   * auto.offset.reset} says; {@code none} resets to the earliest offset, since the sink never skips.
   */
  private void reposition(Collection<TopicPartition> partitions, String why) {
    stats.errors.increment();
    List<TopicPartition> owned = new ArrayList<>(partitions);
    owned.retainAll(consumer.assignment());
    if (offsetReset.equals("latest")) {
      log.warn("{}: {}; moving to the latest offsets (auto.offset.reset=latest)", owned, why);
      consumer.seekToEnd(owned);
    } else {
      log.warn("{}: {}; moving to the earliest offsets (auto.offset.reset={})", owned, why,
          offsetReset);
      consumer.seekToBeginning(owned);
    }
  }

  private void skipCorruptRecord(RecordDeserializationException e) {
    TopicPartition tp = e.topicPartition();
    log.error("record {}-{}@{} is corrupt; rejecting it and moving past it: {}", tp.topic(),
        tp.partition(), e.offset(), e.getMessage());
    stats.reject("corrupt_record");
    sendReject(new byte[0], "corrupt_record", e.getMessage(), tp.topic() + "-" + tp.partition());
    consumer.seek(tp, e.offset() + 1);
  }

  private void reject(ConsumerRecord<Void, ByteBuffer> record, String reason, String detail) {
    long seen = rejectsLogged.merge(reason, 1L, Long::sum);
    if (seen <= LOGGED_REJECTS_PER_REASON || seen % 1000 == 0) {
      log.warn("rejected record {}-{}@{} ({} so far with this reason): {}: {}", record.topic(),
          record.partition(), record.offset(), seen, reason, detail);
    } else {
      log.trace("rejected record {}-{}@{}: {}: {}", record.topic(), record.partition(),
          record.offset(), reason, detail);
    }
    reject(bytes(record.value()), reason, detail, record.topic() + "-" + record.partition());
  }

  private static byte[] bytes(ByteBuffer value) {
    if (value == null) {
      return null;
    }
    byte[] copy = new byte[value.remaining()];
    value.duplicate().get(copy);
    return copy;
  }

  private void reject(byte[] value, String reason, String detail, String source) {
    stats.reject(reason);
    sendReject(value, reason, detail, source);
  }

  private void sendReject(byte[] value, String reason, String detail, String source) {
    byte[] raw = value == null ? new byte[0] : value;
    Reject reject = new Reject(ByteBuffer.wrap(raw), reason, detail, "whisper-sink", source, null,
        System.currentTimeMillis());
    rejectProducer.send(new ProducerRecord<>(rejects.name(),
        rejects.keySerde().serializer().serialize(rejects.name(), reason),
        rejects.valueSerde().serializer().serialize(rejects.name(), reject)), (meta, error) -> {
          if (error != null) {
            rejectFailure.compareAndSet(null, error);
          }
        });
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Stops polling after the current batch is written, flushed and committed, and closes the files. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    if (thread != null && !stopped.await(15, TimeUnit.SECONDS)) {
      consumer.wakeup(); // a poll or commit is stuck on an unreachable broker
      stopped.await();
    }
  }
}

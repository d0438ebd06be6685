package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.restart.StartupPhases;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.metrics.SinkStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's consumer loop on its own thread: poll archive points, write them per file in
 * contiguous runs, flush, then commit, so offsets only ever follow durable writes. Failures are
 * handled in tiers (fatal stops the loop, a bad offset is repositioned, anything else is retried
 * from the start of the failed batch with backoff), and flow control pauses partitions instead of
 * dropping points. The clients are handed in ({@link SinkClients} builds the real ones); the commit
 * protocol over the write batch is {@link BatchCommitter}'s, the flow control {@link Throttles}',
 * the rejects {@link RejectsPublisher}'s.
 */
public final class SinkLoop implements Runnable, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);
  private static final long INITIAL_BACKOFF_MS = 100;

  private final SinkStats stats;
  private final String topic;
  private final String groupId;
  private final List<Integer> explicitPartitions;
  private final String offsetReset;
  private final long maxBackoffMs;
  private final Throttles throttles;
  private final BatchCommitter batch;
  private final PartitionReplay replay;
  private final Consumer<Void, ByteBuffer> consumer;
  private final RejectsPublisher rejects;
  private final StartupPhases phases = new StartupPhases("sink");
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Throwable failure;
  private volatile boolean upToDate;
  private long backoffMs = INITIAL_BACKOFF_MS;
  private Thread thread;

  /**
   * @param listener told of series files created, written and flushed, on the loop's thread
   * @param consumer the archives consumer, closed by the loop when it stops
   * @param rejectsProducer the producer of the rejects topic, closed by the loop when it stops
   */
  public SinkLoop(
      SinkConfig config,
      SinkStats stats,
      SeriesListener listener,
      Consumer<Void, ByteBuffer> consumer,
      Producer<byte[], byte[]> rejectsProducer) {
    this(config, stats, Clock.systemUTC(), listener, consumer, rejectsProducer);
  }

  SinkLoop(
      SinkConfig config,
      SinkStats stats,
      Clock clock,
      SeriesListener listener,
      Consumer<Void, ByteBuffer> consumer,
      Producer<byte[], byte[]> rejectsProducer) {
    this.stats = stats;
    this.topic = config.archivesTopic();
    this.groupId = config.getString(SinkConfig.GROUP_ID);
    this.explicitPartitions = config.explicitPartitions();
    this.offsetReset = SinkClientConfig.offsetReset(config);
    this.maxBackoffMs = config.getLong(SinkConfig.RETRY_BACKOFF_MAX_MS);
    SchemaRegistryClient registry = RegistrySettings.client(config);
    this.throttles = Throttles.of(config, stats);
    this.replay = new PartitionReplay(config.replayFrom());
    this.consumer = consumer;
    this.rejects =
        new RejectsPublisher(
            rejectsProducer, Topics.rejects(config.rejectsTopic(), registry), stats);
    this.batch =
        new BatchCommitter(
            consumer,
            new RecordDecoder(
                config.whisperDir(),
                config.getBoolean(SinkConfig.HASH_TAGGED_NAMES),
                Topics.archives(topic, registry).valueSerde()),
            new ArchiveWriter(
                config.fillMode(),
                config.getBoolean(SinkConfig.FSYNC),
                config.maxOpenFiles(),
                stats,
                clock,
                listener),
            rejects,
            throttles,
            new WriteBatch(
                config.getInt(SinkConfig.WRITE_BATCH_MAX_RECORDS),
                config.getLong(SinkConfig.WRITE_BATCH_MAX_BYTES),
                TimeUnit.MILLISECONDS.toNanos(config.getLong(SinkConfig.WRITE_BATCH_MAX_MS))),
            stats,
            topic);
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
      while (running) {
        pollOnce();
      }
      finishBatch();
    } catch (WakeupException e) {
      failure = e;
      log.error("unexpected wakeup of the sink consumer", e);
    } catch (RuntimeException e) {
      failure = e;
      log.error("sink stopped by a fatal error", e);
    } finally {
      try {
        batch.closeFiles();
      } catch (IOException e) {
        log.error("closing Whisper files: {}", e.toString());
      }
      try {
        // A static member would otherwise keep its partitions until its session times out: a sink
        // stopped on purpose hands them over at once, a crashed one is taken back on restart.
        consumer.close(
            CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(10)));
      } catch (RuntimeException e) {
        log.warn("closing the consumer: {}", e.toString());
      }
      rejects.close();
      stopped.countDown();
    }
  }

  /**
   * One turn of the loop: poll, gather, and write and commit the batch when the poll came back
   * empty or the batch is full. Anything but a fatal error is handled here.
   */
  void pollOnce() {
    try {
      throttles.apply(consumer);
      ConsumerRecords<Void, ByteBuffer> records =
          consumer.poll(Duration.ofMillis(batch.pollMillis()));
      updateLag();
      replay.showProgress(consumer);
      if (!records.isEmpty()) {
        batch.gather(records);
      }
      if (!batch.isEmpty() && (records.isEmpty() || batch.full())) {
        batch.writeAndCommit();
        phases.reached(StartupPhases.FIRST_COMMIT);
      } else if (batch.isEmpty() && records.isEmpty()) {
        batch.commitAdvancedPositions();
        upToDate = caughtUp();
        if (upToDate) {
          phases.reached(StartupPhases.CAUGHT_UP);
        }
      }
      if (!records.isEmpty()) {
        upToDate = false;
      }
      backoffMs = INITIAL_BACKOFF_MS;
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
      KafkaException fatal = FailureTiers.fatal(e, groupId);
      if (fatal != null) {
        throw fatal;
      }
      stats.errors.increment();
      if (e instanceof IOException) {
        stats.writeErrors.increment();
      }
      stats.failed();
      log.error(
          "writing or committing {} failed; retrying from the start of the batch in {} ms: {}",
          batch,
          backoffMs,
          e.toString());
      batch.retry();
      sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    }
  }

  /** Writes, flushes and commits what is gathered when the loop is told to stop. */
  void finishBatch() {
    if (batch.isEmpty()) {
      return;
    }
    try {
      batch.writeAndCommit();
    } catch (IOException | KafkaException e) {
      log.warn(
          "could not finish the last batch {} on close; it is read again at the next start: {}",
          batch,
          e.toString());
      batch.discardWrites();
    }
  }

  /**
   * Whether every owned partition is read to its end and everything read is written and committed:
   * the start-up's last phase.
   */
  private boolean caughtUp() {
    Set<TopicPartition> owned = consumer.assignment();
    if (owned.isEmpty() || !batch.isEmpty()) {
      return false;
    }
    for (TopicPartition tp : owned) {
      OptionalLong lag = consumer.currentLag(tp);
      if (lag.isEmpty() || lag.getAsLong() != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether the last poll found every owned partition read to its end, written and committed. */
  public boolean upToDate() {
    return upToDate;
  }

  /** The start-up phases reached so far. */
  public StartupPhases phases() {
    return phases;
  }

  private void updateLag() {
    for (TopicPartition tp : consumer.assignment()) {
      consumer.currentLag(tp).ifPresent(lag -> stats.lag(tp.partition(), lag));
    }
  }

  // --- ownership -------------------------------------------------------------------------------

  /** Joins the group, or takes the explicit partitions and replays them if asked to. */
  void own() {
    if (explicitPartitions.isEmpty()) {
      consumer.subscribe(List.of(topic), new Rebalance());
      log.info("joining group {} for {}", groupId, topic);
      return;
    }
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p : explicitPartitions) {
      partitions.add(new TopicPartition(topic, p));
    }
    consumer.assign(partitions);
    log.info("owning explicit partitions {}", partitions);
    phases.reached(StartupPhases.GROUP_JOINED, partitions.size() + " explicit partitions");
    replay.onOwned(consumer, partitions);
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      batch.revoke(partitions);
      log.info("revoked {}", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Not ours any more, so nothing of the batch is written: the new owners rewrite the lost
      // partitions, and the kept ones are read again from the batch's start.
      batch.lose(partitions);
      log.warn("lost {} without a chance to commit; their new owner rewrites them", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      log.info("assigned {}", partitions);
      phases.reached(StartupPhases.GROUP_JOINED, partitions.size() + " partitions");
      replay.onOwned(consumer, partitions);
    }
  }

  // --- failures --------------------------------------------------------------------------------

  /**
   * Repositions partitions whose offset the broker no longer has (or never had) as {@code
   * auto.offset.reset} says; {@code none} resets to the earliest offset, since the sink never
   * skips.
   */
  private void reposition(Collection<TopicPartition> partitions, String why) {
    stats.errors.increment();
    List<TopicPartition> owned = new ArrayList<>(partitions);
    owned.retainAll(consumer.assignment());
    if (offsetReset.equals("latest")) {
      log.warn("{}: {}; moving to the latest offsets (auto.offset.reset=latest)", owned, why);
      consumer.seekToEnd(owned);
    } else {
      log.warn(
          "{}: {}; moving to the earliest offsets (auto.offset.reset={})", owned, why, offsetReset);
      consumer.seekToBeginning(owned);
    }
  }

  private void skipCorruptRecord(RecordDeserializationException e) {
    TopicPartition tp = e.topicPartition();
    log.error(
        "record {}-{}@{} is corrupt; rejecting it and moving past it: {}",
        tp.topic(),
        tp.partition(),
        e.offset(),
        e.getMessage());
    rejects.corruptRecord(tp, e.getMessage());
    consumer.seek(tp, e.offset() + 1);
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /**
   * Stops polling after the current batch is written, flushed and committed, and closes the files.
   */
  @Override
  public void close() throws InterruptedException {
    running = false;
    if (thread != null && !stopped.await(15, TimeUnit.SECONDS)) {
      consumer.wakeup(); // a poll or commit is stuck on an unreachable broker
      stopped.await();
    }
  }
}

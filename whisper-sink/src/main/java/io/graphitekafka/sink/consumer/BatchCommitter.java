package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.metrics.SinkStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's commit protocol over one write batch: gather polled records into it, write it, flush
 * the files and the rejects, and only then commit its offsets; or, when that cannot be done, drop
 * it unwritten and put the partitions still owned back to its first records. Runs on the loop's
 * thread.
 */
final class BatchCommitter {

  private static final Logger log = LoggerFactory.getLogger(BatchCommitter.class);

  private final Consumer<?, ByteBuffer> consumer;
  private final RecordDecoder decoder;
  private final ArchiveWriter writer;
  private final RejectsPublisher rejects;
  private final Throttles throttles;
  private final WriteBatch batch;
  private final OffsetLedger ledger = new OffsetLedger();
  private final SinkStats stats;
  private final String topic;

  BatchCommitter(
      Consumer<?, ByteBuffer> consumer,
      RecordDecoder decoder,
      ArchiveWriter writer,
      RejectsPublisher rejects,
      Throttles throttles,
      WriteBatch batch,
      SinkStats stats,
      String topic) {
    this.consumer = consumer;
    this.decoder = decoder;
    this.writer = writer;
    this.rejects = rejects;
    this.throttles = throttles;
    this.batch = batch;
    this.stats = stats;
    this.topic = topic;
  }

  boolean isEmpty() {
    return batch.isEmpty();
  }

  /** Whether the batch is to be written now rather than wait for more records. */
  boolean full() {
    return batch.full(System.nanoTime(), throttles.updatesAvailable());
  }

  /** How long the next poll may wait: until the batch's deadline at most. */
  long pollMillis() {
    long millis = throttles.pollMillis();
    return batch.isEmpty() ? millis : Math.min(millis, batch.millisLeft(System.nanoTime()));
  }

  /**
   * Decodes a poll's records into the batch; a record whose file cannot be created yet stops its
   * partition.
   */
  <K> void gather(ConsumerRecords<K, ByteBuffer> records) {
    batch.opening(System.nanoTime());
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<K, ByteBuffer>> list = records.records(tp);
      long first = list.get(0).offset();
      batch.startAt(tp, first);
      long next = first;
      for (ConsumerRecord<K, ByteBuffer> record : list) {
        ByteBuffer value = record.value();
        DecodedPoint point;
        try {
          point = decoder.decode(value);
        } catch (BadRecordException e) {
          rejects.reject(record, e.reason(), e.getMessage());
          next = record.offset() + 1;
          continue;
        }
        SeriesBatch series = batch.series(point.metric());
        if (series == null) {
          boolean open = writer.isOpen(point.metric());
          // Only a limited create budget needs to know whether the file exists (a stat per series
          // whose file is not open); without a limit, the writer finds out when it opens the file.
          if (!open
              && !throttles.createsUnlimited()
              && !writer.exists(point.path())
              && !throttles.tryCreate()) {
            // No budget to create this file: stop the partition here and come back to this record.
            consumer.seek(tp, record.offset());
            consumer.pause(List.of(tp));
            throttles.waitForCreate(tp);
            log.debug("create budget spent; pausing {} at offset {}", tp, record.offset());
            break;
          }
          series = new SeriesBatch(point.metric(), point.path(), point.layout(), !open);
          batch.addSeries(series);
        }
        batch.add(series, point, value);
        next = record.offset() + 1;
      }
      if (next > first) {
        batch.nextOffset(tp, next);
      }
    }
  }

  /** Writes and flushes the batch, then commits its offsets, counts it and empties it. */
  void writeAndCommit() throws IOException {
    WriteBatch.Written done = batch.write(writer, rejects, topic, stats);
    Map<TopicPartition, OffsetAndMetadata> offsets =
        ledger.commitWritten(consumer, batch.offsets());
    batch.clear();
    stats.committed();
    // counted after the commit, so a batch written again after a failed commit is counted once; the
    // drops before committedPoints, so whoever sees the points counted sees the drops too
    stats.droppedTooOld.add(done.tooOld());
    stats.droppedNoArchive.add(done.noArchive());
    stats.updates(done.operations(), done.written(), done.nanos());
    log.trace("committed {}", offsets);
    throttles.updated(done.operations());
  }

  /** With nothing to write, commits positions that only moved past transaction markers. */
  void commitAdvancedPositions() {
    ledger.commitAdvancedPositions(consumer);
  }

  /**
   * Before partitions are given up: the batch gathered so far is written, flushed and committed, as
   * is a commit that failed earlier. If that fails, nothing of the batch is committed: the new
   * owners rewrite the revoked partitions, and the kept ones are read again from the batch's start.
   */
  void revoke(Collection<TopicPartition> partitions) {
    try {
      if (!batch.isEmpty()) {
        writeAndCommit();
      }
      writer.flush();
      ledger.commitUncommitted(consumer, partitions);
    } catch (IOException | KafkaException e) {
      log.warn(
          "could not flush and commit {} before giving them up; their new owner rewrites"
              + " them: {}",
          partitions,
          e.toString());
      abandon(partitions);
    }
    forget(partitions);
  }

  /** Partitions lost without a chance to commit: nothing of the batch is written. */
  void lose(Collection<TopicPartition> partitions) {
    abandon(partitions);
    forget(partitions);
  }

  /** After a failed write or commit: drops the batch and reads it again from its start. */
  void retry() {
    writer.discard();
    rewind(batch.start());
    batch.clear();
  }

  /** Drops the gathered batch unwritten and rewinds the partitions still owned to its start. */
  private void abandon(Collection<TopicPartition> givenUp) {
    if (batch.isEmpty()) {
      return;
    }
    writer.discard();
    Map<TopicPartition, Long> kept = batch.start();
    givenUp.forEach(kept::remove);
    rewind(kept);
    batch.clear();
  }

  /** Puts the partitions of a batch back to its first record, so nothing of it is skipped. */
  private void rewind(Map<TopicPartition, Long> batchStart) {
    var assignment = consumer.assignment();
    batchStart.forEach(
        (tp, offset) -> {
          if (assignment.contains(tp)) {
            consumer.seek(tp, offset);
          }
        });
  }

  private void forget(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      throttles.forget(tp);
      ledger.forget(tp);
      stats.removeLag(tp.partition());
    }
  }

  /** Closes the files; what is not flushed is read again at the next start. */
  void closeFiles() throws IOException {
    writer.close();
  }

  /** Drops what is written but not flushed. */
  void discardWrites() {
    writer.discard();
  }

  @Override
  public String toString() {
    return batch.toString();
  }
}

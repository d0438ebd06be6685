package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.whisper.WhisperFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write batch gathered from one or more polls and written, flushed and committed as a whole:
 * the per-series slots in offset order, the next offset of each partition (what a commit after the
 * write stores) and each partition's first offset in the batch (where a failed batch is read again
 * from).
 */
final class WriteBatch {

  private static final Logger log = LoggerFactory.getLogger(WriteBatch.class);

  private final int maxRecords;
  private final long maxBytes;
  private final long maxNanos;
  private final Map<String, SeriesBatch> series = new LinkedHashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
  private final Map<TopicPartition, Long> start = new HashMap<>();
  private int records;
  private long bytes;
  private long startedNanos;

  WriteBatch(int maxRecords, long maxBytes, long maxNanos) {
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
    this.maxNanos = maxNanos;
  }

  /** What writing a batch did, counted once its offsets are committed. */
  record Written(long operations, long written, long tooOld, long noArchive, long nanos) {}

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

  /** Starts the batch's clock if nothing is in it yet. */
  void opening(long nanos) {
    if (isEmpty()) {
      startedNanos = nanos;
    }
  }

  /**
   * Notes the first offset of a partition's records in this poll; the batch's start if it is new.
   */
  void startAt(TopicPartition tp, long offset) {
    start.putIfAbsent(tp, offset);
  }

  /** Notes the offset after the last record of a partition that the batch holds or has rejected. */
  void nextOffset(TopicPartition tp, long offset) {
    offsets.put(tp, new OffsetAndMetadata(offset));
  }

  /** The batch of a series gathered so far, or null. */
  SeriesBatch series(String metric) {
    return series.get(metric);
  }

  void addSeries(SeriesBatch s) {
    series.put(s.metric, s);
  }

  /** Adds a decoded record to its series' batch. */
  void add(SeriesBatch s, DecodedPoint point, ByteBuffer value) {
    s.add(point);
    s.addRecord(value);
    records++;
    bytes += value.remaining();
  }

  /** The offsets to commit once the batch is written and flushed. */
  Map<TopicPartition, OffsetAndMetadata> offsets() {
    return new HashMap<>(offsets);
  }

  /** The first offset in the batch of each partition in it. */
  Map<TopicPartition, Long> start() {
    return new HashMap<>(start);
  }

  /**
   * Whether the batch is to be written now: it holds the most records or bytes, it is as old as
   * allowed, or it updates as many files as the update budget has left (each file of a batch is one
   * update, and the budget is what slows consumption down).
   */
  boolean full(long nowNanos, double updatesAvailable) {
    return records >= maxRecords
        || bytes >= maxBytes
        || nowNanos - startedNanos >= maxNanos
        || series.size() >= updatesAvailable;
  }

  /** How long the batch may still wait for more records. */
  long millisLeft(long nowNanos) {
    return Math.max(0, (startedNanos + maxNanos - nowNanos) / 1_000_000);
  }

  /**
   * Writes the batch, then flushes every written file and the rejects; the batch stays until
   * committed. A file found corrupt is never written to: its records go to the rejects topic
   * instead.
   */
  Written write(ArchiveWriter writer, RejectsPublisher rejects, String topic, SinkStats stats)
      throws IOException {
    long started = System.nanoTime();
    long written = 0;
    long tooOld = 0;
    long noArchive = 0;
    long operations = 0;
    for (SeriesBatch s : series.values()) {
      try {
        WriteResult result = writer.write(s);
        written += result.written();
        tooOld += result.droppedTooOld();
        noArchive += result.droppedNoArchive();
        operations++;
      } catch (WhisperFormatException e) {
        if (!s.keepsRecords()) {
          // Its file was open when the batch was gathered, then closed (evicted) and found corrupt
          // when opened again: changed behind the sink's back. Its records were not kept, so the
          // batch is retried; gathered again, they are kept and rejected below.
          throw e;
        }
        // The partition goes on; retrying could not help until an operator repairs or removes the
        // file.
        stats.errors.increment();
        log.error("{}; rejecting its {} records", e.getMessage(), s.records().size());
        for (ByteBuffer raw : s.records()) {
          rejects.reject(raw, "corrupt_file", e.getMessage(), topic);
        }
      }
    }
    writer.flush();
    long elapsed = System.nanoTime() - started;
    rejects.flush();
    return new Written(operations, written, tooOld, noArchive, elapsed);
  }

  @Override
  public String toString() {
    return start.toString();
  }
}

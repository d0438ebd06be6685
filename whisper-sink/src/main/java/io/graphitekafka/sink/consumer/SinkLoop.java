package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.naming.InvalidSeriesNameException;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.sink.SinkConfig;
import io.graphitekafka.sink.SinkMetrics;
import io.graphitekafka.sink.whisper.WhisperFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink's consumer loop on its own thread: poll archive points, write them per file, flush, then
 * commit. Offsets only ever follow durable writes, so a crash replays, and replaying rewrites the same
 * slots. A failed write is retried with backoff from the last committed offsets; nothing is skipped.
 */
public final class SinkLoop implements Runnable, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
  private static final long MAX_BACKOFF_MS = 30_000;

  private final SinkConfig config;
  private final SinkMetrics metrics;
  private final Topic<String, ArchivePoint> archives;
  private final Topic<String, Reject> rejects;
  private final AvroSerde<ArchivePoint> pointSerde = AvroSerde.singleObject(ArchivePoint.class);
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> rejectProducer;
  private final ArchiveWriter writer;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private Thread thread;
  private boolean replayed;

  public SinkLoop(SinkConfig config, SinkMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.archives = Topics.archives(config.archivesTopic());
    this.rejects = Topics.rejects(config.rejectsTopic());
    this.consumer = new KafkaConsumer<>(consumerProperties(config), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    Map<String, Object> producerProps = new HashMap<>();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink-rejects");
    config.kafkaOverrides().forEach((k, v) -> {
      if (ProducerConfig.configNames().contains(k)) {
        producerProps.put(k, v); // shared client settings such as security.protocol and sasl.*
      }
    });
    this.rejectProducer =
        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
    this.writer = new ArchiveWriter(config.whisperDir(), config.getBoolean(SinkConfig.HASH_TAGGED_NAMES),
        config.fillMode(), config.getBoolean(SinkConfig.FSYNC), config.getInt(SinkConfig.MAX_OPEN_FILES),
        metrics, Clock.systemUTC());
  }

  static Map<String, Object> consumerProperties(SinkConfig config) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.getString(SinkConfig.GROUP_ID));
    String instance = config.getString(SinkConfig.GROUP_INSTANCE_ID);
    if (!instance.isEmpty()) {
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
    }
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "graphite-kafka-sink");
    props.putAll(config.kafkaOverrides());
    return props;
  }

  /** Starts the loop on its own thread. */
  public void start() {
    thread = new Thread(this, "whisper-sink");
    thread.start();
  }

  @Override
  public void run() {
    try {
      subscribe();
      long backoff = 100;
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
        if (records.isEmpty()) {
          continue;
        }
        try {
          writeAndCommit(records);
          backoff = 100;
        } catch (IOException e) {
          metrics.errors.increment();
          log.error("write failed, retrying from the last committed offsets in {} ms: {}", backoff,
              e.toString());
          rewind(records.partitions());
          sleep(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        }
      }
    } catch (WakeupException e) {
      if (running) {
        log.error("unexpected wakeup of the sink consumer", e);
      }
    } catch (KafkaException | IllegalStateException e) {
      log.error("sink stopped by an unrecoverable Kafka error", e);
    } finally {
      try {
        writer.close();
      } catch (IOException e) {
        log.error("closing Whisper files", e);
      }
      consumer.close(Duration.ofSeconds(10));
      rejectProducer.close(Duration.ofSeconds(10));
      stopped.countDown();
    }
  }

  private void subscribe() {
    List<Integer> explicit = config.explicitPartitions();
    if (explicit.isEmpty()) {
      consumer.subscribe(List.of(archives.name()), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          // Every polled batch is written, flushed and committed before the next poll, so nothing is
          // pending here; flushing again keeps that true if the loop ever batches across polls.
          try {
            writer.flush();
          } catch (IOException e) {
            log.error("flushing before giving up {}", partitions, e);
          }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          log.info("assigned {}", partitions);
          replay(partitions);
        }
      });
    } else {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p : explicit) {
        partitions.add(new TopicPartition(archives.name(), p));
      }
      consumer.assign(partitions);
      log.info("owning explicit partitions {}", partitions);
      replay(partitions);
    }
  }

  private void replay(Collection<TopicPartition> partitions) {
    String from = config.getString(SinkConfig.REPLAY_FROM).trim();
    if (from.isEmpty() || replayed || partitions.isEmpty()) {
      return;
    }
    replayed = true;
    if (from.equalsIgnoreCase("earliest")) {
      consumer.seekToBeginning(partitions);
      log.info("replaying {} from the earliest offsets", partitions);
      return;
    }
    long millis = parseInstant(from).toEpochMilli();
    Map<TopicPartition, Long> query = new HashMap<>();
    for (TopicPartition tp : partitions) {
      query.put(tp, millis);
    }
    Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(query);
    for (TopicPartition tp : partitions) {
      OffsetAndTimestamp o = offsets.get(tp);
      if (o == null) {
        consumer.seekToEnd(List.of(tp));
      } else {
        consumer.seek(tp, o.offset());
      }
    }
    log.info("replaying {} from {}", partitions, from);
  }

  /** Parses an ISO-8601 instant or epoch seconds. */
  public static Instant parseInstant(String text) {
    try {
      return Instant.ofEpochSecond(Long.parseLong(text));
    } catch (NumberFormatException e) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException(
            "replay.from must be an ISO-8601 instant, epoch seconds or earliest, was '" + text + "'");
      }
    }
  }

  private void writeAndCommit(ConsumerRecords<byte[], byte[]> records) throws IOException {
    Map<String, SeriesBatch> batches = new LinkedHashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      offsets.put(new TopicPartition(record.topic(), record.partition()),
          new OffsetAndMetadata(record.offset() + 1));
      ArchivePoint point;
      SeriesLayout layout;
      try {
        point = pointSerde.decode(record.value());
        layout = Layouts.fromAvro(point.getLayout());
        if (point.getArchive() < 0 || point.getArchive() >= layout.archives().size()) {
          throw new IllegalArgumentException("archive index " + point.getArchive()
              + " outside the layout's " + layout.archives().size() + " archives");
        }
      } catch (SerializationException | IllegalArgumentException e) {
        reject(record, "undecodable_archive_point", e.getMessage());
        continue;
      }
      String metric = point.getMetric();
      SeriesBatch batch = batches.get(metric);
      if (batch == null) {
        try {
          writer.pathOf(metric);
        } catch (InvalidSeriesNameException e) {
          reject(record, "invalid_name", e.getMessage());
          continue;
        }
        batch = new SeriesBatch(metric, layout);
        batches.put(metric, batch);
      }
      batch.add(point.getArchive(), point.getTimestamp(), point.getValue());
      batch.addRecord(record.value());
    }
    for (SeriesBatch batch : batches.values()) {
      try {
        writer.write(batch);
      } catch (WhisperFormatException e) {
        // A corrupt file is never written to; its points go to the rejects topic, not lost, and the
        // partition goes on. Retrying could not help until an operator repairs or removes the file.
        metrics.errors.increment();
        log.error("{}; rejecting its {} records", e.getMessage(), batch.records().size());
        for (byte[] raw : batch.records()) {
          reject(raw, "corrupt_file", e.getMessage(), null);
        }
      }
    }
    writer.flush();
    rejectProducer.flush();
    consumer.commitSync(offsets);
    log.trace("committed {}", offsets);
  }

  private void rewind(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions));
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = committed.get(tp);
      if (o == null) {
        consumer.seekToBeginning(List.of(tp));
      } else {
        consumer.seek(tp, o.offset());
      }
    }
  }

  private void reject(ConsumerRecord<byte[], byte[]> record, String reason, String detail) {
    log.warn("rejected record {}-{}@{}: {} ({})", record.topic(), record.partition(), record.offset(),
        reason, detail);
    reject(record.value(), reason, detail, record.topic() + "-" + record.partition());
  }

  private void reject(byte[] value, String reason, String detail, String source) {
    metrics.rejected.increment();
    byte[] raw = value == null ? new byte[0] : value;
    Reject reject = new Reject(ByteBuffer.wrap(raw), reason, detail, "whisper-sink", source, null,
        System.currentTimeMillis());
    rejectProducer.send(new ProducerRecord<>(rejects.name(),
        rejects.keySerde().serializer().serialize(rejects.name(), reason),
        rejects.valueSerde().serializer().serialize(rejects.name(), reject)));
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Stops polling, flushes and commits what was written, and closes the files. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    if (thread != null && !stopped.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
      consumer.wakeup(); // a poll or commit is stuck on an unreachable broker
      stopped.await();
    }
  }
}

package io.graphitekafka.gateway.kafka;

import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends accepted points to the points topic, keyed by series name, and rejected input to the
 * rejects topic. One idempotent producer (acks=all) serves every listener and is thread-safe. Every
 * record is accounted in the {@link FlowControl} from send until acknowledgement, which is what
 * pauses readers. {@code send()} never blocks the caller (max.block.ms=0): a record the producer
 * cannot take at once, because topic metadata is missing while brokers are away or its buffer is
 * full, goes to a detour thread that keeps offering it, and the records after it follow the same
 * way until the detour is empty.
 */
public final class PointProducer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PointProducer.class);

  /** Rough per-record cost in the producer's batches beyond key and value. */
  private static final int RECORD_OVERHEAD = 24;

  private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
  private static final long DETOUR_RETRY_MILLIS = 100;

  private final Producer<byte[], byte[]> producer;
  private final Topic<String, MetricPoint> points;
  private final Topic<String, Reject> rejects;
  private final FlowControl flow;
  private final LongAdder produced;
  private final LongAdder errors;
  private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
  private final BlockingQueue<Pending> detour = new LinkedBlockingQueue<>();
  private final Object detourLock = new Object();
  private final Thread detourThread;
  private volatile boolean detouring;

  public PointProducer(
      Producer<byte[], byte[]> producer,
      Topic<String, MetricPoint> points,
      Topic<String, Reject> rejects,
      FlowControl flow,
      SelfMetrics metrics) {
    this.producer = producer;
    this.points = points;
    this.rejects = rejects;
    this.flow = flow;
    this.produced = metrics.counter(GatewayStats.POINTS_PRODUCED);
    this.errors = metrics.counter(GatewayStats.PRODUCE_ERRORS);
    this.detourThread = new Thread(this::runDetour, "gateway-producer-detour");
    detourThread.setDaemon(true);
    detourThread.start();
  }

  /**
   * The producer settings: idempotent with acks=all, lz4 batches sized for many small records, and
   * a delivery timeout without limit so an unreachable cluster means backpressure, not loss. {@code
   * overrides} win, except that idempotence and acks=all cannot be turned off.
   *
   * <p>Why they are kept: the producer's own retries are what carry a batch through a leader change
   * or a refused sequence ({@code OutOfOrderSequenceException}). An idempotent producer retries
   * every such refusal and re-sends a partition's batches in sequence order, so a series' points
   * are neither lost, written twice, nor reordered; without idempotence a retried batch may land
   * after a later one or twice, and without acks=all an acknowledged point may be lost with a
   * broker.
   *
   * @throws ConfigException if {@code overrides} turn idempotence or acks=all off
   */
  public static Map<String, Object> producerProperties(
      String bootstrapServers, Map<String, Object> overrides) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L << 20);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    // the event loop must never wait in send(): what cannot be sent at once takes the detour
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-gateway");
    props.putAll(overrides);
    Object idempotence = props.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
    if (!"true".equalsIgnoreCase(String.valueOf(idempotence).trim())) {
      throw new ConfigException(
          "kafka." + ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
          idempotence,
          "the gateway's producer must be idempotent: without it a retried batch can be written"
              + " twice, or after a later one");
    }
    String acks = String.valueOf(props.get(ProducerConfig.ACKS_CONFIG)).trim();
    if (!acks.equalsIgnoreCase("all") && !acks.equals("-1")) {
      throw new ConfigException(
          "kafka." + ProducerConfig.ACKS_CONFIG,
          acks,
          "the gateway counts a point as produced only once every in-sync replica has it; it must"
              + " be all");
    }
    return props;
  }

  public static PointProducer create(
      String bootstrapServers,
      Map<String, Object> overrides,
      Topic<String, MetricPoint> points,
      Topic<String, Reject> rejects,
      FlowControl flow,
      SelfMetrics metrics) {
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            producerProperties(bootstrapServers, overrides),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    metrics.bind(new KafkaClientMetrics(producer));
    return new PointProducer(producer, points, rejects, flow, metrics);
  }

  /** Fetches the topics' metadata so that later sends need not wait for it; false if it failed. */
  public boolean warmUp(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        producer.partitionsFor(points.name());
        producer.partitionsFor(rejects.name());
        return true;
      } catch (RuntimeException e) {
        last = e;
        try {
          Thread.sleep(DETOUR_RETRY_MILLIS);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    log.warn("could not fetch metadata of {} and {} yet: {}", points.name(), rejects.name(), last);
    return false;
  }

  public FlowControl flow() {
    return flow;
  }

  /** Sends one point; {@code delivery} (may be null) learns when Kafka acknowledges it. */
  public void sendPoint(MetricPoint point, Delivery delivery) {
    byte[] key = points.keySerde().serializer().serialize(points.name(), point.getMetric());
    byte[] value = points.valueSerde().serializer().serialize(points.name(), point);
    send(points.name(), key, value, true, delivery);
  }

  /** Sends one reject, keyed by its reason code. */
  public void sendReject(Reject reject, Delivery delivery) {
    byte[] key = rejects.keySerde().serializer().serialize(rejects.name(), reject.getReason());
    byte[] value = rejects.valueSerde().serializer().serialize(rejects.name(), reject);
    send(rejects.name(), key, value, false, delivery);
  }

  private void send(String topic, byte[] key, byte[] value, boolean isPoint, Delivery delivery) {
    int size = key.length + value.length + RECORD_OVERHEAD;
    flow.acquire(size);
    if (delivery != null) {
      delivery.begin();
    }
    Pending pending = new Pending(new ProducerRecord<>(topic, key, value), size, isPoint, delivery);
    if (detouring) {
      synchronized (detourLock) {
        if (detouring) {
          // behind records that are already waiting, to keep each connection's order
          detour.add(pending);
          return;
        }
      }
    }
    if (!pending.trySend()) {
      synchronized (detourLock) {
        detouring = true;
        detour.add(pending);
      }
    }
  }

  /** Sends the records send() could not hand over without waiting, in order, as Kafka allows. */
  private void runDetour() {
    try {
      while (true) {
        Pending pending = detour.take();
        while (!pending.trySend()) {
          Thread.sleep(DETOUR_RETRY_MILLIS);
        }
        synchronized (detourLock) {
          if (detour.isEmpty()) {
            detouring = false;
            detourLock.notifyAll();
          }
        }
      }
    } catch (InterruptedException e) {
      // closing
    }
  }

  /** One record on its way: its callback, and whether send() could not take it without waiting. */
  private final class Pending implements Callback {
    private final ProducerRecord<byte[], byte[]> record;
    private final int size;
    private final boolean isPoint;
    private final Delivery delivery;
    private volatile Thread sendingThread;
    private boolean mustWait;

    Pending(ProducerRecord<byte[], byte[]> record, int size, boolean isPoint, Delivery delivery) {
      this.record = record;
      this.size = size;
      this.isPoint = isPoint;
      this.delivery = delivery;
    }

    /** False if the producer would have had to block (no metadata yet, or no buffer space). */
    boolean trySend() {
      sendingThread = Thread.currentThread();
      mustWait = false;
      try {
        producer.send(record, this);
      } catch (RuntimeException e) {
        // send() throws, instead of failing through the callback, for a closed producer and for
        // serialization errors
        onCompletion(null, e);
      } finally {
        sendingThread = null;
      }
      return !mustWait;
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception e) {
      // with max.block.ms=0, send() fails at once through this callback, on the sending thread,
      // when it would have waited for metadata or buffer space: retry instead of losing the record
      if (e instanceof TimeoutException && Thread.currentThread() == sendingThread) {
        mustWait = true;
        return;
      }
      flow.release(size);
      if (e == null) {
        if (isPoint) {
          produced.increment();
        }
      } else {
        failed(record.topic(), e);
      }
      if (delivery != null) {
        delivery.complete(e);
      }
    }
  }

  private void failed(String topic, Exception e) {
    errors.increment();
    long now = System.nanoTime();
    long last = lastErrorLog.get();
    if (now - last >= LOG_INTERVAL_NANOS && lastErrorLog.compareAndSet(last, now)) {
      log.warn(
          "could not produce to {}: {}; further failures are counted as {} for 10 s",
          topic,
          e.toString(),
          GatewayStats.PRODUCE_ERRORS);
    }
  }

  public void flush() {
    producer.flush();
  }

  /**
   * Waits up to {@code timeout} for every record sent so far to be acknowledged, then closes.
   *
   * @return the number of records still unacknowledged when the timeout ran out
   */
  public long close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (detourLock) {
      while (detouring && System.nanoTime() < deadline) {
        try {
          detourLock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    detourThread.interrupt();
    long failedBefore = errors.sum();
    producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    // a forced close fails what was left through the callbacks, which count it as errors
    return errors.sum() - failedBefore + flow.inflightRecords();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }
}

package io.graphitekafka.gateway.kafka;

import io.graphitekafka.gateway.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.metrics.SelfMetrics;
import io.graphitekafka.schemas.topic.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends accepted points to the points topic, keyed by series name, and rejected input to the rejects
 * topic. One idempotent producer (acks=all) serves every listener and is thread-safe. Every record is
 * accounted in the {@link FlowControl} from send until acknowledgement, which is what pauses readers.
 */
public final class PointProducer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PointProducer.class);
  /** Rough per-record cost in the producer's batches beyond key and value. */
  private static final int RECORD_OVERHEAD = 24;
  private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final Producer<byte[], byte[]> producer;
  private final Topic<String, MetricPoint> points;
  private final Topic<String, Reject> rejects;
  private final FlowControl flow;
  private final LongAdder produced;
  private final LongAdder errors;
  private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

  public PointProducer(Producer<byte[], byte[]> producer, Topic<String, MetricPoint> points,
      Topic<String, Reject> rejects, FlowControl flow, SelfMetrics metrics) {
    this.producer = producer;
    this.points = points;
    this.rejects = rejects;
    this.flow = flow;
    this.produced = metrics.counter(GatewayStats.POINTS_PRODUCED);
    this.errors = metrics.counter(GatewayStats.PRODUCE_ERRORS);
  }

  /**
   * The producer settings: idempotent with acks=all, lz4 batches sized for many small records, and
   * a delivery timeout without limit so an unreachable cluster means backpressure, not loss.
   * {@code overrides} win.
   */
  public static Map<String, Object> producerProperties(String bootstrapServers,
      Map<String, Object> overrides) {
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
    // the event loop must never wait in send(): metadata is fetched at start, the buffer is kept
    // below buffer.memory by FlowControl, so this only bounds the unexpected
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-gateway");
    props.putAll(overrides);
    return props;
  }

  public static PointProducer create(String bootstrapServers, Map<String, Object> overrides,
      Topic<String, MetricPoint> points, Topic<String, Reject> rejects, FlowControl flow,
      SelfMetrics metrics) {
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        producerProperties(bootstrapServers, overrides), new ByteArraySerializer(),
        new ByteArraySerializer());
    return new PointProducer(producer, points, rejects, flow, metrics);
  }

  /** Fetches the topics' metadata so that later sends need not wait for it; false if it failed. */
  public boolean warmUp() {
    try {
      producer.partitionsFor(points.name());
      producer.partitionsFor(rejects.name());
      return true;
    } catch (RuntimeException e) {
      log.warn("could not fetch metadata of {} and {} yet: {}", points.name(), rejects.name(),
          e.toString());
      return false;
    }
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
    Callback callback = (meta, e) -> {
      flow.release(size);
      if (e == null) {
        if (isPoint) {
          produced.increment();
        }
      } else {
        failed(topic, e);
      }
      if (delivery != null) {
        delivery.complete(e);
      }
    };
    try {
      producer.send(new ProducerRecord<>(topic, key, value), callback);
    } catch (RuntimeException e) {
      // send() throws, instead of failing the future, for a closed producer, a timeout waiting for
      // metadata or buffer space, and serialization errors
      callback.onCompletion(null, e);
    }
  }

  private void failed(String topic, Exception e) {
    errors.increment();
    long now = System.nanoTime();
    long last = lastErrorLog.get();
    if (now - last >= LOG_INTERVAL_NANOS && lastErrorLog.compareAndSet(last, now)) {
      log.warn("could not produce to {}: {}; further failures are counted as {} for 10 s", topic,
          e.toString(), GatewayStats.PRODUCE_ERRORS);
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
    long failedBefore = errors.sum();
    producer.close(timeout);
    // a forced close fails what was left through the callbacks, which count it as errors
    return errors.sum() - failedBefore + flow.inflightRecords();
  }

  @Override
  public void close() {
    producer.close();
  }
}

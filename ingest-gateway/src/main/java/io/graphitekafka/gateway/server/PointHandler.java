package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.GatewayMetrics;
import io.graphitekafka.gateway.carbon.CarbonLineDecoder;
import io.graphitekafka.gateway.carbon.DecodeResult;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.naming.InvalidSeriesNameException;
import io.graphitekafka.schemas.naming.SeriesNames;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one Carbon line into a point on Kafka or a reject: decode, normalize the series name, produce.
 * Shared by every listener; stateless apart from counters, so it is safe on any thread.
 */
public final class PointHandler {

  private static final Logger log = LoggerFactory.getLogger(PointHandler.class);
  private static final long SAMPLE_INTERVAL_NANOS = 10_000_000_000L;

  private final CarbonLineDecoder decoder;
  private final PointProducer producer;
  private final GatewayMetrics metrics;
  private final AtomicLong lastSample = new AtomicLong(System.nanoTime() - SAMPLE_INTERVAL_NANOS);

  public PointHandler(CarbonLineDecoder decoder, PointProducer producer, GatewayMetrics metrics) {
    this.decoder = decoder;
    this.producer = producer;
    this.metrics = metrics;
  }

  /** Handles the line in {@code buf[offset, offset+length)}, without its line terminator. */
  public void line(byte[] buf, int offset, int length, String protocol, SocketAddress source) {
    long arrival = System.currentTimeMillis();
    DecodeResult result = decoder.decode(buf, offset, length, arrival);
    if (result instanceof DecodeResult.Reject r) {
      reject(buf, offset, length, r.reason().code(), r.detail(), protocol, source, arrival);
    } else if (!point((DecodeResult.Point) result)) {
      reject(buf, offset, length, "invalid_name", "invalid series name '"
          + ((DecodeResult.Point) result).rawName() + "'", protocol, source, arrival);
    }
  }

  /**
   * Normalizes the name of a decoded point and produces it.
   *
   * @return false if the name is invalid; the caller rejects the input it came from
   */
  public boolean point(DecodeResult.Point p) {
    String name;
    try {
      name = SeriesNames.normalize(p.rawName());
    } catch (InvalidSeriesNameException e) {
      log.trace("invalid name", e);
      return false;
    }
    metrics.metricsReceived.increment();
    producer.sendPoint(new MetricPoint(name, p.timestamp(), p.value()));
    return true;
  }

  /** Counts, samples into the log and sends to the rejects topic one piece of bad input. */
  public void reject(byte[] buf, int offset, int length, String reason, String detail, String protocol,
      SocketAddress source, long arrivalMillis) {
    metrics.rejected(reason);
    long now = System.nanoTime();
    long last = lastSample.get();
    if (now - last >= SAMPLE_INTERVAL_NANOS && lastSample.compareAndSet(last, now)) {
      log.warn("rejected input from {} over {}: {} ({}); further rejects are counted, not logged, for"
          + " 10 s", source, protocol, reason, detail);
    }
    byte[] raw = new byte[length];
    System.arraycopy(buf, offset, raw, 0, length);
    String address = null;
    Integer port = null;
    if (source instanceof InetSocketAddress inet) {
      address = inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
      port = inet.getPort();
    }
    producer.sendReject(
        new Reject(ByteBuffer.wrap(raw), reason, detail, protocol, address, port, arrivalMillis));
  }
}

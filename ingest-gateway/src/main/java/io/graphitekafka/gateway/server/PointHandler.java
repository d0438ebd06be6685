package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.CarbonLineDecoder;
import io.graphitekafka.gateway.carbon.DecodeResult;
import io.graphitekafka.gateway.carbon.PickleDecoder;
import io.graphitekafka.gateway.carbon.PickleResult;
import io.graphitekafka.gateway.carbon.RejectReason;
import io.graphitekafka.gateway.kafka.Delivery;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesNames;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one ingest path after framing: turns one Carbon line or pickle frame into points on Kafka,
 * filtered-out counts, or rejects: decode, apply the allow/deny lists, normalize the series name,
 * produce. Shared by every receiver and by {@code graphite-kafka produce}; stateless apart from
 * counters, so it is safe on any thread.
 */
public final class PointHandler {

  private static final Logger log = LoggerFactory.getLogger(PointHandler.class);
  private static final long SAMPLE_INTERVAL_NANOS = 10_000_000_000L;

  /** What became of one decoded point. */
  private enum Outcome {
    PRODUCED,
    FILTERED,
    INVALID_NAME
  }

  private final CarbonLineDecoder decoder;
  private final PickleDecoder pickles;
  private final PointProducer producer;
  private final MetricFilter filter;
  private final SelfMetrics metrics;
  private final LongAdder received;
  private final LongAdder blacklistMatches;
  private final LongAdder whitelistRejects;
  private final AtomicLong lastSample = new AtomicLong(System.nanoTime() - SAMPLE_INTERVAL_NANOS);

  /**
   * @param timestampResolution carbon's {@code MIN_TIMESTAMP_RESOLUTION} in seconds, for both
   *     decoders
   * @param maxLineLength the longest plaintext line accepted, in bytes
   */
  public PointHandler(
      int timestampResolution,
      int maxLineLength,
      PointProducer producer,
      MetricFilter filter,
      SelfMetrics metrics) {
    this.decoder = new CarbonLineDecoder(timestampResolution, maxLineLength);
    this.pickles = new PickleDecoder(timestampResolution);
    this.producer = producer;
    this.filter = filter;
    this.metrics = metrics;
    this.received = metrics.counter(GatewayStats.METRICS_RECEIVED);
    this.blacklistMatches = metrics.counter(GatewayStats.BLACKLIST_MATCHES);
    this.whitelistRejects = metrics.counter(GatewayStats.WHITELIST_REJECTS);
  }

  public PointProducer producer() {
    return producer;
  }

  /** Handles the line in {@code buf[offset, offset+length)}, without its line terminator. */
  public void line(byte[] buf, int offset, int length, Source source) {
    line(buf, offset, length, source, null);
  }

  /**
   * As {@link #line(byte[], int, int, Source)}; {@code delivery} tracks what is produced for it.
   */
  public void line(byte[] buf, int offset, int length, Source source, Delivery delivery) {
    long arrival = System.currentTimeMillis();
    DecodeResult result = decoder.decode(buf, offset, length, arrival);
    if (result instanceof DecodeResult.Reject r) {
      reject(buf, offset, length, r.reason().code(), r.detail(), source, arrival, delivery);
    } else if (point((DecodeResult.Point) result, delivery) == Outcome.INVALID_NAME) {
      reject(
          buf,
          offset,
          length,
          RejectReason.INVALID_NAME.code(),
          describeInvalidName(((DecodeResult.Point) result).rawName()),
          source,
          arrival,
          delivery);
    }
  }

  /**
   * Rejects a line the framer found longer than the decoder's limit; {@code head} is its first
   * bytes, {@code length} its whole length without the terminator.
   */
  public void lineTooLong(byte[] head, long length, Source source) {
    reject(
        head,
        0,
        head.length,
        RejectReason.LINE_TOO_LONG.code(),
        "line of "
            + length
            + " bytes is longer than "
            + decoder.maxLineLength()
            + "; the reject keeps its first "
            + head.length
            + " bytes",
        source,
        System.currentTimeMillis(),
        null);
  }

  /**
   * Decodes one pickle frame ({@code buf[offset, offset+length)}, without its length prefix) and
   * produces its points; a hostile or malformed frame is rejected whole.
   */
  public void pickleFrame(byte[] buf, int offset, int length, Source source) {
    long arrival = System.currentTimeMillis();
    PickleResult result = pickles.decode(buf, offset, length, arrival);
    if (result instanceof PickleResult.Rejected r) {
      reject(
          buf,
          offset,
          length,
          r.reject().reason().code(),
          r.reject().detail(),
          source,
          arrival,
          null);
    } else {
      pickleElements(
          buf, offset, length, ((PickleResult.Decoded) result).elements(), source, arrival, null);
    }
  }

  /**
   * Filters, normalizes and produces one decoded point. On {@link Outcome#INVALID_NAME} nothing is
   * counted yet; the caller rejects the input it came from.
   */
  private Outcome point(DecodeResult.Point p, Delivery delivery) {
    String raw = p.rawName();
    if (!filter.isEmpty()) {
      switch (filter.check(raw)) {
        case BLACKLISTED -> {
          blacklistMatches.increment();
          return Outcome.FILTERED;
        }
        case NOT_WHITELISTED -> {
          whitelistRejects.increment();
          return Outcome.FILTERED;
        }
        default -> {}
      }
    }
    String name;
    try {
      name = SeriesNames.normalize(raw);
    } catch (InvalidSeriesNameException e) {
      log.trace("invalid name", e);
      return Outcome.INVALID_NAME;
    }
    received.increment();
    producer.sendPoint(new MetricPoint(name, p.timestamp(), p.value()), delivery);
    return Outcome.PRODUCED;
  }

  /**
   * Produces the points of one decoded pickle frame ({@code buf[offset, offset+length)}). Bad
   * elements are each counted; the frame's raw bytes go to the rejects topic once, with the first
   * bad element's reason, and the good elements are produced.
   */
  private void pickleElements(
      byte[] buf,
      int offset,
      int length,
      List<DecodeResult> elements,
      Source source,
      long arrivalMillis,
      Delivery delivery) {
    String firstReason = null;
    String firstDetail = null;
    int bad = 0;
    for (DecodeResult element : elements) {
      String reason;
      String detail;
      if (element instanceof DecodeResult.Reject r) {
        reason = r.reason().code();
        detail = r.detail();
      } else if (point((DecodeResult.Point) element, delivery) != Outcome.INVALID_NAME) {
        continue;
      } else {
        reason = RejectReason.INVALID_NAME.code();
        detail = describeInvalidName(((DecodeResult.Point) element).rawName());
      }
      bad++;
      if (firstReason == null) {
        firstReason = reason; // counted by reject below
        firstDetail = detail;
      } else {
        countReject(reason);
      }
    }
    if (firstReason != null) {
      reject(
          buf,
          offset,
          length,
          firstReason,
          bad + " of " + elements.size() + " elements rejected; first: " + firstDetail,
          source,
          arrivalMillis,
          delivery);
    }
  }

  /** Why a name that {@link #point} found invalid is invalid (only called on that path). */
  private static String describeInvalidName(String rawName) {
    try {
      SeriesNames.normalize(rawName);
      return "invalid series name '" + rawName + "'";
    } catch (InvalidSeriesNameException e) {
      String shown = rawName.length() > 200 ? rawName.substring(0, 200) + "..." : rawName;
      return "invalid series name '" + shown + "' (" + e.reason() + "): " + e.getMessage();
    }
  }

  /**
   * Counts a reject without sending anything (for the further bad elements of one pickle frame).
   */
  private void countReject(String reason) {
    metrics.counter(GatewayStats.reject(reason)).increment();
  }

  /** Counts, samples into the log and sends to the rejects topic one piece of bad input. */
  public void reject(
      byte[] buf,
      int offset,
      int length,
      String reason,
      String detail,
      Source source,
      long arrivalMillis,
      Delivery delivery) {
    countReject(reason);
    long now = System.nanoTime();
    long last = lastSample.get();
    if (now - last >= SAMPLE_INTERVAL_NANOS && lastSample.compareAndSet(last, now)) {
      log.warn(
          "rejected input from {}: {} ({}); further rejects are counted, not logged, for 10 s",
          source,
          reason,
          detail);
    }
    byte[] raw = new byte[length];
    System.arraycopy(buf, offset, raw, 0, length);
    producer.sendReject(
        new Reject(
            ByteBuffer.wrap(raw),
            reason,
            detail,
            source.protocol(),
            source.address(),
            source.port(),
            arrivalMillis),
        delivery);
  }
}

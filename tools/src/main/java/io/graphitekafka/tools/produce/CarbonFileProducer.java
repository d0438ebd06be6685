package io.graphitekafka.tools.produce;

import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import io.graphitekafka.gateway.carbon.RejectReason;
import io.graphitekafka.gateway.kafka.FlowControl;
import io.graphitekafka.gateway.kafka.PointProducer;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.gateway.server.MetricFilter;
import io.graphitekafka.gateway.server.PointHandler;
import io.graphitekafka.gateway.server.Source;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code graphite-kafka produce}: reads Carbon plaintext lines or pickle frames from a file or
 * standard input and produces them as the gateway does, through the gateway's own line splitter,
 * {@link PointHandler} (decoders, name normalization, rejects) and {@link PointProducer}, so a
 * point arrives on the points topic exactly as if it had been sent to port 2003 or 2004. Bad input
 * is counted by reason and sent to the rejects topic. Reading pauses while Kafka has more than a
 * few MiB unacknowledged, so a large file never fills the memory.
 */
public final class CarbonFileProducer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CarbonFileProducer.class);

  /** The protocol written to the rejects topic for input from this command. */
  public static final String PROTOCOL = "produce";

  private static final int CHUNK = 64 * 1024;
  private static final int PICKLE_HEADER = 4;

  private final ProduceConfig config;
  private final SelfMetrics metrics = new SelfMetrics(GatewayStats.ROLE);
  private final FlowControl flow;
  private final PointProducer producer;
  private final PointHandler handler;
  private final int maxLineLength;
  private final int maxFrame;
  private final Object resumed = new Object();
  private boolean closed;

  public CarbonFileProducer(ProduceConfig config) {
    this.config = config;
    this.flow = new FlowControl(16L << 20, 4L << 20, 32L << 20, metrics);
    flow.addListener(
        new FlowControl.Listener() {
          @Override
          public void onPause() {}

          @Override
          public void onResume() {
            synchronized (resumed) {
              resumed.notifyAll();
            }
          }
        });
    SchemaRegistryClient registry = RegistrySettings.client(config);
    Map<String, Object> overrides = new HashMap<>();
    overrides.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-produce");
    overrides.putAll(config.kafkaOverrides());
    this.producer =
        PointProducer.create(
            config.bootstrapServers(),
            overrides,
            Topics.points(config.pointsTopic(), registry),
            Topics.rejects(config.rejectsTopic(), registry),
            flow,
            metrics);
    int resolution = config.getInt(ProduceConfig.TIMESTAMP_RESOLUTION);
    this.maxLineLength = config.getInt(ProduceConfig.MAX_LINE_LENGTH);
    this.maxFrame = config.getInt(ProduceConfig.MAX_PICKLE_FRAME);
    this.handler =
        new PointHandler(resolution, maxLineLength, producer, MetricFilter.none(), metrics);
  }

  /**
   * Reads {@code in} to its end in the configured format, produces every point, then waits for
   * Kafka to acknowledge everything and closes the producer.
   *
   * @param name how the input is named in rejects and messages (a file name, or "stdin")
   */
  public Summary run(InputStream in, String name) throws IOException {
    long start = System.nanoTime();
    Duration timeout = config.timeout();
    String failure = null;
    if (!producer.warmUp(timeout)) {
      failure =
          "could not reach Kafka at "
              + config.bootstrapServers()
              + " or find the topics "
              + config.pointsTopic()
              + " and "
              + config.rejectsTopic()
              + " within "
              + timeout.toSeconds()
              + " s; nothing was read";
    } else {
      try {
        if (config.format() == ProduceConfig.Format.PICKLE) {
          readFrames(in, name);
        } else {
          readLines(in, name);
        }
      } catch (TimeoutException e) {
        failure = e.getMessage();
      }
    }
    long unacknowledged = close(timeout);
    long nanos = System.nanoTime() - start;
    Map<String, Long> rejects = new TreeMap<>();
    metrics
        .counters()
        .forEach(
            (k, v) -> {
              if (k.startsWith(GatewayStats.REJECTS_PREFIX) && v > 0) {
                rejects.put(k.substring(GatewayStats.REJECTS_PREFIX.length()), v);
              }
            });
    long errors = metrics.counter(GatewayStats.PRODUCE_ERRORS).sum();
    if (failure == null && (unacknowledged > 0 || errors > 0)) {
      failure = (errors + unacknowledged) + " records were not acknowledged by Kafka";
    }
    return new Summary(
        name,
        metrics.counter(GatewayStats.POINTS_PRODUCED).sum(),
        metrics.counter(GatewayStats.METRICS_RECEIVED).sum(),
        rejects,
        config.rejectsTopic(),
        nanos,
        failure,
        config.getLong(ProduceConfig.MAX_REJECTS));
  }

  /** Cuts the input into lines with the TCP framer's {@link CarbonLineSplitter.Stream}. */
  private void readLines(InputStream in, String name) throws IOException, TimeoutException {
    byte[] buf = new byte[CHUNK + maxLineLength + 1];
    CarbonLineSplitter.Bytes bytes = CarbonLineSplitter.Bytes.of(buf);
    CarbonLineSplitter.Stream stream = new CarbonLineSplitter.Stream(maxLineLength);
    FileLines lines = new FileLines(buf, name);
    int filled = 0;
    for (int n; (n = in.read(buf, filled, buf.length - filled)) >= 0; ) {
      filled += n;
      int start = 0;
      for (int next; (next = stream.next(bytes, start, filled, lines)) != start; ) {
        start = next;
      }
      // keep the unfinished line, never more than maxLineLength + 1 bytes
      System.arraycopy(buf, start, buf, 0, filled - start);
      filled -= start;
      awaitKafka();
    }
    stream.finish(bytes, 0, filled, lines);
  }

  /** Hands each line of a file to the point handler, with {@code FILE:LINE} as its source. */
  private final class FileLines implements CarbonLineSplitter.Lines {
    private final byte[] buf;
    private final String name;
    private long lineNumber = 1;

    FileLines(byte[] buf, String name) {
      this.buf = buf;
      this.name = name;
    }

    @Override
    public void line(int offset, int length) {
      handler.line(buf, offset, length, source());
    }

    @Override
    public void tooLong(byte[] head, long length) {
      handler.lineTooLong(head, length, source());
    }

    private Source source() {
      return new Source(PROTOCOL, name + ":" + lineNumber++, null);
    }
  }

  /**
   * Reads length-prefixed pickle frames; an oversized frame is skipped whole, a truncated one
   * rejected.
   */
  private void readFrames(InputStream in, String name) throws IOException, TimeoutException {
    byte[] header = new byte[PICKLE_HEADER];
    long offset = 0;
    while (true) {
      int got = in.readNBytes(header, 0, PICKLE_HEADER);
      if (got == 0) {
        return;
      }
      long arrival = System.currentTimeMillis();
      Source source = new Source(PROTOCOL, name + "@" + offset, null);
      if (got < PICKLE_HEADER) {
        handler.reject(
            header,
            0,
            got,
            RejectReason.BAD_PICKLE.code(),
            "truncated frame header at byte "
                + offset
                + ": "
                + got
                + " of 4 bytes before the end of the input",
            source,
            arrival,
            null);
        return;
      }
      long length =
          Integer.toUnsignedLong(
              ((header[0] & 0xff) << 24)
                  | ((header[1] & 0xff) << 16)
                  | ((header[2] & 0xff) << 8)
                  | (header[3] & 0xff));
      if (length > maxFrame) {
        long skipped = skip(in, length);
        handler.reject(
            header,
            0,
            PICKLE_HEADER,
            RejectReason.PICKLE_TOO_LARGE.code(),
            "frame at byte "
                + offset
                + " declares "
                + length
                + " bytes, more than "
                + maxFrame
                + "; skipped",
            source,
            arrival,
            null);
        if (skipped < length) {
          return;
        }
        offset += PICKLE_HEADER + length;
        continue;
      }
      byte[] frame = in.readNBytes((int) length);
      if (frame.length < length) {
        handler.reject(
            frame,
            0,
            frame.length,
            RejectReason.BAD_PICKLE.code(),
            "truncated frame at byte "
                + offset
                + ": "
                + frame.length
                + " of "
                + length
                + " bytes before the end of the input",
            source,
            arrival,
            null);
        return;
      }
      handler.pickleFrame(frame, 0, frame.length, source);
      offset += PICKLE_HEADER + length;
      awaitKafka();
    }
  }

  private static long skip(InputStream in, long n) throws IOException {
    long skipped = 0;
    byte[] scratch = new byte[8192];
    while (skipped < n) {
      int r = in.read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  /** Waits while the producer holds more than the pause level unacknowledged. */
  private void awaitKafka() throws TimeoutException {
    if (!flow.isPaused()) {
      return;
    }
    long deadline = System.nanoTime() + config.timeout().toNanos();
    synchronized (resumed) {
      while (flow.isPaused()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(
              "Kafka acknowledged nothing for "
                  + config.timeout().toSeconds()
                  + " s; stopped reading the input");
        }
        try {
          resumed.wait(Math.max(1, Math.min(left / 1_000_000, 200)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TimeoutException("interrupted while waiting for Kafka");
        }
      }
    }
  }

  /** Waits up to {@code timeout} for every record to be acknowledged; returns how many were not. */
  private long close(Duration timeout) {
    if (closed) {
      return 0;
    }
    closed = true;
    long left = producer.close(timeout);
    if (left > 0) {
      log.error("{} records were not acknowledged by Kafka within {}", left, timeout);
    }
    return left;
  }

  @Override
  public void close() {
    close(config.timeout());
  }

  /**
   * What a run did.
   *
   * @param points points Kafka acknowledged on the points topic
   * @param accepted points that passed validation and were handed to the producer
   * @param rejects rejected lines, frames or pickle elements by reason code
   * @param failure why the run failed (Kafka unreachable, records unacknowledged), or null
   * @param maxRejects rejects tolerated before {@link #exitCode()} reports them
   */
  public record Summary(
      String input,
      long points,
      long accepted,
      Map<String, Long> rejects,
      String rejectsTopic,
      long nanos,
      String failure,
      long maxRejects) {

    /** Exit status 1 when Kafka lost or refused anything. */
    public static final int EXIT_FAILED = 1;

    /**
     * Exit status 3 when every valid point was produced but more input than allowed was rejected.
     */
    public static final int EXIT_REJECTS = 3;

    public Summary {
      rejects = Map.copyOf(rejects);
    }

    public long rejected() {
      return rejects.values().stream().mapToLong(Long::longValue).sum();
    }

    public double pointsPerSecond() {
      return nanos == 0 ? 0 : points * 1e9 / nanos;
    }

    /**
     * 0: everything produced; 3: valid points all produced, too many rejects; 1: a Kafka failure.
     */
    public int exitCode() {
      if (failure != null) {
        return EXIT_FAILED;
      }
      return rejected() > maxRejects ? EXIT_REJECTS : 0;
    }

    public String describe() {
      StringBuilder s =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "produced %d points from %s in %.3f s (%.0f points/s)",
                  points,
                  input,
                  nanos / 1e9,
                  pointsPerSecond()));
      if (rejected() == 0) {
        s.append("; no rejects");
      } else {
        s.append("; rejected ").append(rejected()).append(" (");
        String[] parts =
            rejects.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + " " + e.getValue())
                .toArray(String[]::new);
        s.append(String.join(", ", Arrays.asList(parts)))
            .append("), sent to ")
            .append(rejectsTopic);
      }
      if (failure != null) {
        s.append("; FAILED: ").append(failure);
      }
      return s.toString();
    }
  }
}

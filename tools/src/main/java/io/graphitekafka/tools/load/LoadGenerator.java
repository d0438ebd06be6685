package io.graphitekafka.tools.load;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A deterministic Carbon load generator (plaintext or pickle): {@code series} series, each sent
 * {@code pointsPerSeries} points, spread over parallel TCP connections, as fast as possible or at a
 * fixed total rate. The bytes come from {@link LoadRenderer}, which never formats a line as a
 * String, so the generator is not what limits a benchmark. Used by {@code bin/graphite-kafka
 * loadgen} and the gateway load benchmark.
 */
public final class LoadGenerator {

  /** With {@link Timestamps#FIXED}, round {@code i} carries {@code BASE_TIMESTAMP + i * step}. */
  public static final long BASE_TIMESTAMP = 1_700_000_000L;

  /** Points per pickle frame: carbon's {@code MAX_DATAPOINTS_PER_MESSAGE}. */
  public static final int PICKLE_POINTS_PER_FRAME = 500;

  /** The wire format. */
  public enum Protocol {
    PLAINTEXT,
    PICKLE
  }

  /** Where the timestamps come from. */
  public enum Timestamps {
    /** {@link #BASE_TIMESTAMP} plus {@code step} seconds per round: the same bytes on every run. */
    FIXED,
    /** The wall clock's epoch second when the point is rendered (for freshness measurements). */
    NOW
  }

  /**
   * What to send. Series {@code s} is sent by connection {@code s % connections}; each connection
   * sends its series round by round (round {@code i} holds point {@code i} of each of its series),
   * so every series gets {@code pointsPerSeries} points in timestamp order, interleaved as live
   * traffic.
   *
   * @param host where the gateway (or any Carbon receiver) listens
   * @param port its TCP port for {@code protocol}
   * @param protocol plaintext lines or pickle frames of up to {@link #PICKLE_POINTS_PER_FRAME}
   *     points
   * @param connections parallel connections, each on its own thread
   * @param series distinct series in total, named by {@link #seriesName}
   * @param pointsPerSeries points sent for each series
   * @param rate points per second over all connections, or 0 for as fast as possible
   * @param timestamps fixed (deterministic) or the current time
   * @param step seconds between rounds with fixed timestamps
   * @param seed picks the values; the same spec and seed send the same points
   * @param prefix the first component(s) of every series name
   */
  public record Spec(
      String host,
      int port,
      Protocol protocol,
      int connections,
      int series,
      long pointsPerSeries,
      long rate,
      Timestamps timestamps,
      int step,
      long seed,
      String prefix) {
    public Spec {
      if (connections < 1 || series < connections || pointsPerSeries < 0 || rate < 0 || step < 1) {
        throw new IllegalArgumentException(
            "connections must be >= 1, series >= connections, points"
                + " per series >= 0, rate >= 0 and step >= 1");
      }
      if (prefix.isEmpty() || !prefix.chars().allMatch(c -> c > ' ' && c < 0x7f && c != '/')) {
        throw new IllegalArgumentException(
            "prefix must be printable ASCII without spaces or '/': '" + prefix + "'");
      }
    }

    /**
     * Plaintext, fixed timestamps 10 s apart, seed 1, prefix {@code loadgen}, as fast as possible.
     */
    public static Spec plaintext(
        String host, int port, int connections, int series, long pointsPerSeries) {
      return new Spec(
          host,
          port,
          Protocol.PLAINTEXT,
          connections,
          series,
          pointsPerSeries,
          0,
          Timestamps.FIXED,
          10,
          1,
          "loadgen");
    }

    public long totalPoints() {
      return series * pointsPerSeries;
    }

    /** The number of series connection {@code connection} sends. */
    public int seriesOf(int connection) {
      return series / connections + (connection < series % connections ? 1 : 0);
    }

    /** The points per second connection {@code connection} is paced at; 0 when unpaced. */
    long rateOf(int connection) {
      return rate == 0
          ? 0
          : Math.max(1, rate / connections + (connection < rate % connections ? 1 : 0));
    }
  }

  /** What was sent and how long writing it took (until the last byte was handed to the socket). */
  public record Result(long points, long bytes, long nanos, long startEpochMillis) {
    public double pointsPerSecond() {
      return nanos == 0 ? 0 : points * 1e9 / nanos;
    }
  }

  private static final int BUFFER_BYTES = 1 << 18;

  private final Spec spec;
  private final LongSupplier epochSeconds;

  public LoadGenerator(Spec spec) {
    this(spec, () -> System.currentTimeMillis() / 1000);
  }

  LoadGenerator(Spec spec, LongSupplier epochSeconds) {
    this.spec = spec;
    this.epochSeconds = epochSeconds;
  }

  /** The name of series {@code s}: {@code <prefix>.h<s % 100>.s<s>}, 100 directories of files. */
  public static String seriesName(String prefix, int s) {
    return prefix + ".h" + (s % 100) + ".s" + s;
  }

  /**
   * The value of point {@code i} of series {@code s}: an integer in [0, 100000) picked by the seed.
   */
  public static long value(long seed, int s, long i) {
    long z = seed * 0x9E3779B97F4A7C15L + s * 0xBF58476D1CE4E5B9L + i * 0x94D049BB133111EBL;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return Long.remainderUnsigned(z, 100_000);
  }

  /** Opens the connections, writes every point, closes them, and returns when all are written. */
  public Result run() throws IOException, InterruptedException {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            spec.connections(),
            r -> {
              Thread t = new Thread(r, "loadgen");
              t.setDaemon(true);
              return t;
            });
    try {
      long startMillis = System.currentTimeMillis();
      long start = System.nanoTime();
      List<Future<Long>> sent = new ArrayList<>();
      for (int c = 0; c < spec.connections(); c++) {
        int connection = c;
        sent.add(pool.submit(() -> write(connection, start)));
      }
      long bytes = 0;
      for (Future<Long> f : sent) {
        bytes += f.get();
      }
      return new Result(spec.totalPoints(), bytes, System.nanoTime() - start, startMillis);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private long write(int connection, long start) throws IOException {
    LoadRenderer renderer = new LoadRenderer(spec, connection, epochSeconds);
    long rate = spec.rateOf(connection);
    byte[] buffer = new byte[BUFFER_BYTES];
    long bytes = 0;
    try (Socket socket = new Socket()) {
      socket.setSendBufferSize(1 << 20);
      socket.setTcpNoDelay(rate > 0);
      socket.connect(new InetSocketAddress(spec.host(), spec.port()), 10_000);
      OutputStream out = socket.getOutputStream();
      while (renderer.hasMore()) {
        long allowed = Long.MAX_VALUE;
        if (rate > 0) {
          long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
          allowed = due - renderer.pointsRendered();
          if (allowed <= 0) {
            LockSupport.parkNanos(Math.max(100_000L, (long) (1e9 / rate)));
            continue;
          }
        }
        int n = renderer.render(buffer, allowed);
        out.write(buffer, 0, n);
        bytes += n;
      }
      out.flush();
    }
    return bytes;
  }

  /** {@code LoadGenerator host port connections series pointsPerSeries}: plaintext, fixed. */
  public static void main(String[] args) throws Exception {
    Spec spec =
        Spec.plaintext(
            args[0],
            Integer.parseInt(args[1]),
            Integer.parseInt(args[2]),
            Integer.parseInt(args[3]),
            Long.parseLong(args[4]));
    Result r = new LoadGenerator(spec).run();
    System.out.printf(
        "sent %d points (%d bytes) in %.3f s: %.0f points/s%n",
        r.points(), r.bytes(), r.nanos() / 1e9, r.pointsPerSecond());
  }
}

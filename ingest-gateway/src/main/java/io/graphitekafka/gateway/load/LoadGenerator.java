package io.graphitekafka.gateway.load;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A deterministic Carbon plaintext load generator: each connection writes {@code pointsPerConnection}
 * lines over its own TCP socket, cycling through {@code series} names, so the same spec always sends
 * the same bytes. Used by the load benchmark and meant for {@code bin/graphite-kafka loadgen}.
 */
public final class LoadGenerator {

  /** Timestamps start here and advance by one second every {@code series} lines. */
  public static final long BASE_TIMESTAMP = 1_700_000_000L;

  /**
   * What to send.
   *
   * @param host where the gateway (or any Carbon receiver) listens
   * @param port its plaintext TCP port
   * @param connections parallel connections, each on its own thread
   * @param pointsPerConnection lines each connection writes
   * @param series distinct series per connection ({@code loadgen.c<conn>.s<n>})
   */
  public record Spec(String host, int port, int connections, long pointsPerConnection, int series) {
    public Spec {
      if (connections < 1 || pointsPerConnection < 0 || series < 1) {
        throw new IllegalArgumentException("connections and series must be >= 1, points >= 0");
      }
    }

    public long totalPoints() {
      return connections * pointsPerConnection;
    }
  }

  /** What was sent and how long writing it took (until the last byte was handed to the socket). */
  public record Result(long points, long bytes, long nanos) {
    public double pointsPerSecond() {
      return nanos == 0 ? 0 : points * 1e9 / nanos;
    }
  }

  private final Spec spec;

  public LoadGenerator(Spec spec) {
    this.spec = spec;
  }

  /** The line number {@code i} of connection {@code connection}, with its newline. */
  public static String line(int connection, long i, int series) {
    long ts = BASE_TIMESTAMP + i / series;
    return "loadgen.c" + connection + ".s" + (i % series) + " " + (i % 1000) + " " + ts + "\n";
  }

  /** Opens the connections, writes every line, closes them, and returns when all are written. */
  public Result run() throws IOException, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(spec.connections(), r -> {
      Thread t = new Thread(r, "loadgen");
      t.setDaemon(true);
      return t;
    });
    try {
      long start = System.nanoTime();
      List<Future<Long>> sent = new ArrayList<>();
      for (int c = 0; c < spec.connections(); c++) {
        int connection = c;
        sent.add(pool.submit(() -> write(connection)));
      }
      long bytes = 0;
      for (Future<Long> f : sent) {
        bytes += f.get();
      }
      return new Result(spec.totalPoints(), bytes, System.nanoTime() - start);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  private long write(int connection) throws IOException {
    long bytes = 0;
    byte[] buffer = new byte[1 << 16];
    int used = 0;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(spec.host(), spec.port()), 10_000);
      socket.setSendBufferSize(1 << 20);
      OutputStream out = socket.getOutputStream();
      for (long i = 0; i < spec.pointsPerConnection(); i++) {
        byte[] line = line(connection, i, spec.series()).getBytes(StandardCharsets.US_ASCII);
        if (used + line.length > buffer.length) {
          out.write(buffer, 0, used);
          bytes += used;
          used = 0;
        }
        System.arraycopy(line, 0, buffer, used, line.length);
        used += line.length;
      }
      out.write(buffer, 0, used);
      bytes += used;
      out.flush();
    }
    return bytes;
  }

  /** {@code LoadGenerator host port connections pointsPerConnection series}. */
  public static void main(String[] args) throws Exception {
    Spec spec = new Spec(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]),
        Long.parseLong(args[3]), Integer.parseInt(args[4]));
    Result r = new LoadGenerator(spec).run();
    System.out.printf("sent %d points (%d bytes) in %.3f s: %.0f points/s%n", r.points(), r.bytes(),
        r.nanos() / 1e9, r.pointsPerSecond());
  }
}

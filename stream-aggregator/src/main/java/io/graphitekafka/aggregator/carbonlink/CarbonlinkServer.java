package io.graphitekafka.aggregator.carbonlink;

import io.graphitekafka.graphite.pickle.PickleException;
import io.graphitekafka.graphite.pickle.PickleReader;
import io.graphitekafka.graphite.pickle.PickleWriter;
import io.graphitekafka.service.metrics.SelfMetrics;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * carbon's cache query port (carbonlink) for graphite-web: persistent TCP connections, each request
 * and reply a 4-byte big-endian length and a pickle. Requests are untrusted: they are read with
 * {@link PickleReader} (no globals, bounded), a frame longer than {@code maxFrameBytes} is answered
 * with an error and the connection closed (its end cannot be found without reading it), a
 * connection idle for {@code idleTimeoutMillis} (graphite-web keeps its connections between
 * renders, so this is long) or stalled for 10 s inside a frame is closed, and beyond {@code
 * maxConnections} new connections are closed at once. A request that is not a pickle, or not one
 * carbon knows, gets {@code {'error': …}} and the connection goes on. Every refusal is counted. The
 * listener has its own threads, one per connection, so it never slows the stream threads.
 */
public final class CarbonlinkServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CarbonlinkServer.class);

  /** Counters, as they appear among the aggregator's self-metrics. */
  public static final String REQUESTS = "carbonlinkRequests";

  public static final String ERRORS = "carbonlinkErrors";
  public static final String CONNECTIONS_REFUSED = "carbonlinkConnectionsRefused";
  public static final String IDLE_TIMEOUTS = "carbonlinkIdleTimeouts";

  /** The longest wait for the rest of a request once its length has come. */
  static final int FRAME_TIMEOUT_MILLIS = 10_000;

  private final CarbonlinkRequests requests;
  private final ServerSocket server;
  private final int maxFrameBytes;
  private final int idleTimeoutMillis;
  private final Semaphore slots;
  private final ExecutorService pool;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final LongAdder served;
  private final LongAdder errors;
  private final LongAdder refused;
  private final LongAdder idle;
  private final Thread acceptor;
  private volatile boolean closed;

  /**
   * Binds {@code bind:port} (port 0: any free port); call {@link #start()} to serve.
   *
   * @throws UncheckedIOException if the port cannot be bound
   */
  public CarbonlinkServer(
      String bind,
      int port,
      CarbonlinkRequests requests,
      int maxConnections,
      int maxFrameBytes,
      int idleTimeoutMillis,
      SelfMetrics metrics) {
    this.requests = requests;
    this.maxFrameBytes = maxFrameBytes;
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.slots = new Semaphore(maxConnections);
    this.served = metrics.counter(REQUESTS);
    this.errors = metrics.counter(ERRORS);
    this.refused = metrics.counter(CONNECTIONS_REFUSED);
    this.idle = metrics.counter(IDLE_TIMEOUTS);
    try {
      this.server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getByName(bind), port), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for carbonlink on " + bind + ":" + port, e);
    }
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "carbonlink-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.acceptor = new Thread(this::accept, "carbonlink-accept");
    acceptor.setDaemon(true);
  }

  public void start() {
    acceptor.start();
    log.info("carbonlink (cache queries) on {}", server.getLocalSocketAddress());
  }

  /** The port it listens on. */
  public int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!closed) {
          // out of descriptors, say: not worth a busy loop
          log.warn("carbonlink accept failed: {}", e.toString());
          try {
            Thread.sleep(100);
          } catch (InterruptedException interrupted) {
            return;
          }
        }
        continue;
      }
      if (!slots.tryAcquire()) {
        refused.increment();
        closeQuietly(socket);
        continue;
      }
      open.add(socket);
      pool.execute(
          () -> {
            try {
              serve(socket);
            } finally {
              open.remove(socket);
              closeQuietly(socket);
              slots.release();
            }
          });
    }
  }

  /** Serves one connection until the client closes it, it idles, or it breaks the framing. */
  private void serve(Socket socket) {
    try {
      socket.setSoTimeout(idleTimeoutMillis);
      socket.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (!closed) {
        int length;
        socket.setSoTimeout(idleTimeoutMillis);
        try {
          length = in.readInt();
        } catch (EOFException e) {
          return; // the client closed the connection between requests
        }
        // a request is sent whole at once: one stalled inside a frame is not a pooled connection
        socket.setSoTimeout(Math.min(idleTimeoutMillis, FRAME_TIMEOUT_MILLIS));
        if (length < 0 || length > maxFrameBytes) {
          errors.increment();
          reply(
              out,
              CarbonlinkRequests.error(
                  "request of "
                      + Integer.toUnsignedString(length)
                      + " bytes exceeds the limit of "
                      + maxFrameBytes));
          return;
        }
        byte[] body = new byte[length];
        readFully(in, body);
        Map<String, Object> answer;
        try {
          answer = requests.answer(PickleReader.read(body));
        } catch (PickleException e) {
          answer = CarbonlinkRequests.error("unreadable request: " + e.getMessage());
        }
        if (answer.containsKey("error")) {
          errors.increment();
        } else {
          served.increment();
        }
        reply(out, answer);
      }
    } catch (SocketTimeoutException e) {
      idle.increment();
    } catch (EOFException e) {
      errors.increment(); // cut off inside a frame
    } catch (SocketException e) {
      // reset by the client, or closed by close()
    } catch (IOException | RuntimeException e) {
      errors.increment();
      log.debug("carbonlink connection from {} failed: {}", socket.getRemoteSocketAddress(), e);
    }
  }

  private static void readFully(InputStream in, byte[] body) throws IOException {
    int read = 0;
    while (read < body.length) {
      int n = in.read(body, read, body.length - read);
      if (n < 0) {
        throw new EOFException("connection closed inside a request");
      }
      read += n;
    }
  }

  private static void reply(OutputStream out, Map<String, Object> answer) throws IOException {
    byte[] pickle = PickleWriter.write(answer);
    byte[] frame = new byte[4 + pickle.length];
    frame[0] = (byte) (pickle.length >>> 24);
    frame[1] = (byte) (pickle.length >>> 16);
    frame[2] = (byte) (pickle.length >>> 8);
    frame[3] = (byte) pickle.length;
    System.arraycopy(pickle, 0, frame, 4, pickle.length);
    out.write(frame);
    out.flush();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    open.forEach(CarbonlinkServer::closeQuietly);
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.graphitekafka.aggregator.carbonlink;

import io.graphitekafka.graphite.pickle.PickleReader;
import io.graphitekafka.graphite.pickle.PickleWriter;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Where a series' recent points are in a cluster of aggregators, and how to ask for them: each
 * instance holds the points of the input partitions it owns, so a query for a series another
 * instance owns is forwarded to that instance's carbonlink port, found through Kafka Streams' key
 * metadata ({@code application.server} is each instance's carbonlink address). One {@code
 * CARBONLINK_HOSTS} entry per graphite-web is then enough: any aggregator answers for every series.
 *
 * <p>A forwarded request carries {@code 'forwarded': True}, which graphite-web never sends; the
 * instance that receives it answers from its own points whatever it thinks the owner is, so a
 * request is forwarded at most once, even while the partitions move.
 */
public final class CarbonlinkRouting {

  /** The key marking a request one aggregator forwarded to another. */
  public static final String FORWARDED = "forwarded";

  /** Finds the instance that owns a series. */
  public interface Owners {
    /** The carbonlink address of the instance owning {@code metric}, or null for this one. */
    InetSocketAddress remoteOwner(String metric);
  }

  /** Every series is this instance's: a single aggregator, or the standalone. */
  public static final Owners LOCAL = metric -> null;

  private final Owners owners;
  private final int timeoutMillis;
  private final int maxFrameBytes;
  private final Map<InetSocketAddress, Deque<Socket>> pool = new HashMap<>();

  public CarbonlinkRouting(Owners owners, int timeoutMillis, int maxFrameBytes) {
    this.owners = owners;
    this.timeoutMillis = timeoutMillis;
    this.maxFrameBytes = maxFrameBytes;
  }

  /** The owner's address if another instance owns {@code metric}, else null. */
  InetSocketAddress remoteOwner(String metric) {
    return owners.remoteOwner(metric);
  }

  /**
   * Asks {@code owner} for {@code request}, marked as forwarded, over a pooled connection.
   *
   * @throws IOException if the owner cannot be reached or answers with something unreadable
   */
  Object forward(InetSocketAddress owner, Map<String, Object> request) throws IOException {
    Map<String, Object> marked = new HashMap<>(request);
    marked.put(FORWARDED, Boolean.TRUE);
    byte[] body = PickleWriter.write(marked);
    Socket pooled = pooled(owner);
    if (pooled != null) {
      try {
        return exchange(owner, pooled, body);
      } catch (IOException e) {
        // the owner may have closed an idle connection: once more on a new one
      }
    }
    return exchange(owner, connect(owner), body);
  }

  private Object exchange(InetSocketAddress owner, Socket socket, byte[] body) throws IOException {
    boolean keep = false;
    try {
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      out.writeInt(body.length);
      out.write(body);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      int length = in.readInt();
      if (length < 0 || length > maxFrameBytes) {
        throw new IOException("reply of " + Integer.toUnsignedString(length) + " bytes");
      }
      byte[] reply = new byte[length];
      in.readFully(reply);
      Object answer = PickleReader.read(reply);
      keep = true;
      return answer;
    } catch (RuntimeException e) {
      throw new IOException("unreadable reply from " + owner + ": " + e.getMessage(), e);
    } finally {
      if (keep) {
        give(owner, socket);
      } else {
        socket.close();
      }
    }
  }

  private Socket pooled(InetSocketAddress owner) {
    synchronized (pool) {
      Deque<Socket> idle = pool.get(owner);
      return idle == null || idle.isEmpty() ? null : idle.pop();
    }
  }

  private Socket connect(InetSocketAddress owner) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(owner, timeoutMillis);
      s.setSoTimeout(timeoutMillis);
      s.setTcpNoDelay(true);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private void give(InetSocketAddress owner, Socket socket) throws IOException {
    synchronized (pool) {
      Deque<Socket> idle = pool.computeIfAbsent(owner, k -> new ArrayDeque<>());
      if (idle.size() < 8) {
        idle.push(socket);
        return;
      }
    }
    socket.close();
  }

  /** Closes the pooled connections. */
  public void close() {
    synchronized (pool) {
      for (Deque<Socket> idle : pool.values()) {
        for (Socket s : idle) {
          try {
            s.close();
          } catch (IOException e) {
            // closing anyway
          }
        }
      }
      pool.clear();
    }
  }
}

package io.graphitekafka.aggregator.carbonlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.pickle.PickleReader;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.testing.Await;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The carbonlink listener over real sockets: graphite-web's requests as Python pickles them,
 * persistent connections, and hostile clients, each refused with an error reply or a closed
 * connection, counted, while the listener goes on serving.
 */
class CarbonlinkServerTest {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(List.of(new ArchiveSpec(10, 360)), AggregationMethod.MAX, 0.5f);

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final RecentPoints recent = new RecentPoints(Duration.ofSeconds(10), clock::get);
  private final SelfMetrics metrics = new SelfMetrics("aggregator");
  private CarbonlinkServer server;

  @BeforeEach
  void start() {
    server =
        new CarbonlinkServer(
            "127.0.0.1",
            0,
            new CarbonlinkRequests(recent, name -> LAYOUT),
            3,
            4096,
            2_000,
            metrics);
    server.start();
    recent.add("servers.web01.cpu", 1_700_000_000L, 1.5);
    recent.add("servers.web01.cpu", 1_700_000_010L, 2.5);
    recent.add("disk.used;dc=x;host=h1", 1_700_000_000L, 7);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void answersGraphiteWebsRequestsOnOnePersistentConnection() throws Exception {
    try (Socket s = connect()) {
      // pickle.dumps({'type': 'cache-query', 'metric': 'servers.web01.cpu'}, protocol=5)
      Object reply = ask(s, request5("servers.web01.cpu"));
      assertThat(reply)
          .isEqualTo(
              Map.of(
                  "datapoints",
                  List.of(List.of(1_700_000_000.0, 1.5), List.of(1_700_000_010.0, 2.5))));
      assertThat(ask(s, request5("disk.used;dc=x;host=h1")))
          .isEqualTo(Map.of("datapoints", List.of(List.of(1_700_000_000.0, 7.0))));
      assertThat(ask(s, request5("never.seen"))).isEqualTo(Map.of("datapoints", List.of()));
      // pickle.dumps({'type': 'get-metadata', 'metric': 'a.b', 'key': 'aggregationMethod'}, 2)
      assertThat(
              ask(
                  s,
                  HexFormat.of()
                      .parseHex(
                          "80027d7100285804000000747970657101580c0000006765742d6d65746164617461"
                              + "710258060000006d657472696371035803000000612e62710458030000006b65"
                              + "79710558110000006167677265676174696f6e4d6574686f647106752e")))
          .isEqualTo(Map.of("value", "max"));
    }
    assertThat(metrics.counters().get(CarbonlinkServer.REQUESTS)).isEqualTo(4);
  }

  @Test
  void pointsLeaveTheAnswersOnceTheWindowHasPassed() throws Exception {
    clock.addAndGet(Duration.ofSeconds(11).toNanos());
    try (Socket s = connect()) {
      assertThat(ask(s, request5("servers.web01.cpu"))).isEqualTo(Map.of("datapoints", List.of()));
    }
    assertThat(recent.expireIdle()).isEqualTo(2);
    assertThat(recent.pointCount()).isZero();
  }

  @Test
  void hostileRequestsAreRefusedCountedAndTheListenerGoesOn() throws Exception {
    try (Socket s = connect()) {
      // a pickle that would run os.system('id'): refused, and the connection goes on
      Map<?, ?> global =
          (Map<?, ?>)
              ask(
                  s,
                  HexFormat.of()
                      .parseHex("8002636f730a73797374656d0a71005802000000696471018571025271032e"));
      assertThat((String) global.get("error")).contains("GLOBAL", "not allowed");
      // a name that would leave the data directory
      Map<?, ?> traversal = (Map<?, ?>) ask(s, request5("../../../etc/passwd"));
      assertThat((String) traversal.get("error")).contains("invalid metric name");
      // bytes that are no pickle at all
      Map<?, ?> garbage = (Map<?, ?>) ask(s, "not a pickle".getBytes(StandardCharsets.UTF_8));
      assertThat((String) garbage.get("error")).contains("unreadable request");
      // not a dict, an unknown type, set-metadata
      assertThat(((Map<?, ?>) ask(s, new byte[] {(byte) 0x80, 2, ']', '.'})).get("error"))
          .isEqualTo("a request must be a dict, not list");
      assertThat(ask(s, request5("servers.web01.cpu"))).isNotEqualTo(Map.of());
    }
    // a length of 2 GiB: an error reply, then the connection closes
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(0x80000000);
      out.flush();
      Map<?, ?> reply = (Map<?, ?>) readReply(new DataInputStream(s.getInputStream()));
      assertThat((String) reply.get("error"))
          .contains("2147483648 bytes exceeds the limit of 4096");
      assertThat(s.getInputStream().read()).as("closed after the reply").isEqualTo(-1);
    }
    // a frame cut short, and a client that stops inside a frame: closed, never answered
    try (Socket s = connect()) {
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(100);
      out.write(new byte[10]);
      out.flush();
      s.shutdownOutput();
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    try (Socket s = connect()) {
      s.getOutputStream().write(new byte[] {0, 0});
      s.getOutputStream().flush();
      assertThat(s.getInputStream().read()).as("closed by the idle timeout").isEqualTo(-1);
    }
    // more connections than allowed: the extra ones are closed at once
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket s = connect();
        held.add(s);
        assertThat(ask(s, request5("servers.web01.cpu"))).isNotNull();
      }
      try (Socket extra = connect()) {
        assertThat(extra.getInputStream().read()).as("refused").isEqualTo(-1);
      }
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    Await.until(
        "the held connections released",
        Duration.ofSeconds(10),
        () -> {
          try (Socket s = connect()) {
            return ask(s, request5("servers.web01.cpu")) instanceof Map<?, ?> m
                && m.containsKey("datapoints");
          } catch (IOException e) {
            return false;
          }
        });
    Map<String, Long> counters = metrics.counters();
    assertThat(counters.get(CarbonlinkServer.ERRORS)).as("errors").isGreaterThanOrEqualTo(6);
    assertThat(counters.get(CarbonlinkServer.IDLE_TIMEOUTS)).as("idle timeouts").isEqualTo(1);
    assertThat(counters.get(CarbonlinkServer.CONNECTIONS_REFUSED)).as("refused").isEqualTo(1);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    s.setSoTimeout(10_000);
    return s;
  }

  /**
   * A cache-query as Python 3.11's {@code pickle.dumps(..., protocol=5)} writes it (its FRAME
   * length is the pickle's, which the reader does not need).
   */
  private static byte[] request5(String metric) {
    byte[] name = metric.getBytes(StandardCharsets.UTF_8);
    byte[] head =
        HexFormat.of()
            .parseHex(
                "80059537000000000000007d94288c0474797065948c0b63616368652d7175657279948c066d"
                    + "6574726963948c");
    byte[] out = new byte[head.length + 1 + name.length + 3];
    System.arraycopy(head, 0, out, 0, head.length);
    out[head.length] = (byte) name.length;
    System.arraycopy(name, 0, out, head.length + 1, name.length);
    out[out.length - 3] = (byte) 0x94; // MEMOIZE
    out[out.length - 2] = 'u'; // SETITEMS
    out[out.length - 1] = '.'; // STOP
    int frame = out.length - 11; // after PROTO (2 bytes) and FRAME (9 bytes)
    out[3] = (byte) frame;
    out[4] = (byte) (frame >>> 8);
    return out;
  }

  private static Object ask(Socket s, byte[] request) throws IOException {
    DataOutputStream out = new DataOutputStream(s.getOutputStream());
    out.writeInt(request.length);
    out.write(request);
    out.flush();
    return readReply(new DataInputStream(s.getInputStream()));
  }

  private static Object readReply(DataInputStream in) throws IOException {
    try {
      int n = in.readInt();
      byte[] body = new byte[n];
      in.readFully(body);
      return PickleReader.read(body);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no reply", e);
    }
  }
}

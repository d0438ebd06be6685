package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed plaintext input, one case per line of the corpus: each is rejected with its reason,
 * sent to the rejects topic with its raw bytes, and the valid line written right after it on the
 * same connection (or in the same datagram) still arrives.
 */
class MalformedInputCorpusTest {

  private static final String VALID = "after.bad.input 7 1700000000";

  static Stream<Arguments> corpus() {
    List<Arguments> cases = new ArrayList<>();
    add(cases, "", "empty_line");
    add(cases, "   ", "empty_line");
    add(cases, "\t \u000b\f", "empty_line");
    add(cases, "onlyaname", "field_count");
    add(cases, "a.b 1", "field_count");
    add(cases, "a.b 1 2 3", "field_count");
    add(cases, "a b c d e f", "field_count");
    // U+00A0 is whitespace to Python's str.split(), so this has four fields
    add(cases, "a.b\u00a01 2 1700000000", "field_count");
    add(cases, "a.b 0x10 1700000000", "bad_value");
    add(cases, "a.b abc 1700000000", "bad_value");
    add(cases, "a.b 1.5d 1700000000", "bad_value");
    add(cases, "a.b 0x1p3 1700000000", "bad_value");
    add(cases, "a.b 1__0 1700000000", "bad_value");
    add(cases, "a.b _1 1700000000", "bad_value");
    add(cases, "a.b 1_ 1700000000", "bad_value");
    add(cases, "a.b 1e 1700000000", "bad_value");
    add(cases, "a.b . 1700000000", "bad_value");
    add(cases, "a.b -- 1700000000", "bad_value");
    add(cases, "a.b ++1 1700000000", "bad_value");
    add(cases, "a.b infinit 1700000000", "bad_value");
    add(cases, "a.b 1,5 1700000000", "bad_value");
    add(cases, "a.b nan 1700000000", "nan_value");
    add(cases, "a.b NaN 1700000000", "nan_value");
    add(cases, "a.b -nan 1700000000", "nan_value");
    add(cases, "a.b 1 abc", "bad_timestamp");
    add(cases, "a.b 1 0x10", "bad_timestamp");
    add(cases, "a.b 1 1.7e", "bad_timestamp");
    add(cases, "a.b 1 17_", "bad_timestamp");
    add(cases, "a.b 1 nan", "nonfinite_timestamp");
    add(cases, "a.b 1 inf", "nonfinite_timestamp");
    add(cases, "a.b 1 -Infinity", "nonfinite_timestamp");
    add(cases, "a.b 1 4294967296", "timestamp_range");
    add(cases, "a.b 1 -5", "timestamp_range");
    add(cases, "a.b 1 -2", "timestamp_range");
    add(cases, "a.b 1 1e300", "timestamp_range");
    cases.add(
        Arguments.of("invalid byte 0xff", bytes("a.", 0xff, "b 1 1700000000"), "invalid_utf8"));
    cases.add(Arguments.of("truncated sequence", bytes("a.b 1 17000", 0xc3), "invalid_utf8"));
    cases.add(
        Arguments.of("overlong slash", bytes("a", 0xc0, 0xaf, "b 1 1700000000"), "invalid_utf8"));
    cases.add(
        Arguments.of(
            "encoded surrogate", bytes("a", 0xed, 0xa0, 0x80, " 1 1700000000"), "invalid_utf8"));
    add(cases, "a..b 1 1700000000", "invalid_name");
    add(cases, "a.b. 1 1700000000", "invalid_name");
    add(cases, "a/b 1 1700000000", "invalid_name");
    add(cases, "../../etc/passwd 1 1700000000", "invalid_name");
    add(cases, "a\u0000b 1 1700000000", "invalid_name");
    add(cases, "a.b;novalue 1 1700000000", "invalid_name");
    add(cases, "a.b;=v 1 1700000000", "invalid_name");
    add(cases, "a.b;t= 1 1700000000", "invalid_name");
    add(cases, "a.b;t=~v 1 1700000000", "invalid_name");
    add(cases, "a.b;t=v; 1 1700000000", "invalid_name");
    add(cases, ";t=v 1 1700000000", "invalid_name");
    add(cases, "a.b;t!=v 1 1700000000", "invalid_name");
    add(cases, "x".repeat(300) + " 1 1700000000", "invalid_name");
    return cases.stream();
  }

  private static void add(List<Arguments> cases, String line, String reason) {
    String label = line.length() > 40 ? line.substring(0, 40) + "..." : line;
    cases.add(Arguments.of(label, line.getBytes(StandardCharsets.UTF_8), reason));
  }

  private static byte[] bytes(Object... parts) {
    List<Byte> out = new ArrayList<>();
    for (Object part : parts) {
      if (part instanceof String s) {
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
          out.add(b);
        }
      } else {
        out.add((byte) (int) (Integer) part);
      }
    }
    byte[] result = new byte[out.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = out.get(i);
    }
    return result;
  }

  @Test
  void corpusHasAtLeastFortyInputs() {
    assertThat(corpus().count()).isGreaterThanOrEqualTo(40);
  }

  @ParameterizedTest(name = "[{index}] {0} -> {2}")
  @MethodSource("corpus")
  void rejectsOverTcpAndKeepsTheNextLine(String label, byte[] bad, String reason) {
    Harness h = new Harness();
    EmbeddedChannel ch = h.plaintext();
    ch.writeInbound(Unpooled.wrappedBuffer(concat(bad, "\n" + VALID + "\n")));

    assertRejectedThenValid(h, bad, reason, "plaintext-tcp");
    assertThat(ch.isOpen()).isTrue();
  }

  /** The corpus minus inputs holding a character that str.splitlines() splits on (VT, FF). */
  static Stream<Arguments> udpCorpus() {
    return corpus()
        .filter(
            a -> {
              for (byte b : (byte[]) a.get()[1]) {
                if (b == 0x0b || b == 0x0c) {
                  return false;
                }
              }
              return true;
            });
  }

  @ParameterizedTest(name = "[{index}] {0} -> {2}")
  @MethodSource("udpCorpus")
  void rejectsOverUdpAndKeepsTheRestOfTheDatagram(String label, byte[] bad, String reason) {
    Harness h = new Harness();
    EmbeddedChannel ch = h.udp();
    ch.writeInbound(
        new DatagramPacket(
            Unpooled.wrappedBuffer(concat(bad, "\n" + VALID + "\n")),
            new InetSocketAddress("127.0.0.1", 2003),
            new InetSocketAddress("10.1.2.3", 40000)));

    assertRejectedThenValid(h, bad, reason, "plaintext-udp");
  }

  @Test
  void rejectsAnOverlongLineAndKeepsTheNextOne() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.plaintext();
    byte[] longLine =
        ("a.b " + "1".repeat(20000) + " 1700000000\n").getBytes(StandardCharsets.UTF_8);
    ch.writeInbound(Unpooled.wrappedBuffer(longLine));
    ch.writeInbound(Unpooled.copiedBuffer(VALID + "\n", StandardCharsets.UTF_8));

    assertThat(h.rejectCount("line_too_long")).isEqualTo(1);
    Reject reject = h.rejects().get(0);
    byte[] raw = new byte[reject.getRaw().remaining()];
    reject.getRaw().duplicate().get(raw);
    // the reject keeps the line's first max.line.length bytes
    assertThat(raw).hasSize(h.maxLineLength()).isEqualTo(Arrays.copyOf(longLine, raw.length));
    assertThat(reject.getDetail()).contains("20015 bytes");
    assertThat(h.pointNames()).containsExactly("after.bad.input");
    assertThat(ch.isOpen()).isTrue();
  }

  private static void assertRejectedThenValid(
      Harness h, byte[] bad, String reason, String protocol) {
    assertThat(h.metrics.counters()).containsEntry("rejects." + reason, 1L);
    List<Reject> rejects = h.rejects();
    assertThat(rejects).hasSize(1);
    Reject reject = rejects.get(0);
    assertThat(reject.getReason()).isEqualTo(reason);
    assertThat(reject.getProtocol()).isEqualTo(protocol);
    byte[] raw = new byte[reject.getRaw().remaining()];
    reject.getRaw().duplicate().get(raw);
    // the TCP framer strips "\r\n"; the raw bytes are the line without its terminator
    assertThat(raw).isEqualTo(bad);
    List<MetricPoint> points = h.points();
    assertThat(points).containsExactly(new MetricPoint("after.bad.input", 1700000000L, 7.0));
  }

  private static byte[] concat(byte[] a, String b) {
    byte[] tail = b.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(a, a.length + tail.length);
    System.arraycopy(tail, 0, out, a.length, tail.length);
    return out;
  }
}

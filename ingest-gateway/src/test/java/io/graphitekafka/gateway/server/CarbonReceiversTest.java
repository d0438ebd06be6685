package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Each Carbon receiver's pipeline on an EmbeddedChannel, fed like a client would feed it. */
class CarbonReceiversTest {

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  static byte[] pickleResource(String name) throws IOException {
    try (InputStream in =
        CarbonReceiversTest.class.getResourceAsStream("/carbon/pickles/" + name)) {
      return in.readAllBytes();
    }
  }

  static ByteBuf frame(byte[] pickle) {
    ByteBuf buf = Unpooled.buffer(pickle.length + 4);
    buf.writeInt(pickle.length);
    buf.writeBytes(pickle);
    return buf;
  }

  @Test
  void plaintextProducesOnePointPerLineKeyedByNormalizedName() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.plaintext();
    ch.writeInbound(text("servers.web01.cpu 42 1700000000\n"));
    ch.writeInbound(text("disk.used;host=b;env=prod 1.5e3 1700000010\r\n"));
    ch.writeInbound(text("om_metric{job=\"x\",a=\"1\"} -Infinity 1700000020\n"));

    assertThat(h.points())
        .containsExactly(
            new MetricPoint("servers.web01.cpu", 1700000000L, 42.0),
            new MetricPoint("disk.used;env=prod;host=b", 1700000010L, 1500.0),
            new MetricPoint("om_metric;a=1;job=x", 1700000020L, Double.NEGATIVE_INFINITY));
    assertThat(h.history())
        .extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
        .containsExactly("servers.web01.cpu", "disk.used;env=prod;host=b", "om_metric;a=1;job=x");
    assertThat(h.counter(GatewayStats.METRICS_RECEIVED)).isEqualTo(3);
    assertThat(h.counter(GatewayStats.POINTS_PRODUCED)).isEqualTo(3);
  }

  @Test
  void plaintextReassemblesLinesSplitAcrossReads() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.plaintext();
    ch.writeInbound(text("a.b 1 17000"));
    ch.writeInbound(text("00000\nc.d 2"));
    assertThat(h.points()).hasSize(1);
    ch.writeInbound(text(" 1700000000\n"));

    assertThat(h.pointNames()).containsExactly("a.b", "c.d");
  }

  @Test
  void plaintextReplacesMinusOneTimestampWithArrivalTime() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.plaintext();
    long before = System.currentTimeMillis() / 1000;
    ch.writeInbound(text("a.b 1 -1\n"));
    long after = System.currentTimeMillis() / 1000;

    assertThat(h.points().get(0).getTimestamp()).isBetween(before, after);
  }

  @Test
  void plaintextRejectCarriesTheSourceAddress() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.plaintext();
    ch.writeInbound(text("not a valid line\n"));

    Reject reject = h.rejects().get(0);
    assertThat(reject.getProtocol()).isEqualTo("plaintext-tcp");
    assertThat(reject.getSourceAddress()).isEqualTo("embedded");
    assertThat(reject.getDetail()).isNotBlank();
  }

  @Test
  void pickleDecodesARelayFrameIntoPoints() throws IOException {
    Harness h = new Harness();
    EmbeddedChannel ch = h.pickle(1 << 20);
    ch.writeInbound(frame(pickleResource("relay-p2.pickle")));

    assertThat(h.pointNames())
        .containsExactly(
            "carbon.agents.host-a.cpuUsage",
            "servers.web01.load",
            "servers.web01.big",
            "servers.café.über",
            "tagged;dc=ams;env=prod",
            "servers.web01.inf");
    assertThat(h.rejects()).isEmpty();
  }

  @Test
  void pickleReassemblesAFrameSplitAcrossReads() throws IOException {
    Harness h = new Harness();
    EmbeddedChannel ch = h.pickle(1 << 20);
    ByteBuf whole = frame(pickleResource("relay-p2.pickle"));
    ch.writeInbound(whole.readRetainedSlice(3));
    ch.writeInbound(whole.readRetainedSlice(20));
    assertThat(h.points()).isEmpty();
    ch.writeInbound(whole);

    assertThat(h.points()).hasSize(6);
  }

  @Test
  void pickleRejectsAGlobalFrameAndKeepsTheConnectionForTheNextFrame() throws IOException {
    Harness h = new Harness();
    EmbeddedChannel ch = h.pickle(1 << 20);
    byte[] evil = pickleResource("evil-global-p0.pickle");
    ch.writeInbound(frame(evil));
    ch.writeInbound(frame(pickleResource("relay-p2.pickle")));

    assertThat(h.rejectCount("pickle_forbidden_opcode")).isEqualTo(1);
    Reject reject = h.rejects().get(0);
    assertThat(reject.getReason()).isEqualTo("pickle_forbidden_opcode");
    assertThat(reject.getRaw().remaining()).isEqualTo(evil.length);
    assertThat(h.points()).hasSize(6);
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void pickleSkipsAnOversizedFrameAndDecodesTheNextOne() throws IOException {
    Harness h = new Harness();
    EmbeddedChannel ch = h.pickle(1024);
    ByteBuf big = Unpooled.buffer();
    big.writeInt(5000);
    big.writeZero(5000);
    ch.writeInbound(big);
    ch.writeInbound(frame(pickleResource("relay-p2.pickle")));

    assertThat(h.rejectCount("pickle_too_large")).isEqualTo(1);
    assertThat(h.points()).hasSize(6);
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void pickleCountsEveryBadElementButSendsTheFrameOnce() throws IOException {
    Harness h = new Harness();
    EmbeddedChannel ch = h.pickle(1 << 20);
    // ints-p0 holds one element whose value is not numeric
    ch.writeInbound(frame(pickleResource("ints-p0.pickle")));

    assertThat(h.rejects()).hasSize(1);
    assertThat(h.rejectCount("bad_value")).isEqualTo(1);
    assertThat(h.points()).hasSize(6);
  }

  @Test
  void udpSplitsADatagramIntoLines() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.udp();
    ch.writeInbound(
        new DatagramPacket(
            text("a.b 1 1700000000\nc.d 2 1700000000\re.f 3 1700000000"),
            new InetSocketAddress("127.0.0.1", 2003),
            new InetSocketAddress("10.0.0.9", 5555)));

    assertThat(h.pointNames()).containsExactly("a.b", "c.d", "e.f");
  }

  @Test
  void udpRejectCarriesTheSendersAddress() {
    Harness h = new Harness();
    EmbeddedChannel ch = h.udp();
    ch.writeInbound(
        new DatagramPacket(
            text("bad line\n"),
            new InetSocketAddress("127.0.0.1", 2003),
            new InetSocketAddress("10.0.0.9", 5555)));

    Reject reject = h.rejects().get(0);
    assertThat(reject.getSourceAddress()).isEqualTo("10.0.0.9");
    assertThat(reject.getSourcePort()).isEqualTo(5555);
    assertThat(reject.getProtocol()).isEqualTo("plaintext-udp");
  }

  @Test
  void blacklistedAndNotWhitelistedNamesAreCountedNotProduced() {
    MetricFilter filter =
        new MetricFilter(
            MetricFilter.parse(java.util.List.of("^servers\\."), "whitelist"),
            MetricFilter.parse(java.util.List.of("\\.secret$"), "blacklist"));
    Harness h = new Harness(true, 16 << 20, 4 << 20, 32 << 20, filter, 0, 0);
    EmbeddedChannel ch = h.plaintext();
    ch.writeInbound(
        text("servers.a 1 1700000000\nservers.secret 1 1700000000\nother.a 1 1700000000\n"));

    assertThat(h.pointNames()).containsExactly("servers.a");
    assertThat(h.counter(GatewayStats.BLACKLIST_MATCHES)).isEqualTo(1);
    assertThat(h.counter(GatewayStats.WHITELIST_REJECTS)).isEqualTo(1);
    assertThat(h.counter(GatewayStats.METRICS_RECEIVED)).isEqualTo(1);
    assertThat(h.rejects()).isEmpty();
  }
}

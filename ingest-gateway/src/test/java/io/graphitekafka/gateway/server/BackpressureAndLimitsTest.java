package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.gateway.metrics.GatewayStats;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Reading stops while Kafka lags and resumes when it drains; connection limits and idle timeouts.
 */
class BackpressureAndLimitsTest {

  private static void lines(EmbeddedChannel ch, int from, int count) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      sb.append("bp.series").append(i).append(' ').append(i).append(" 1700000000\n");
    }
    ch.writeInbound(Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8));
  }

  private static Harness slowKafka() {
    // the mock producer acknowledges only when told; pause above 2000 bytes, resume at 500
    return new Harness(false, 2000, 500, 4000, MetricFilter.none(), 0, 0);
  }

  @Test
  void stopsReadingWhenKafkaLagsAndResumesWhenItDrains() throws Exception {
    Harness h = slowKafka();
    EmbeddedChannel ch = h.plaintext();
    lines(ch, 0, 10);
    assertThat(h.flow.isPaused()).isFalse();
    assertThat(ch.config().isAutoRead()).isTrue();

    lines(ch, 10, 40);
    assertThat(h.flow.isPaused()).isTrue();
    assertThat(ch.config().isAutoRead()).isFalse();
    EmbeddedChannel late = h.plaintext();
    assertThat(late.config().isAutoRead()).as("a connection accepted while paused").isFalse();

    Thread.sleep(30);
    // acknowledging a few is not enough: hysteresis keeps reading off until the resume level
    h.mock.completeNext();
    assertThat(ch.config().isAutoRead()).isFalse();
    while (h.mock.completeNext()) {
      // drain
    }
    assertThat(h.flow.isPaused()).isFalse();
    assertThat(ch.config().isAutoRead()).isTrue();
    assertThat(late.config().isAutoRead()).isTrue();
    assertThat(h.counter(GatewayStats.BACKPRESSURE_MILLIS)).isGreaterThanOrEqualTo(30);
    assertThat(h.pointNames()).hasSize(50);
    assertThat(h.counter(GatewayStats.POINTS_PRODUCED)).isEqualTo(50);
  }

  @Test
  void brokerErrorsReleaseTheBufferAndAreCounted() {
    Harness h = slowKafka();
    EmbeddedChannel ch = h.plaintext();
    lines(ch, 0, 50);
    assertThat(ch.config().isAutoRead()).isFalse();
    while (h.mock.errorNext(new org.apache.kafka.common.errors.NotLeaderOrFollowerException("x"))) {
      // fail them all
    }
    assertThat(ch.config().isAutoRead()).isTrue();
    assertThat(h.counter(GatewayStats.PRODUCE_ERRORS)).isEqualTo(50);
    assertThat(h.counter(GatewayStats.POINTS_PRODUCED)).isZero();
  }

  @Test
  void udpCountsDatagramsItCannotHandToKafka() {
    Harness h = slowKafka();
    EmbeddedChannel udp = h.udp();
    InetSocketAddress here = new InetSocketAddress("127.0.0.1", 2003);
    InetSocketAddress sender = new InetSocketAddress("127.0.0.1", 9999);
    for (int i = 0; i < 200; i++) {
      udp.writeInbound(
          new DatagramPacket(
              Unpooled.copiedBuffer(
                  "udp.a " + i + " 1700000000\nudp.b " + i + " 1700000000\n",
                  StandardCharsets.UTF_8),
              here,
              sender));
    }
    long produced = h.history().size();
    long lost = h.counter(GatewayStats.UDP_LOSSES);
    assertThat(lost).isPositive();
    assertThat(produced + lost).isEqualTo(400);
    assertThat(h.counter(GatewayStats.UDP_DATAGRAMS_DROPPED) * 2).isEqualTo(lost);
  }

  @Test
  void refusesConnectionsBeyondTheLimitAndCountsThem() {
    Harness h = new Harness(true, 1 << 20, 1 << 10, 1 << 21, MetricFilter.none(), 2, 0);
    EmbeddedChannel a = h.plaintext();
    EmbeddedChannel b = h.plaintext();
    EmbeddedChannel c = h.pickle(1 << 20);

    assertThat(a.isOpen()).isTrue();
    assertThat(b.isOpen()).isTrue();
    assertThat(c.isOpen()).isFalse();
    assertThat(h.counter(GatewayStats.CONNECTIONS_REFUSED)).isEqualTo(1);
    assertThat(h.metrics.gauges()).containsEntry(GatewayStats.ACTIVE_CONNECTIONS, 2.0);
    a.close();
    assertThat(h.metrics.gauges()).containsEntry(GatewayStats.ACTIVE_CONNECTIONS, 1.0);
    assertThat(h.plaintext().isOpen()).isTrue();
  }

  @Test
  void closesIdleConnectionsButNotOnesPausedByBackpressure() {
    Harness h = new Harness(false, 2000, 500, 4000, MetricFilter.none(), 0, 60);
    EmbeddedChannel idle = h.plaintext();
    idle.pipeline().fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    assertThat(idle.isOpen()).isFalse();
    assertThat(h.counter(GatewayStats.IDLE_TIMEOUTS)).isEqualTo(1);

    EmbeddedChannel paused = h.plaintext();
    lines(paused, 0, 50);
    assertThat(paused.config().isAutoRead()).isFalse();
    paused.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertThat(paused.isOpen()).isTrue();
  }

  @Test
  void idleTimeoutAddsAnIdleHandlerOnlyWhenSet() {
    assertThat(new Harness().plaintext().pipeline().get("idle")).isNull();
    Harness h = new Harness(true, 1 << 20, 1 << 10, 1 << 21, MetricFilter.none(), 0, 5);
    assertThat(h.plaintext().pipeline().get("idle")).isNotNull();
  }

  @Test
  void idleTimerCountsCompleteLinesAndFramesNotBytes() {
    // after the framer: bytes of a line that never ends (slowloris) do not keep a connection alive
    Harness h = new Harness(true, 1 << 20, 1 << 10, 1 << 21, MetricFilter.none(), 0, 5);
    assertThat(h.plaintext().pipeline().names())
        .containsSubsequence("guard", "framer", "idle", "lines");
    assertThat(h.pickle(1 << 20).pipeline().names())
        .containsSubsequence("guard", "framer", "idle", "frames");
  }

  @Test
  void anIdleEventFromTheTimerReachesTheGuardAndClosesTheConnection() {
    Harness h = new Harness(false, 2000, 500, 4000, MetricFilter.none(), 0, 60);
    EmbeddedChannel ch = h.plaintext();
    ch.pipeline()
        .context("idle")
        .fireUserEventTriggered(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    assertThat(ch.isOpen()).as("an event fired after the guard does not close").isTrue();
    // what the timer itself does: start the event again at the head
    ((CarbonServer.FrameIdleHandler) ch.pipeline().get("idle"))
        .channelIdle(ch.pipeline().context("idle"), IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    assertThat(ch.isOpen()).isFalse();
    assertThat(h.counter(GatewayStats.IDLE_TIMEOUTS)).isEqualTo(1);
  }
}

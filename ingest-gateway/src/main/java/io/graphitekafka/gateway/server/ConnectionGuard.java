package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.kafka.FlowControl;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of every TCP connection, shared by the TCP listeners: it enforces the
 * connection limit, closes idle connections, and switches reading off on every connection while the
 * producer is backed up ({@link FlowControl}) and on again once it has drained. carbon has no
 * connection limit and no idle timeout; both are off when set to 0.
 */
@Sharable
public final class ConnectionGuard extends ChannelInboundHandlerAdapter
    implements FlowControl.Listener {

  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
  private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final int maxConnections;
  private final FlowControl flow;
  private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final AtomicInteger active = new AtomicInteger();
  private final LongAdder refused;
  private final LongAdder idleTimeouts;
  private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

  /**
   * @param maxConnections the most connections open at once; 0 for no limit
   */
  public ConnectionGuard(int maxConnections, FlowControl flow, SelfMetrics metrics) {
    this.maxConnections = maxConnections;
    this.flow = flow;
    this.refused = metrics.counter(GatewayStats.CONNECTIONS_REFUSED);
    this.idleTimeouts = metrics.counter(GatewayStats.IDLE_TIMEOUTS);
    metrics.gauge(GatewayStats.ACTIVE_CONNECTIONS, active::get);
    flow.addListener(this);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    if (active.incrementAndGet() > maxConnections && maxConnections > 0) {
      refused.increment();
      long now = System.nanoTime();
      long last = lastRefusalLog.get();
      if (now - last >= LOG_INTERVAL_NANOS && lastRefusalLog.compareAndSet(last, now)) {
        log.warn(
            "refusing connection from {}: {} connections open (max.connections)",
            ch.remoteAddress(),
            maxConnections);
      }
      ch.config().setAutoRead(false);
      ctx.close();
      return;
    }
    channels.add(ch);
    if (flow.isPaused()) {
      // the head handler reads after channelActive only if auto-read is still on
      ch.config().setAutoRead(false);
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    active.decrementAndGet();
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      // a connection we stopped reading is not idle
      if (ctx.channel().config().isAutoRead()) {
        idleTimeouts.increment();
        log.debug("closing idle connection from {}", ctx.channel().remoteAddress());
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void onPause() {
    channels.forEach(ch -> ch.config().setAutoRead(false));
  }

  @Override
  public void onResume() {
    channels.forEach(ch -> ch.config().setAutoRead(true));
  }

  /** Repairs any connection whose reading disagrees with the flow state (a race at accept time). */
  public void reconcile() {
    boolean read = !flow.isPaused();
    for (Channel ch : channels) {
      if (ch.config().isAutoRead() != read) {
        ch.config().setAutoRead(read);
      }
    }
  }

  public int activeConnections() {
    return active.get();
  }

  /** Closes every open connection, after the handlers have processed what was already read. */
  public void closeAll() {
    channels.close().awaitUninterruptibly();
  }
}

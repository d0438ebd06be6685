package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import io.graphitekafka.gateway.kafka.FlowControl;
import io.graphitekafka.gateway.metrics.GatewayStats;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Carbon plaintext UDP listener. Each datagram is split into lines as Python's {@code
 * str.splitlines()} splits it and every line goes to the {@link PointHandler}; a bad line rejects
 * only itself, where carbon abandons the rest of the datagram. Datagrams are read whole (up to 64
 * KiB), so nothing is cut off at carbon's 8 KiB read size. UDP cannot push back: while the producer
 * is too far behind, datagrams are dropped and their lines counted as {@code udpLosses}; what the
 * kernel drops is not seen here, which is why TCP is the transport to prefer.
 */
public final class CarbonUdpServer extends BoundListener {

  private static final Logger log = LoggerFactory.getLogger(CarbonUdpServer.class);
  static final String PROTOCOL = "plaintext-udp";
  private static final int MAX_DATAGRAM = 65536;

  private final InetSocketAddress address;
  private final DatagramHandler handler;
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  public CarbonUdpServer(
      String bindAddress, int port, PointHandler points, FlowControl flow, SelfMetrics metrics) {
    super("plaintext UDP");
    this.address = new InetSocketAddress(bindAddress, port);
    this.handler = new DatagramHandler(points, flow, metrics);
  }

  @Override
  public void start() throws InterruptedException {
    bind(
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
            .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
            .handler(handler),
        address);
  }

  /** Stops reading datagrams; what was read is handed to the producer before this returns. */
  @Override
  public void close() {
    super.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Splits one datagram into lines for the point handler, or counts them lost. */
  @Sharable
  static final class DatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final PointHandler points;
    private final FlowControl flow;
    private final LongAdder lostLines;
    private final LongAdder droppedDatagrams;
    private final AtomicLong lastLossLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

    DatagramHandler(PointHandler points, FlowControl flow, SelfMetrics metrics) {
      this.points = points;
      this.flow = flow;
      this.lostLines = metrics.counter(GatewayStats.UDP_LOSSES);
      this.droppedDatagrams = metrics.counter(GatewayStats.UDP_DATAGRAMS_DROPPED);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ByteBuf content = packet.content();
      byte[] bytes = ByteBufUtil.getBytes(content);
      if (!flow.acceptsUnpausable()) {
        int[] lines = new int[1];
        CarbonLineSplitter.forEachLine(bytes, 0, bytes.length, (b, o, l) -> lines[0]++);
        lostLines.add(lines[0]);
        droppedDatagrams.increment();
        long now = System.nanoTime();
        long last = lastLossLog.get();
        if (now - last >= LOG_INTERVAL_NANOS && lastLossLog.compareAndSet(last, now)) {
          log.warn(
              "dropping UDP datagrams: {} bytes wait for Kafka; counted as {}",
              flow.inflightBytes(),
              GatewayStats.UDP_LOSSES);
        }
        return;
      }
      Source source = Source.of(PROTOCOL, packet.sender());
      CarbonLineSplitter.forEachLine(
          bytes,
          0,
          bytes.length,
          (buf, offset, length) -> points.line(buf, offset, length, source));
    }
  }
}

package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Carbon plaintext UDP listener. Each datagram is split into lines as Python's
 * {@code str.splitlines()} splits it and every line goes to the {@link PointHandler}; a bad line rejects
 * only itself, where carbon abandons the rest of the datagram. Datagrams are read whole (up to 64 KiB),
 * so nothing is cut off at carbon's 8 KiB read size. UDP cannot push back: what the kernel drops under
 * load is not seen here, which is why TCP is the transport to prefer.
 */
public final class CarbonUdpServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CarbonUdpServer.class);
  static final String PROTOCOL = "plaintext-udp";
  private static final int MAX_DATAGRAM = 65536;

  private final String bindAddress;
  private final int requestedPort;
  private final PointHandler points;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private Channel channel;

  public CarbonUdpServer(String bindAddress, int port, PointHandler points) {
    this.bindAddress = bindAddress;
    this.requestedPort = port;
    this.points = points;
  }

  public void start() throws InterruptedException {
    channel = new Bootstrap()
        .group(group)
        .channel(NioDatagramChannel.class)
        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_DATAGRAM))
        .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
        .handler(new DatagramHandler(points))
        .bind(new InetSocketAddress(bindAddress, requestedPort)).sync().channel();
    log.info("plaintext UDP listener on {}", channel.localAddress());
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Splits one datagram into lines for the point handler. */
  @Sharable
  static final class DatagramHandler extends SimpleChannelInboundHandler<DatagramPacket> {

    private final PointHandler points;

    DatagramHandler(PointHandler points) {
      this.points = points;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ByteBuf content = packet.content();
      byte[] bytes = ByteBufUtil.getBytes(content);
      InetSocketAddress sender = packet.sender();
      CarbonLineSplitter.forEachLine(bytes, 0, bytes.length,
          (buf, offset, length) -> points.line(buf, offset, length, PROTOCOL, sender));
    }
  }
}

package io.graphitekafka.gateway.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Carbon plaintext TCP listener: newline framing bounded by the maximum line length, then one line at
 * a time to the {@link PointHandler}.
 */
public final class CarbonServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CarbonServer.class);

  private final String bindAddress;
  private final int requestedPort;
  private final CarbonLineHandler lineHandler;
  private final int maxLineLength;
  private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
  private Channel serverChannel;

  public CarbonServer(String bindAddress, int port, int maxLineLength, PointHandler points) {
    this.bindAddress = bindAddress;
    this.requestedPort = port;
    this.maxLineLength = maxLineLength;
    this.lineHandler = new CarbonLineHandler(points, maxLineLength);
  }

  public void start() throws InterruptedException {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(boss, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline()
                .addLast("framer", new LineBasedFrameDecoder(maxLineLength, true, false))
                .addLast("lines", lineHandler);
          }
        });
    serverChannel = bootstrap.bind(new InetSocketAddress(bindAddress, requestedPort)).sync().channel();
    log.info("plaintext listener on {}", serverChannel.localAddress());
  }

  /** The bound port, useful when 0 was asked for. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
    boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}

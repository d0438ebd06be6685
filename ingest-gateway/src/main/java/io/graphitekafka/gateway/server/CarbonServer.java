package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.GatewayMetrics;
import io.graphitekafka.gateway.carbon.PickleDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Carbon TCP listener: bounded framing (newlines for plaintext, a 4-byte big-endian length for
 * pickle), then a stateless shared handler that hands each frame to the {@link PointHandler}.
 */
public final class CarbonServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CarbonServer.class);

  private final String name;
  private final InetSocketAddress address;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Consumer<ChannelPipeline> pipeline;
  private Channel serverChannel;

  private CarbonServer(String name, String bindAddress, int port, EventLoopGroup boss,
      EventLoopGroup workers, Consumer<ChannelPipeline> pipeline) {
    this.name = name;
    this.address = new InetSocketAddress(bindAddress, port);
    this.boss = boss;
    this.workers = workers;
    this.pipeline = pipeline;
  }

  /** Carbon's line receiver (port 2003): {@code path value timestamp\n}. */
  public static CarbonServer plaintext(String bindAddress, int port, int maxLineLength,
      PointHandler points, EventLoopGroup boss, EventLoopGroup workers) {
    CarbonLineHandler handler = new CarbonLineHandler(points, maxLineLength);
    return new CarbonServer("plaintext", bindAddress, port, boss, workers, p -> p
        .addLast("framer", new LineBasedFrameDecoder(maxLineLength, true, false))
        .addLast("lines", handler));
  }

  /** Carbon's pickle receiver (port 2004): frames of a u32 length and a pickled list of points. */
  public static CarbonServer pickle(String bindAddress, int port, int maxFrameLength, PointHandler points,
      GatewayMetrics metrics, int timestampResolution, EventLoopGroup boss, EventLoopGroup workers) {
    PickleFrameHandler handler =
        new PickleFrameHandler(new PickleDecoder(timestampResolution), points, metrics);
    return new CarbonServer("pickle", bindAddress, port, boss, workers, p -> p
        .addLast("framer", new LengthFieldBasedFrameDecoder(maxFrameLength + 4, 0, 4, 0, 4, true))
        .addLast("frames", handler));
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
            pipeline.accept(ch.pipeline());
          }
        });
    serverChannel = bootstrap.bind(address).sync().channel();
    log.info("{} listener on {}", name, serverChannel.localAddress());
  }

  /** The bound port, useful when 0 was asked for. */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Stops accepting connections; the event loops belong to the caller. */
  @Override
  public void close() {
    if (serverChannel != null) {
      serverChannel.close().syncUninterruptibly();
    }
  }
}

package io.graphitekafka.gateway.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Carbon TCP listener. Pipeline: the shared {@link ConnectionGuard} (limit, idle timeout,
 * backpressure), bounded framing (newlines for plaintext, a 4-byte big-endian length for pickle),
 * the idle timer when one is set (it counts frames, not bytes), then a stateless shared handler
 * that hands each frame to the {@link PointHandler}. Bad frames never close the connection; only
 * I/O errors do. {@code close()} stops accepting connections; open connections and the event loops
 * belong to the caller.
 */
public final class CarbonServer extends BoundListener {

  /** What every TCP connection of a gateway shares. */
  public record Connections(PointHandler points, ConnectionGuard guard, int idleTimeoutSeconds) {}

  private final InetSocketAddress address;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Consumer<ChannelPipeline> pipeline;

  private CarbonServer(
      String name,
      String bindAddress,
      int port,
      EventLoopGroup boss,
      EventLoopGroup workers,
      Consumer<ChannelPipeline> pipeline) {
    super(name);
    this.address = new InetSocketAddress(bindAddress, port);
    this.boss = boss;
    this.workers = workers;
    this.pipeline = pipeline;
  }

  /** Carbon's line receiver (port 2003): {@code path value timestamp\n}. */
  public static CarbonServer plaintext(
      String bindAddress,
      int port,
      int maxLineLength,
      Connections connections,
      EventLoopGroup boss,
      EventLoopGroup workers) {
    Consumer<ChannelPipeline> init = plaintextPipeline(maxLineLength, connections);
    return new CarbonServer("plaintext", bindAddress, port, boss, workers, init);
  }

  /** Carbon's pickle receiver (port 2004): frames of a u32 length and a pickled list of points. */
  public static CarbonServer pickle(
      String bindAddress,
      int port,
      int maxFrameLength,
      Connections connections,
      EventLoopGroup boss,
      EventLoopGroup workers) {
    Consumer<ChannelPipeline> init = picklePipeline(maxFrameLength, connections);
    return new CarbonServer("pickle", bindAddress, port, boss, workers, init);
  }

  /** The plaintext pipeline; the handlers that can be are shared between connections. */
  static Consumer<ChannelPipeline> plaintextPipeline(int maxLineLength, Connections connections) {
    CarbonLineHandler handler = new CarbonLineHandler(connections.points());
    return p -> {
      p.addLast("guard", connections.guard());
      // an over-long line is discarded up to its newline, then reported once with its first bytes
      p.addLast("framer", new CarbonLineFramer(maxLineLength));
      idleTimeout(p, connections);
      p.addLast("lines", handler);
    };
  }

  /** The pickle pipeline. */
  static Consumer<ChannelPipeline> picklePipeline(int maxFrameLength, Connections connections) {
    PickleFrameHandler handler = new PickleFrameHandler(connections.points());
    return p -> {
      p.addLast("guard", connections.guard());
      // Int32StringReceiver framing; the length field is stripped, oversized frames are skipped
      p.addLast("framer", new LengthFieldBasedFrameDecoder(maxFrameLength + 4, 0, 4, 0, 4, true));
      idleTimeout(p, connections);
      p.addLast("frames", handler);
    };
  }

  /**
   * The idle timeout sits after the framer, so only complete lines or pickle frames count as
   * activity: a sender that trickles the bytes of a line it never ends (slowloris) is closed as
   * idle too.
   */
  private static void idleTimeout(ChannelPipeline p, Connections connections) {
    if (connections.idleTimeoutSeconds() > 0) {
      p.addLast("idle", new FrameIdleHandler(connections.idleTimeoutSeconds()));
    }
  }

  /**
   * Reader-idle on frames; its event starts again at the head, where the {@link ConnectionGuard}
   * is.
   */
  static final class FrameIdleHandler extends IdleStateHandler {
    FrameIdleHandler(int seconds) {
      super(seconds, 0, 0, TimeUnit.SECONDS);
    }

    @Override
    protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent evt) {
      ctx.pipeline().fireUserEventTriggered(evt);
    }
  }

  @Override
  public void start() throws InterruptedException {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(boss, workers)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_RCVBUF, 1 << 20)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    pipeline.accept(ch.pipeline());
                  }
                });
    bind(bootstrap, address);
  }
}

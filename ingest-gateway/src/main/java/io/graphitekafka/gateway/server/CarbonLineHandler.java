package io.graphitekafka.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each framed plaintext line to the {@link PointHandler}. A bad line, including an over-long
 * one, is rejected and the connection goes on with the next line; carbon instead closes the
 * connection on an over-long line, a nan timestamp or invalid UTF-8 (carbon 1.1.7,
 * carbon/protocols.py).
 */
@Sharable
final class CarbonLineHandler extends SimpleChannelInboundHandler<ByteBuf> {

  private static final Logger log = LoggerFactory.getLogger(CarbonLineHandler.class);
  static final String PROTOCOL = "plaintext-tcp";
  static final AttributeKey<Source> SOURCE = AttributeKey.valueOf("graphite-kafka.source");

  private final PointHandler points;

  CarbonLineHandler(PointHandler points) {
    this.points = points;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
    int length = frame.readableBytes();
    Source source = source(ctx.channel(), PROTOCOL);
    if (frame.hasArray()) {
      points.line(frame.array(), frame.arrayOffset() + frame.readerIndex(), length, source);
    } else {
      byte[] bytes = ByteBufUtil.getBytes(frame);
      points.line(bytes, 0, length, source);
    }
  }

  /** The connection's source, computed once per connection. */
  static Source source(Channel channel, String protocol) {
    Source source = channel.attr(SOURCE).get();
    if (source == null) {
      source = Source.of(protocol, channel.remoteAddress());
      channel.attr(SOURCE).set(source);
    }
    return source;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CarbonLineFramer.LineTooLongException tooLong) {
      // the framer discarded the line up to its newline and kept its first bytes for the reject
      points.lineTooLong(tooLong.head(), tooLong.length(), source(ctx.channel(), PROTOCOL));
      return;
    }
    log.warn(
        "closing plaintext connection from {}: {}",
        ctx.channel().remoteAddress(),
        cause.toString());
    ctx.close();
  }
}

package io.graphitekafka.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each framed plaintext line to the {@link PointHandler}. A bad line, including an over-long one,
 * is rejected and the connection goes on with the next line; carbon instead closes the connection on an
 * over-long line, a nan timestamp or invalid UTF-8 (WHISPER-CARBON-SPEC.md §6).
 */
@Sharable
final class CarbonLineHandler extends SimpleChannelInboundHandler<ByteBuf> {

  private static final Logger log = LoggerFactory.getLogger(CarbonLineHandler.class);
  static final String PROTOCOL = "plaintext-tcp";

  private final PointHandler points;
  private final int maxLineLength;

  CarbonLineHandler(PointHandler points, int maxLineLength) {
    this.points = points;
    this.maxLineLength = maxLineLength;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
    int length = frame.readableBytes();
    if (frame.hasArray()) {
      points.line(frame.array(), frame.arrayOffset() + frame.readerIndex(), length, PROTOCOL,
          ctx.channel().remoteAddress());
    } else {
      byte[] bytes = ByteBufUtil.getBytes(frame);
      points.line(bytes, 0, length, PROTOCOL, ctx.channel().remoteAddress());
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      byte[] empty = new byte[0];
      points.reject(empty, 0, 0, "line_too_long",
          "line longer than " + maxLineLength + " bytes; discarded up to the next newline", PROTOCOL,
          ctx.channel().remoteAddress(), System.currentTimeMillis());
      return;
    }
    log.warn("closing plaintext connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}

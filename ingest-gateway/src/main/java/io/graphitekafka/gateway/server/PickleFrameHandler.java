package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.RejectReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each length-prefixed pickle frame to the {@link PointHandler}, which decodes it with the
 * safe {@code PickleDecoder}. A hostile or malformed frame, or an oversized one (whose bytes the
 * framer skips), is rejected and the connection goes on with the next frame; carbon closes it on an
 * oversized frame. Bad elements of a good frame are each counted; the frame's raw bytes go to the
 * rejects topic once, with the first bad element's reason.
 */
@Sharable
final class PickleFrameHandler extends SimpleChannelInboundHandler<ByteBuf> {

  private static final Logger log = LoggerFactory.getLogger(PickleFrameHandler.class);
  static final String PROTOCOL = "pickle";

  private final PointHandler points;

  PickleFrameHandler(PointHandler points) {
    this.points = points;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
    byte[] bytes = ByteBufUtil.getBytes(frame);
    points.pickleFrame(bytes, 0, bytes.length, CarbonLineHandler.source(ctx.channel(), PROTOCOL));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      points.reject(
          new byte[0],
          0,
          0,
          RejectReason.PICKLE_TOO_LARGE.code(),
          cause.getMessage() + "; frame skipped",
          CarbonLineHandler.source(ctx.channel(), PROTOCOL),
          System.currentTimeMillis(),
          null);
      return;
    }
    log.warn(
        "closing pickle connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}

package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.PickleDecoder;
import io.graphitekafka.gateway.carbon.PickleResult;
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
 * Decodes one length-prefixed pickle frame with the safe {@link PickleDecoder} and hands its points to
 * the {@link PointHandler}. A hostile or malformed frame, or an oversized one (whose bytes the framer
 * skips), is rejected and the connection goes on with the next frame; carbon closes it on an oversized
 * frame. Bad elements of a good frame are each counted; the frame's raw bytes go to the rejects topic
 * once, with the first bad element's reason.
 */
@Sharable
final class PickleFrameHandler extends SimpleChannelInboundHandler<ByteBuf> {

  private static final Logger log = LoggerFactory.getLogger(PickleFrameHandler.class);
  static final String PROTOCOL = "pickle";

  private final PickleDecoder decoder;
  private final PointHandler points;

  PickleFrameHandler(PickleDecoder decoder, PointHandler points) {
    this.decoder = decoder;
    this.points = points;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
    byte[] bytes = ByteBufUtil.getBytes(frame);
    long arrival = System.currentTimeMillis();
    Source source = CarbonLineHandler.source(ctx.channel(), PROTOCOL);
    PickleResult result = decoder.decode(bytes, 0, bytes.length, arrival);
    if (result instanceof PickleResult.Rejected r) {
      points.reject(bytes, 0, bytes.length, r.reject().reason().code(), r.reject().detail(), source,
          arrival, null);
      return;
    }
    points.pickleElements(bytes, 0, bytes.length, ((PickleResult.Decoded) result).elements(), source,
        arrival, null);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      points.reject(new byte[0], 0, 0, RejectReason.PICKLE_TOO_LARGE.code(),
          cause.getMessage() + "; frame skipped", CarbonLineHandler.source(ctx.channel(), PROTOCOL),
          System.currentTimeMillis(), null);
      return;
    }
    log.warn("closing pickle connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}

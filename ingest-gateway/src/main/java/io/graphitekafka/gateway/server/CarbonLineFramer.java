package io.graphitekafka.gateway.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Splits a TCP stream into Carbon plaintext lines, each ending in {@code \n} or {@code \r\n} (stripped),
 * as Twisted's LineOnlyReceiver does. A line longer than {@code maxLength} bytes is discarded up to its
 * newline and reported once, after it ends, as a {@link LineTooLongException} carrying its first
 * {@code maxLength} bytes, so the reject keeps what the line was; the connection goes on with the next
 * line. Like Netty's LineBasedFrameDecoder (which drops an over-long line's bytes), it never buffers more
 * than one line's limit.
 */
final class CarbonLineFramer extends ByteToMessageDecoder {

  /** An over-long line, reported once its end was seen. */
  static final class LineTooLongException extends TooLongFrameException {
    private static final long serialVersionUID = 1L;
    private final transient byte[] head;
    private final long length;

    LineTooLongException(byte[] head, long length) {
      super("line of " + length + " bytes");
      this.head = head;
      this.length = length;
    }

    /** The line's first bytes, up to the limit. */
    byte[] head() {
      return head;
    }

    /** The whole line's length without its terminator. */
    long length() {
      return length;
    }
  }

  private final int maxLength;
  // While discarding an over-long line: its first maxLength bytes, and how many bytes it had so far.
  private byte[] head;
  private long discarded;
  private boolean lastDiscardedWasCr;

  CarbonLineFramer(int maxLength) {
    this.maxLength = maxLength;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int eol = in.indexOf(start, in.writerIndex(), (byte) '\n');
    if (head != null) {
      if (eol < 0) {
        if (in.isReadable()) {
          discarded += in.readableBytes();
          lastDiscardedWasCr = in.getByte(in.writerIndex() - 1) == '\r';
          in.skipBytes(in.readableBytes());
        }
        return;
      }
      long length = discarded + (eol - start);
      if (eol > start ? in.getByte(eol - 1) == '\r' : lastDiscardedWasCr) {
        length--;
      }
      byte[] line = head;
      head = null;
      discarded = 0;
      in.readerIndex(eol + 1);
      ctx.fireExceptionCaught(new LineTooLongException(line, length));
      return;
    }
    if (eol < 0) {
      if (in.readableBytes() > maxLength + 1) { // + 1: room for a '\r' before a newline still to come
        head = new byte[maxLength];
        in.getBytes(start, head);
        discarded = in.readableBytes();
        lastDiscardedWasCr = in.getByte(in.writerIndex() - 1) == '\r';
        in.skipBytes(in.readableBytes());
      }
      return;
    }
    int length = eol - start;
    if (length > 0 && in.getByte(eol - 1) == '\r') {
      length--;
    }
    if (length > maxLength) {
      byte[] line = new byte[maxLength];
      in.getBytes(start, line);
      in.readerIndex(eol + 1);
      ctx.fireExceptionCaught(new LineTooLongException(line, length));
      return;
    }
    out.add(in.readRetainedSlice(length));
    in.readerIndex(eol + 1);
  }
}

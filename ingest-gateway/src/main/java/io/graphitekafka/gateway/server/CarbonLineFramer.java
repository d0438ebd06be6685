package io.graphitekafka.gateway.server;

import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Cuts a TCP stream into Carbon plaintext lines with the shared {@link CarbonLineSplitter.Stream}:
 * each ends in {@code \n} or {@code \r\n} (stripped), as Twisted's LineOnlyReceiver does. A line
 * longer than {@code maxLength} bytes is discarded up to its newline and reported once, after it
 * ends, as a {@link LineTooLongException} carrying its first {@code maxLength} bytes, so the reject
 * keeps what the line was; the connection goes on with the next line. Like Netty's
 * LineBasedFrameDecoder (which drops an over-long line's bytes), it never buffers more than one
 * line's limit. Lines are retained slices of the cumulation, not copies.
 */
final class CarbonLineFramer extends ByteToMessageDecoder
    implements CarbonLineSplitter.Bytes, CarbonLineSplitter.Lines {

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

  private final CarbonLineSplitter.Stream stream;
  // Set for the length of one decode call: the cumulation being cut and where its lines go.
  private ByteBuf in;
  private List<Object> out;
  private LineTooLongException tooLong;

  CarbonLineFramer(int maxLength) {
    this.stream = new CarbonLineSplitter.Stream(maxLength);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    this.in = in;
    this.out = out;
    try {
      in.readerIndex(stream.next(this, in.readerIndex(), in.writerIndex(), this));
    } finally {
      this.in = null;
      this.out = null;
    }
    if (tooLong != null) {
      LineTooLongException e = tooLong;
      tooLong = null;
      ctx.fireExceptionCaught(e);
    }
  }

  @Override
  public int indexOf(int from, int to, byte value) {
    return in.indexOf(from, to, value);
  }

  @Override
  public byte get(int index) {
    return in.getByte(index);
  }

  @Override
  public void copy(int from, byte[] dst) {
    in.getBytes(from, dst);
  }

  @Override
  public void line(int offset, int length) {
    out.add(in.retainedSlice(offset, length));
  }

  @Override
  public void tooLong(byte[] head, long length) {
    tooLong = new LineTooLongException(head, length);
  }
}

package io.graphitekafka.gateway.carbon;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Cuts Carbon plaintext input into lines, on the raw bytes so that each line is decoded on its own.
 * Every receiver cuts here: a TCP stream and a file with a {@link Stream} (at {@code \n}, as
 * Twisted's {@code LineOnlyReceiver}, bounded), a record of the lines topic with {@link
 * #forEachNewlineLine}, and a UDP datagram with {@link #forEachLine} (as Python's {@code
 * str.splitlines()}).
 *
 * <p>carbon 1.1.7 ({@code MetricDatagramReceiver.datagramReceived}) decodes a whole datagram first,
 * so one bad UTF-8 byte or one infinite timestamp abandons every line after it. We deliberately do
 * better: a bad line is rejected alone and the rest of the datagram is still decoded.
 */
public final class CarbonLineSplitter {

  /** carbon reads at most this many bytes of a datagram (Twisted's default UDP read size). */
  public static final int MAX_DATAGRAM_LENGTH = 8192;

  /** Receives one line: a range of the input's bytes without its line terminator. */
  @FunctionalInterface
  public interface LineConsumer {
    void accept(byte[] buf, int offset, int length);
  }

  /** A line as a byte range of the datagram, terminator excluded. */
  public record LineRange(int offset, int length) {}

  private CarbonLineSplitter() {}

  /**
   * Calls {@code consumer} for each line of {@code buf[offset, offset + length)} as Python's {@code
   * str.splitlines()} cuts it (a UDP datagram), in order. A final terminator does not start another
   * line, {@code \r\n} is one terminator, and empty lines between terminators are passed on (as
   * zero-length ranges).
   */
  public static void forEachLine(byte[] buf, int offset, int length, LineConsumer consumer) {
    Objects.checkFromIndexSize(offset, length, buf.length);
    int end = offset + length;
    int start = offset;
    int i = offset;
    while (i < end) {
      int terminator = terminatorLength(buf, i, end);
      if (terminator == 0) {
        i++;
        continue;
      }
      consumer.accept(buf, start, i - start);
      i += terminator;
      start = i;
    }
    if (start < end) {
      consumer.accept(buf, start, end - start);
    }
  }

  /** The lines of {@code buf[offset, offset + length)} as byte ranges; see {@link #forEachLine}. */
  public static List<LineRange> split(byte[] buf, int offset, int length) {
    List<LineRange> lines = new ArrayList<>();
    forEachLine(buf, offset, length, (b, off, len) -> lines.add(new LineRange(off, len)));
    return lines;
  }

  /**
   * Calls {@code consumer} for each line of {@code buf[offset, offset + length)} cut at {@code \n}
   * as the TCP framer cuts it, with no length limit (a record of the lines topic): a {@code \r}
   * before a {@code \n} is dropped, and the bytes after the last {@code \n}, if any, are a last
   * line as they are.
   */
  public static void forEachNewlineLine(byte[] buf, int offset, int length, LineConsumer consumer) {
    Objects.checkFromIndexSize(offset, length, buf.length);
    Stream stream = new Stream(Integer.MAX_VALUE);
    Lines lines =
        new Lines() {
          @Override
          public void line(int lineOffset, int lineLength) {
            consumer.accept(buf, lineOffset, lineLength);
          }

          @Override
          public void tooLong(byte[] head, long lineLength) {
            throw new AssertionError("no line is too long without a limit");
          }
        };
    Bytes bytes = Bytes.of(buf);
    int end = offset + length;
    int start = offset;
    for (int next; (next = stream.next(bytes, start, end, lines)) != start; ) {
      start = next;
    }
    if (start < end) {
      consumer.accept(buf, start, end - start);
    }
  }

  /**
   * The byte length of the line terminator starting at {@code buf[i]}, or 0. The terminators are
   * those of {@code str.splitlines()}: {@code \n \r \r\n \x0b \x0c \x1c \x1d \x1e}, and U+0085,
   * U+2028, U+2029 in their UTF-8 forms.
   */
  private static int terminatorLength(byte[] buf, int i, int end) {
    int b = buf[i] & 0xff;
    switch (b) {
      case '\n', 0x0b, 0x0c, 0x1c, 0x1d, 0x1e:
        return 1;
      case '\r':
        return i + 1 < end && buf[i + 1] == '\n' ? 2 : 1;
      case 0xc2:
        return i + 1 < end && (buf[i + 1] & 0xff) == 0x85 ? 2 : 0;
      case 0xe2:
        if (i + 2 < end && (buf[i + 1] & 0xff) == 0x80) {
          int third = buf[i + 2] & 0xff;
          return third == 0xa8 || third == 0xa9 ? 3 : 0;
        }
        return 0;
      default:
        return 0;
    }
  }

  /**
   * The buffered input a {@link Stream} cuts: a byte array, or a Netty buffer in the TCP framer.
   */
  public interface Bytes {
    /** The index of the first {@code value} in {@code [from, to)}, or -1. */
    int indexOf(int from, int to, byte value);

    byte get(int index);

    /** Copies {@code dst.length} bytes starting at {@code from} into {@code dst}. */
    void copy(int from, byte[] dst);

    /** A view of an array, indexed as the array is. */
    static Bytes of(byte[] buf) {
      return new Bytes() {
        @Override
        public int indexOf(int from, int to, byte value) {
          for (int i = from; i < to; i++) {
            if (buf[i] == value) {
              return i;
            }
          }
          return -1;
        }

        @Override
        public byte get(int index) {
          return buf[index];
        }

        @Override
        public void copy(int from, byte[] dst) {
          System.arraycopy(buf, from, dst, 0, dst.length);
        }
      };
    }
  }

  /** What a {@link Stream} cut off its input. */
  public interface Lines {
    /** A line of at most the limit, as a range of the {@link Bytes}, terminator excluded. */
    void line(int offset, int length);

    /** A line over the limit, reported once its end was seen: its first bytes and its length. */
    void tooLong(byte[] head, long length);
  }

  /**
   * Cuts a stream that arrives in pieces (a TCP connection, a file) into lines ending in {@code \n}
   * or {@code \r\n}, as Twisted's {@code LineOnlyReceiver} does. A line longer than the limit is
   * discarded up to its newline and reported once, after it ends, with its first {@code maxLength}
   * bytes, so a reject keeps what the line was and the input goes on with the next line. The caller
   * never has to keep more than {@code maxLength + 1} bytes of an unfinished line. Not thread-safe:
   * one per stream.
   */
  public static final class Stream {

    private final long maxLength;
    // While discarding an over-long line: its first maxLength bytes, and how many bytes it had so
    // far.
    private byte[] head;
    private long discarded;
    private boolean lastDiscardedWasCr;

    public Stream(int maxLength) {
      this.maxLength = maxLength;
    }

    /**
     * Cuts at most one line off {@code bytes[start, end)} and returns where the unconsumed input
     * now begins: {@code start} when the input holds no complete line yet (keep it and call again
     * with more). The bytes of an over-long line are consumed as they come.
     */
    public int next(Bytes bytes, int start, int end, Lines lines) {
      int eol = bytes.indexOf(start, end, (byte) '\n');
      if (head != null) {
        return eol < 0 ? discard(bytes, start, end) : endDiscarded(bytes, start, eol, lines);
      }
      if (eol < 0) {
        // + 1: room for a '\r' before a newline still to come
        return end - start > maxLength + 1 ? startDiscarding(bytes, start, end) : start;
      }
      int length = eol - start;
      if (length > 0 && bytes.get(eol - 1) == '\r') {
        length--;
      }
      if (length > maxLength) {
        lines.tooLong(head(bytes, start), length);
      } else {
        lines.line(start, length);
      }
      return eol + 1;
    }

    /**
     * At the end of the input: the unterminated rest {@code bytes[start, end)} is a last line (a
     * final {@code \r} dropped), and an over-long line being discarded is reported.
     */
    public void finish(Bytes bytes, int start, int end, Lines lines) {
      if (head != null) {
        discard(bytes, start, end);
        byte[] line = head;
        head = null;
        lines.tooLong(line, discarded - (lastDiscardedWasCr ? 1 : 0));
        discarded = 0;
        return;
      }
      if (start < end) {
        int length = end - start - (bytes.get(end - 1) == '\r' ? 1 : 0);
        if (length > maxLength) {
          lines.tooLong(head(bytes, start), length);
        } else {
          lines.line(start, length);
        }
      }
    }

    private int startDiscarding(Bytes bytes, int start, int end) {
      head = head(bytes, start);
      discarded = 0;
      return discard(bytes, start, end);
    }

    private int discard(Bytes bytes, int start, int end) {
      if (end > start) {
        discarded += end - start;
        lastDiscardedWasCr = bytes.get(end - 1) == '\r';
      }
      return end;
    }

    private int endDiscarded(Bytes bytes, int start, int eol, Lines lines) {
      long length = discarded + (eol - start);
      if (eol > start ? bytes.get(eol - 1) == '\r' : lastDiscardedWasCr) {
        length--;
      }
      byte[] line = head;
      head = null;
      discarded = 0;
      lines.tooLong(line, length);
      return eol + 1;
    }

    private byte[] head(Bytes bytes, int start) {
      byte[] first = new byte[(int) maxLength];
      bytes.copy(start, first);
      return first;
    }
  }
}

package io.graphitekafka.gateway.carbon;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Splits a Carbon UDP datagram into lines where Python's {@code str.splitlines()} would, working on
 * the raw bytes so that each line is decoded on its own.
 *
 * <p>carbon 1.1.7 ({@code MetricDatagramReceiver.datagramReceived}) decodes the whole datagram first,
 * so one bad UTF-8 byte or one infinite timestamp abandons every line after it. We deliberately do
 * better: a bad line is rejected alone and the rest of the datagram is still decoded.
 */
public final class CarbonLineSplitter {

  /** carbon reads at most this many bytes of a datagram (Twisted's default UDP read size). */
  public static final int MAX_DATAGRAM_LENGTH = 8192;

  /** Receives one line: a range of the datagram's bytes without its line terminator. */
  @FunctionalInterface
  public interface LineConsumer {
    void accept(byte[] buf, int offset, int length);
  }

  /** A line as a byte range of the datagram, terminator excluded. */
  public record LineRange(int offset, int length) {}

  private CarbonLineSplitter() {}

  /**
   * Calls {@code consumer} for each line of {@code buf[offset, offset + length)}, in order. As with
   * {@code splitlines()}, a final terminator does not start another line, {@code \r\n} is one
   * terminator, and empty lines between terminators are passed on (as zero-length ranges).
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
}

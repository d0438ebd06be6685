package io.graphitekafka.gateway.carbon;

import io.graphitekafka.gateway.carbon.DecodeResult.Reject;
import io.graphitekafka.graphite.python.PythonFloat;
import io.graphitekafka.graphite.python.PythonStrings;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Decodes one Carbon plaintext line ({@code path value timestamp}, without its terminator) the way
 * carbon 1.1.7's {@code MetricLineReceiver.lineReceived} and {@code metricReceived} do, returning a
 * point or a counted reject instead of logging, dropping silently or closing the connection.
 *
 * <p>Stateless and thread-safe. Lines made only of ASCII are parsed straight from the bytes; other
 * lines are decoded as strict UTF-8 first. A blank line is rejected as {@link
 * RejectReason#EMPTY_LINE} (carbon logs it like any invalid line) so callers can tell it apart from
 * a malformed one. When both numbers are malformed the timestamp is reported, because carbon parses
 * it first.
 */
public final class CarbonLineDecoder {

  /** Twisted {@code LineOnlyReceiver.MAX_LENGTH}: the longest line carbon accepts, in bytes. */
  public static final int MAX_LINE_LENGTH = 16384;

  private static final int FIELDS = 3;

  private final int timestampResolution;
  private final int maxLineLength;

  /** A decoder with carbon's defaults: no timestamp resolution and 16384-byte lines. */
  public CarbonLineDecoder() {
    this(0, MAX_LINE_LENGTH);
  }

  /** A decoder with the given timestamp resolution in seconds and 16384-byte lines. */
  public CarbonLineDecoder(int timestampResolution) {
    this(timestampResolution, MAX_LINE_LENGTH);
  }

  /**
   * @param timestampResolution carbon's {@code MIN_TIMESTAMP_RESOLUTION} in seconds; timestamps are
   *     floored to a multiple of it. 0 (carbon's default) and 1 both keep whole seconds.
   * @param maxLineLength longer lines are rejected as {@link RejectReason#LINE_TOO_LONG}
   */
  public CarbonLineDecoder(int timestampResolution, int maxLineLength) {
    if (timestampResolution < 0) {
      throw new IllegalArgumentException(
          "timestampResolution must be >= 0 seconds, got " + timestampResolution);
    }
    if (maxLineLength <= 0) {
      throw new IllegalArgumentException("maxLineLength must be > 0 bytes, got " + maxLineLength);
    }
    this.timestampResolution = timestampResolution;
    this.maxLineLength = maxLineLength;
  }

  /** The longest line this decoder accepts, in bytes. */
  public int maxLineLength() {
    return maxLineLength;
  }

  /**
   * Decodes {@code buf[offset, offset + length)}, one line without its {@code \n}; a trailing
   * {@code \r} is harmless, as in carbon.
   *
   * @param arrivalMillis epoch milliseconds at arrival, used for timestamps in {@code (-2, -1]}
   */
  public DecodeResult decode(byte[] buf, int offset, int length, long arrivalMillis) {
    Objects.checkFromIndexSize(offset, length, buf.length);
    if (length > maxLineLength) {
      return new Reject(
          RejectReason.LINE_TOO_LONG, "line of " + length + " bytes exceeds " + maxLineLength);
    }
    int end = offset + length;
    int s0 = 0;
    int e0 = 0;
    int s1 = 0;
    int e1 = 0;
    int s2 = 0;
    int e2 = 0;
    int fields = 0;
    int i = offset;
    while (true) {
      while (i < end && PythonStrings.isAsciiSpace(buf[i])) {
        i++;
      }
      if (i == end) {
        break;
      }
      int start = i;
      while (i < end && !PythonStrings.isAsciiSpace(buf[i])) {
        if (buf[i] < 0) {
          return decodeText(buf, offset, length, arrivalMillis);
        }
        i++;
      }
      switch (fields++) {
        case 0 -> {
          s0 = start;
          e0 = i;
        }
        case 1 -> {
          s1 = start;
          e1 = i;
        }
        case 2 -> {
          s2 = start;
          e2 = i;
        }
        default -> {
          // more than three fields: keep counting for the detail message
        }
      }
    }
    if (fields != FIELDS) {
      return fieldCountReject(fields);
    }
    // carbon evaluates (float(timestamp), float(value)), so a bad timestamp is reported first.
    long tsBits = PythonFloat.parseBits(buf, s2, e2);
    if (tsBits == PythonFloat.INVALID) {
      return numberReject(RejectReason.BAD_TIMESTAMP, ascii(buf, s2, e2));
    }
    long valueBits = PythonFloat.parseBits(buf, s1, e1);
    if (valueBits == PythonFloat.INVALID) {
      return numberReject(RejectReason.BAD_VALUE, ascii(buf, s1, e1));
    }
    return CarbonPoints.toPoint(
        ascii(buf, s0, e0),
        Double.longBitsToDouble(tsBits),
        Double.longBitsToDouble(valueBits),
        arrivalMillis,
        timestampResolution);
  }

  /** The slow path for lines with non-ASCII bytes: strict UTF-8, then Unicode-aware splitting. */
  private DecodeResult decodeText(byte[] buf, int offset, int length, long arrivalMillis) {
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(buf, offset, length);
    CharBuffer out = CharBuffer.allocate(length);
    CoderResult result = utf8.decode(in, out, true);
    if (!result.isError()) {
      result = utf8.flush(out);
    }
    if (result.isError()) {
      return new Reject(
          RejectReason.INVALID_UTF8,
          "invalid UTF-8 at byte " + (in.position() - offset) + " of the line");
    }
    out.flip();
    String line = out.toString();

    int n = line.length();
    int[] bounds = new int[2 * FIELDS];
    int fields = 0;
    int i = 0;
    while (true) {
      while (i < n && PythonStrings.isSpace(line.charAt(i))) {
        i++;
      }
      if (i == n) {
        break;
      }
      int start = i;
      while (i < n && !PythonStrings.isSpace(line.charAt(i))) {
        i++;
      }
      if (fields < FIELDS) {
        bounds[2 * fields] = start;
        bounds[2 * fields + 1] = i;
      }
      fields++;
    }
    if (fields != FIELDS) {
      return fieldCountReject(fields);
    }
    String tsText = line.substring(bounds[4], bounds[5]);
    long tsBits = PythonFloat.parseBits(tsText);
    if (tsBits == PythonFloat.INVALID) {
      return numberReject(RejectReason.BAD_TIMESTAMP, tsText);
    }
    String valueText = line.substring(bounds[2], bounds[3]);
    long valueBits = PythonFloat.parseBits(valueText);
    if (valueBits == PythonFloat.INVALID) {
      return numberReject(RejectReason.BAD_VALUE, valueText);
    }
    return CarbonPoints.toPoint(
        line.substring(bounds[0], bounds[1]),
        Double.longBitsToDouble(tsBits),
        Double.longBitsToDouble(valueBits),
        arrivalMillis,
        timestampResolution);
  }

  private static Reject fieldCountReject(int fields) {
    if (fields == 0) {
      return new Reject(RejectReason.EMPTY_LINE, "blank line");
    }
    return new Reject(
        RejectReason.FIELD_COUNT, "expected 3 fields (path value timestamp), got " + fields);
  }

  private static Reject numberReject(RejectReason reason, CharSequence text) {
    return new Reject(reason, "could not convert string to float: " + PythonFloat.quote(text));
  }

  private static String ascii(byte[] buf, int from, int to) {
    // Only called on bytes already checked to be ASCII, for which Latin-1 is a plain copy.
    return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
  }
}

package io.graphitekafka.tools.load;

import io.graphitekafka.tools.load.LoadGenerator.Protocol;
import io.graphitekafka.tools.load.LoadGenerator.Spec;
import io.graphitekafka.tools.load.LoadGenerator.Timestamps;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * The bytes one connection of a {@link LoadGenerator} sends, rendered into a caller's buffer. Every
 * series name is encoded once up front (with its trailing space, or as a pickle BINUNICODE op), and
 * values and timestamps are written as digits straight into the buffer, so a point costs a copy and
 * a few divisions. Not thread-safe: one per connection.
 */
public final class LoadRenderer {

  // pickle opcodes (Lib/pickletools.py), protocol 2 as carbon-relay sends it
  private static final byte PROTO = (byte) 0x80;
  private static final byte EMPTY_LIST = ']';
  private static final byte MARK = '(';
  private static final byte BINUNICODE = 'X';
  private static final byte BININT = 'J';
  private static final byte BINFLOAT = 'G';
  private static final byte TUPLE2 = (byte) 0x86;
  private static final byte APPENDS = 'e';
  private static final byte STOP = '.';

  private final Spec spec;
  private final LongSupplier epochSeconds;
  private final int[] series;
  private final byte[][] names;
  private final int maxPointBytes;
  private final long total;
  private long rendered;

  /** The series index and round of the point being rendered, set by {@link #startPoint}. */
  private int seriesIndex;

  private long round;
  private long timestamp = -1;
  private final byte[] timestampDigits = new byte[20];
  private int timestampLength;

  /**
   * @param epochSeconds the clock for {@link Timestamps#NOW}, read once per {@link #render} call
   */
  public LoadRenderer(Spec spec, int connection, LongSupplier epochSeconds) {
    if (connection < 0 || connection >= spec.connections()) {
      throw new IllegalArgumentException("connection " + connection + " of " + spec.connections());
    }
    this.spec = spec;
    this.epochSeconds = epochSeconds;
    int count = spec.seriesOf(connection);
    this.series = new int[count];
    this.names = new byte[count][];
    int longest = 0;
    for (int k = 0; k < count; k++) {
      int s = connection + k * spec.connections();
      series[k] = s;
      byte[] name = LoadGenerator.seriesName(spec.prefix(), s).getBytes(StandardCharsets.US_ASCII);
      byte[] rendered;
      if (spec.protocol() == Protocol.PLAINTEXT) {
        rendered = new byte[name.length + 1];
        System.arraycopy(name, 0, rendered, 0, name.length);
        rendered[name.length] = ' ';
      } else {
        rendered = new byte[name.length + 5];
        rendered[0] = BINUNICODE;
        putIntLe(rendered, 1, name.length);
        System.arraycopy(name, 0, rendered, 5, name.length);
      }
      names[k] = rendered;
      longest = Math.max(longest, rendered.length);
    }
    // plaintext: value (< 100000) ' ' timestamp (<= 20 digits) '\n'; pickle: J int G double 2
    // tuples
    this.maxPointBytes =
        longest + (spec.protocol() == Protocol.PLAINTEXT ? 6 + 1 + 20 + 1 : 5 + 9 + 2);
    this.total = (long) count * spec.pointsPerSeries();
  }

  public boolean hasMore() {
    return rendered < total;
  }

  /** Points rendered so far. */
  public long pointsRendered() {
    return rendered;
  }

  /**
   * Renders the next points, at most {@code maxPoints} and as many as fit, into {@code buf} from 0;
   * returns the byte count. Pickle points come in whole frames (4-byte big-endian length, then the
   * pickle) of up to {@link LoadGenerator#PICKLE_POINTS_PER_FRAME} points.
   *
   * @throws IllegalArgumentException if {@code buf} cannot hold one point (or one frame of one
   *     point)
   */
  public int render(byte[] buf, long maxPoints) {
    int frameOverhead = spec.protocol() == Protocol.PLAINTEXT ? 0 : 4 + 2 + 1 + 1 + 1 + 1;
    if (buf.length < maxPointBytes + frameOverhead) {
      throw new IllegalArgumentException("buffer of " + buf.length + " bytes is too small");
    }
    if (spec.timestamps() == Timestamps.NOW) {
      setTimestamp(epochSeconds.getAsLong());
    }
    long limit = rendered + Math.min(total - rendered, Math.max(0, maxPoints));
    int pos = 0;
    if (spec.protocol() == Protocol.PLAINTEXT) {
      while (rendered < limit && pos + maxPointBytes <= buf.length) {
        pos = plaintextPoint(buf, pos);
      }
      return pos;
    }
    while (rendered < limit && pos + frameOverhead + maxPointBytes <= buf.length) {
      int frameStart = pos;
      pos += 4;
      buf[pos++] = PROTO;
      buf[pos++] = 2;
      buf[pos++] = EMPTY_LIST;
      buf[pos++] = MARK;
      int inFrame = 0;
      while (rendered < limit
          && inFrame < LoadGenerator.PICKLE_POINTS_PER_FRAME
          && pos + maxPointBytes + 2 <= buf.length) {
        pos = picklePoint(buf, pos);
        inFrame++;
      }
      buf[pos++] = APPENDS;
      buf[pos++] = STOP;
      putIntBe(buf, frameStart, pos - frameStart - 4);
    }
    return pos;
  }

  /**
   * Writes the name of the next point's series at {@code pos} and moves the timestamp to the
   * point's round; returns the position after the name.
   */
  private int startPoint(byte[] buf, int pos) {
    seriesIndex = (int) (rendered % series.length);
    round = rendered / series.length;
    byte[] name = names[seriesIndex];
    System.arraycopy(name, 0, buf, pos, name.length);
    if (spec.timestamps() == Timestamps.FIXED) {
      setTimestamp(LoadGenerator.BASE_TIMESTAMP + round * spec.step());
    }
    return pos + name.length;
  }

  /** The value of the point {@link #startPoint} began. */
  private long value() {
    return LoadGenerator.value(spec.seed(), series[seriesIndex], round);
  }

  private int plaintextPoint(byte[] buf, int pos) {
    pos = startPoint(buf, pos);
    pos = digits(buf, pos, value());
    buf[pos++] = ' ';
    System.arraycopy(timestampDigits, 0, buf, pos, timestampLength);
    pos += timestampLength;
    buf[pos++] = '\n';
    rendered++;
    return pos;
  }

  private int picklePoint(byte[] buf, int pos) {
    pos = startPoint(buf, pos);
    buf[pos++] = BININT;
    putIntLe(buf, pos, (int) timestamp);
    pos += 4;
    buf[pos++] = BINFLOAT;
    long bits = Double.doubleToRawLongBits(value());
    for (int shift = 56; shift >= 0; shift -= 8) {
      buf[pos++] = (byte) (bits >>> shift);
    }
    buf[pos++] = TUPLE2; // (timestamp, value)
    buf[pos++] = TUPLE2; // (name, (timestamp, value))
    rendered++;
    return pos;
  }

  private void setTimestamp(long ts) {
    if (ts == timestamp) {
      return;
    }
    if (spec.protocol() == Protocol.PICKLE && (ts < 0 || ts > Integer.MAX_VALUE)) {
      throw new IllegalStateException("timestamp " + ts + " does not fit a pickle BININT");
    }
    timestamp = ts;
    timestampLength = digits(timestampDigits, 0, ts);
  }

  /**
   * Writes the decimal digits of {@code v >= 0} at {@code pos}; returns the position after them.
   */
  private static int digits(byte[] buf, int pos, long v) {
    int len = 1;
    for (long x = v; x >= 10; x /= 10) {
      len++;
    }
    int end = pos + len;
    int p = end;
    do {
      buf[--p] = (byte) ('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return end;
  }

  private static void putIntLe(byte[] buf, int pos, int v) {
    buf[pos] = (byte) v;
    buf[pos + 1] = (byte) (v >>> 8);
    buf[pos + 2] = (byte) (v >>> 16);
    buf[pos + 3] = (byte) (v >>> 24);
  }

  private static void putIntBe(byte[] buf, int pos, int v) {
    buf[pos] = (byte) (v >>> 24);
    buf[pos + 1] = (byte) (v >>> 16);
    buf[pos + 2] = (byte) (v >>> 8);
    buf[pos + 3] = (byte) v;
  }
}

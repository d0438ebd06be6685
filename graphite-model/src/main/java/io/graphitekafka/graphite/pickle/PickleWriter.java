package io.graphitekafka.graphite.pickle;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes plain values as a protocol 2 pickle, as carbon answers graphite-web: {@link Map} as a
 * dict, {@link Collection} as a list, {@link Tuple} as a tuple, {@link String} as a str, {@link
 * Long} and {@link Integer} as an int, {@link Double} as a float, {@link Boolean} as a bool and
 * {@code null} as None. Anything else is refused. No memo is written, so a value reachable twice is
 * written twice and a cycle is refused by its depth. Every Python from 2.3 on reads the result, and
 * graphite-web's restricted unpickler accepts it.
 */
public final class PickleWriter {

  /** The deepest nesting written. */
  private static final int MAX_DEPTH = 64;

  /** APPENDS and SETITEMS batches, as Python's pickler makes them. */
  private static final int BATCH = 1000;

  private PickleWriter() {}

  /** A tuple, which a Java list cannot say it is. */
  public record Tuple(List<?> items) {
    public static Tuple of(Object... items) {
      return new Tuple(java.util.Arrays.asList(items));
    }
  }

  /** The pickle of {@code value}. */
  public static byte[] write(Object value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    out.write(0x80); // PROTO
    out.write(2);
    write(out, value, 0);
    out.write('.'); // STOP
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, Object value, int depth) {
    if (depth > MAX_DEPTH) {
      throw new IllegalArgumentException("nested deeper than " + MAX_DEPTH);
    }
    if (value == null) {
      out.write('N');
    } else if (value instanceof Boolean b) {
      out.write(b ? 0x88 : 0x89);
    } else if (value instanceof Integer || value instanceof Long) {
      writeInt(out, ((Number) value).longValue());
    } else if (value instanceof Double d) {
      out.write('G'); // BINFLOAT, big-endian
      long bits = Double.doubleToRawLongBits(d);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (bits >>> shift));
      }
    } else if (value instanceof String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      out.write('X'); // BINUNICODE
      writeLe4(out, utf8.length);
      out.write(utf8, 0, utf8.length);
    } else if (value instanceof Tuple t) {
      writeTuple(out, t.items(), depth);
    } else if (value instanceof Map<?, ?> m) {
      out.write('}'); // EMPTY_DICT
      Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
      while (it.hasNext()) {
        out.write('('); // MARK
        for (int n = 0; n < BATCH && it.hasNext(); n++) {
          Map.Entry<?, ?> e = it.next();
          write(out, e.getKey(), depth + 1);
          write(out, e.getValue(), depth + 1);
        }
        out.write('u'); // SETITEMS
      }
    } else if (value instanceof Collection<?> c) {
      out.write(']'); // EMPTY_LIST
      Iterator<?> it = c.iterator();
      while (it.hasNext()) {
        out.write('('); // MARK
        for (int n = 0; n < BATCH && it.hasNext(); n++) {
          write(out, it.next(), depth + 1);
        }
        out.write('e'); // APPENDS
      }
    } else {
      throw new IllegalArgumentException("cannot pickle a " + value.getClass().getName());
    }
  }

  private static void writeTuple(ByteArrayOutputStream out, List<?> items, int depth) {
    if (items.isEmpty()) {
      out.write(')'); // EMPTY_TUPLE
      return;
    }
    boolean small = items.size() <= 3;
    if (!small) {
      out.write('('); // MARK
    }
    for (Object item : items) {
      write(out, item, depth + 1);
    }
    out.write(small ? 0x84 + items.size() : 't'); // TUPLE1..3 or TUPLE
  }

  private static void writeInt(ByteArrayOutputStream out, long v) {
    if (v >= 0 && v <= 0xff) {
      out.write('K'); // BININT1
      out.write((int) v);
    } else if (v >= 0 && v <= 0xffff) {
      out.write('M'); // BININT2
      out.write((int) v);
      out.write((int) (v >>> 8));
    } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      out.write('J'); // BININT
      writeLe4(out, (int) v);
    } else {
      out.write(0x8a); // LONG1: 8 bytes of two's complement, little-endian
      out.write(8);
      for (int shift = 0; shift < 64; shift += 8) {
        out.write((int) (v >>> shift));
      }
    }
  }

  private static void writeLe4(ByteArrayOutputStream out, int v) {
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }
}

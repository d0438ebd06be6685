package io.graphitekafka.gateway.carbon;

import io.graphitekafka.gateway.carbon.DecodeResult.Reject;
import io.graphitekafka.graphite.python.PythonFloat;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decodes the payload of one Carbon pickle frame (the bytes after the 4-byte length) holding a list
 * of {@code (path, (timestamp, value))}, as sent by carbon-relay and other pickle clients.
 *
 * <p>This is a small pickle stack machine written for untrusted input: it knows only the opcodes
 * that build strings, numbers, lists and tuples, so it never imports or calls anything, and it
 * bounds nesting, element counts and every declared length by the bytes actually present. Frames
 * using any other opcode are rejected whole ({@link RejectReason#PICKLE_FORBIDDEN_OPCODE}), which
 * is stricter than carbon's {@code SafeUnpickler} (it also refuses dicts and sets, which no carbon
 * payload holds). Within a well-formed frame each bad element is rejected on its own and the rest
 * are kept; carbon instead fails the whole frame on a Python 2 string that is not UTF-8, and drops
 * the connection on a {@code bytes} path. Stateless and thread-safe.
 */
public final class PickleDecoder {

  /**
   * carbon's {@code PICKLE_RECEIVER_MAX_LENGTH}: the largest frame payload, enforced by the framer.
   */
  public static final int MAX_FRAME_LENGTH = 1 << 20;

  /** The deepest list/tuple nesting and MARK nesting accepted. */
  public static final int MAX_NESTING = 64;

  /** The most list and tuple items a frame may build in total. */
  public static final int MAX_ITEMS = 1 << 20;

  /** The most memo entries a frame may create. */
  public static final int MAX_MEMO = 1 << 20;

  /**
   * Python 3.11's limit on decimal digits in int() of text (sys.int_info.default_max_str_digits).
   */
  static final int MAX_INT_DIGITS = 4300;

  private static final int HIGHEST_PROTOCOL = 5;
  private static final int MAX_REPR = 160;

  private final int timestampResolution;

  /** A decoder with carbon's default of no timestamp resolution. */
  public PickleDecoder() {
    this(0);
  }

  /**
   * @param timestampResolution carbon's {@code MIN_TIMESTAMP_RESOLUTION} in seconds, as for {@link
   *     CarbonLineDecoder#CarbonLineDecoder(int)}
   */
  public PickleDecoder(int timestampResolution) {
    if (timestampResolution < 0) {
      throw new IllegalArgumentException(
          "timestampResolution must be >= 0 seconds, got " + timestampResolution);
    }
    this.timestampResolution = timestampResolution;
  }

  /**
   * Decodes the pickle in {@code buf[offset, offset + length)}. Never throws for any content; bytes
   * after the STOP opcode are ignored, as by Python's {@code pickle.loads}.
   *
   * @param arrivalMillis epoch milliseconds at arrival, used for timestamps in {@code (-2, -1]}
   */
  public PickleResult decode(byte[] buf, int offset, int length, long arrivalMillis) {
    Objects.checkFromIndexSize(offset, length, buf.length);
    Object top;
    try {
      top = new Machine(buf, offset, offset + length).run();
    } catch (PickleException e) {
      return new PickleResult.Rejected(new Reject(e.reason, e.getMessage()));
    } catch (RuntimeException e) {
      // Defensive: every malformed input should surface as a PickleException above.
      return new PickleResult.Rejected(
          new Reject(RejectReason.BAD_PICKLE, "internal decoder error: " + e));
    }
    Object[] elements;
    if (top instanceof PyList list) {
      elements = list.items.toArray();
    } else if (top instanceof PyTuple tuple) {
      elements = tuple.items;
    } else {
      return new PickleResult.Rejected(
          new Reject(
              RejectReason.PICKLE_SHAPE, "pickle holds " + typeName(top) + ", expected a list"));
    }
    List<DecodeResult> results = new ArrayList<>(elements.length);
    for (int i = 0; i < elements.length; i++) {
      results.add(element(i, elements[i], arrivalMillis));
    }
    return new PickleResult.Decoded(results);
  }

  /** Applies carbon's {@code MetricPickleReceiver.stringReceived} checks to one element. */
  private DecodeResult element(int index, Object element, long arrivalMillis) {
    Object[] outer = pair(element);
    Object[] inner = outer == null ? null : pair(outer[1]);
    if (inner == null) {
      return elementReject(
          RejectReason.PICKLE_SHAPE, index, "is not (path, (timestamp, value))", element);
    }
    // carbon unpacks (metric, (value, timestamp)) but uses the pair by position: (timestamp,
    // value).
    long tsBits = toFloatBits(inner[0]);
    if (tsBits == PythonFloat.INVALID) {
      return elementReject(
          RejectReason.BAD_TIMESTAMP, index, "has a non-numeric timestamp", element);
    }
    long valueBits = toFloatBits(inner[1]);
    if (valueBits == PythonFloat.INVALID) {
      return elementReject(RejectReason.BAD_VALUE, index, "has a non-numeric value", element);
    }
    Object path = outer[0];
    if (path instanceof byte[]) {
      return elementReject(
          RejectReason.PICKLE_BYTES_PATH, index, "has a bytes path (pickle protocol 3+)", element);
    }
    if (path instanceof BadText) {
      return elementReject(
          RejectReason.INVALID_UTF8, index, "has a path that is not UTF-8", element);
    }
    if (!(path instanceof String name)) {
      return elementReject(
          RejectReason.PICKLE_SHAPE, index, "has a path of type " + typeName(path), element);
    }
    return CarbonPoints.toPoint(
        name,
        Double.longBitsToDouble(tsBits),
        Double.longBitsToDouble(valueBits),
        arrivalMillis,
        timestampResolution);
  }

  private static Object[] pair(Object o) {
    Object[] items;
    if (o instanceof PyTuple tuple) {
      items = tuple.items;
    } else if (o instanceof PyList list) {
      items = list.items.toArray();
    } else {
      return null;
    }
    return items.length == 2 ? items : null;
  }

  /**
   * Python's {@code float(x)} for the unpickled types, as raw bits or {@link PythonFloat#INVALID}.
   */
  private static long toFloatBits(Object o) {
    if (o instanceof Double d) {
      return Double.doubleToRawLongBits(d);
    } else if (o instanceof Long l) {
      return Double.doubleToRawLongBits(l.doubleValue());
    } else if (o instanceof BigInteger big) {
      double d = big.doubleValue(); // correctly rounded, like Python's int.__float__
      // Python raises OverflowError instead of returning inf for ints beyond the double range.
      return Double.isInfinite(d) ? PythonFloat.INVALID : Double.doubleToRawLongBits(d);
    } else if (o instanceof Boolean b) {
      return Double.doubleToRawLongBits(b ? 1.0 : 0.0);
    } else if (o instanceof String s) {
      return PythonFloat.parseBits(s);
    } else if (o instanceof byte[] bytes) {
      return floatOfBytes(bytes, 0, bytes.length);
    }
    return PythonFloat.INVALID;
  }

  /** Python's {@code float(b)} for bytes: ASCII only, stripped of {@code bytes.isspace()} bytes. */
  private static long floatOfBytes(byte[] b, int from, int to) {
    while (from < to && isBytesSpace(b[from])) {
      from++;
    }
    while (to > from && isBytesSpace(b[to - 1])) {
      to--;
    }
    return PythonFloat.parseBits(b, from, to);
  }

  private static boolean isBytesSpace(byte b) {
    return b == ' ' || (b >= 0x09 && b <= 0x0d);
  }

  private static Reject elementReject(
      RejectReason reason, int index, String problem, Object element) {
    StringBuilder sb = new StringBuilder("element ").append(index).append(' ').append(problem);
    sb.append(": ");
    repr(element, sb, 3, sb.length() + MAX_REPR);
    if (sb.length() > 40 + MAX_REPR) {
      sb.setLength(40 + MAX_REPR);
      sb.append("...");
    }
    return new Reject(reason, sb.toString());
  }

  /** A bounded Python-like repr; never recurses more than {@code depth} levels. */
  private static void repr(Object o, StringBuilder sb, int depth, int limit) {
    if (sb.length() >= limit) {
      return;
    }
    if (o instanceof String s) {
      sb.append(PythonFloat.quote(s));
    } else if (o instanceof byte[] b) {
      sb.append('b')
          .append(
              PythonFloat.quote(
                  new String(b, 0, Math.min(b.length, 100), StandardCharsets.ISO_8859_1)));
    } else if (o instanceof PyTuple || o instanceof PyList) {
      boolean tuple = o instanceof PyTuple;
      Object[] items = tuple ? ((PyTuple) o).items : ((PyList) o).items.toArray();
      sb.append(tuple ? '(' : '[');
      if (depth == 0) {
        sb.append("...");
      } else {
        for (int i = 0; i < items.length && sb.length() < limit; i++) {
          if (i > 0) {
            sb.append(", ");
          }
          repr(items[i], sb, depth - 1, limit);
        }
        if (tuple && items.length == 1) {
          sb.append(',');
        }
      }
      sb.append(tuple ? ')' : ']');
    } else if (o instanceof Boolean b) {
      sb.append(b ? "True" : "False");
    } else if (o == NONE) {
      sb.append("None");
    } else if (o instanceof BadText) {
      sb.append("<invalid UTF-8 text>");
    } else {
      sb.append(o);
    }
  }

  private static String typeName(Object o) {
    if (o instanceof String || o instanceof BadText) {
      return "str";
    } else if (o instanceof byte[]) {
      return "bytes";
    } else if (o instanceof Long || o instanceof BigInteger) {
      return "int";
    } else if (o instanceof Double) {
      return "float";
    } else if (o instanceof Boolean) {
      return "bool";
    } else if (o instanceof PyList) {
      return "list";
    } else if (o instanceof PyTuple) {
      return "tuple";
    }
    return "None";
  }

  private static final Object NONE = new Object();

  /** A string whose bytes were not valid UTF-8; rejected when an element uses it. */
  private record BadText() {}

  /** A Python list: mutable, since memoized lists can be appended to after they are referenced. */
  private static final class PyList {
    private final ArrayList<Object> items = new ArrayList<>();
    private int depth = 1;
  }

  private record PyTuple(Object[] items, int depth) {}

  private static final PyTuple EMPTY_TUPLE = new PyTuple(new Object[0], 1);

  /** A malformed or unsafe frame; carries the reason for the whole-frame reject. */
  private static final class PickleException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final RejectReason reason;

    PickleException(RejectReason reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }
  }

  private static PickleException malformed(String message) {
    return new PickleException(RejectReason.BAD_PICKLE, message);
  }

  /** The state of one decode: the input cursor, the stack, the marks and the memo. */
  private static final class Machine {
    private final byte[] buf;
    private final int end;
    private int pos;
    private Object[] stack = new Object[16];
    private int size;
    private final int[] marks = new int[MAX_NESTING];
    private int markCount;
    private final Map<Long, Object> memo = new HashMap<>();
    private long items;

    Machine(byte[] buf, int from, int end) {
      this.buf = buf;
      this.pos = from;
      this.end = end;
    }

    Object run() {
      while (true) {
        if (pos >= end) {
          throw malformed("pickle data was truncated");
        }
        int opAt = pos;
        int op = buf[pos++] & 0xff;
        switch (op) {
          case 0x80 -> { // PROTO
            int proto = u8();
            if (proto > HIGHEST_PROTOCOL) {
              throw malformed("unsupported pickle protocol: " + proto);
            }
          }
          case 0x95 -> { // FRAME: a length prefix only, the opcodes inside are read as usual
            long frameLength = le(8);
            if (frameLength < 0 || frameLength > end - pos) {
              throw malformed(
                  "FRAME of "
                      + Long.toUnsignedString(frameLength)
                      + " bytes exceeds the "
                      + (end - pos)
                      + " bytes left");
            }
          }
          case '.' -> { // STOP
            return pop();
          }
          case '(' -> { // MARK
            if (markCount == MAX_NESTING) {
              throw new PickleException(
                  RejectReason.PICKLE_TOO_LARGE, "MARKs nested deeper than " + MAX_NESTING);
            }
            marks[markCount++] = size;
          }
          case ']' -> push(new PyList()); // EMPTY_LIST
          case 'l' -> { // LIST
            PyList list = new PyList();
            int from = popMark();
            for (int i = from; i < size; i++) {
              addItem(list, stack[i]);
            }
            truncate(from);
            push(list);
          }
          case 'a' -> { // APPEND
            Object item = pop();
            addItem(listOnTop(), item);
          }
          case 'e' -> { // APPENDS
            int from = popMark();
            PyList list = listAt(from - 1);
            for (int i = from; i < size; i++) {
              addItem(list, stack[i]);
            }
            truncate(from);
          }
          case ')' -> push(EMPTY_TUPLE); // EMPTY_TUPLE
          case 't' -> { // TUPLE
            int from = popMark();
            Object[] tupleItems = Arrays.copyOfRange(stack, from, size);
            truncate(from);
            push(tuple(tupleItems));
          }
          case 0x85, 0x86, 0x87 -> { // TUPLE1, TUPLE2, TUPLE3
            int n = op - 0x84;
            if (size - floor() < n) {
              throw malformed("stack underflow in TUPLE" + n);
            }
            Object[] tupleItems = Arrays.copyOfRange(stack, size - n, size);
            truncate(size - n);
            push(tuple(tupleItems));
          }
          case 'N' -> push(NONE);
          case 0x88 -> push(Boolean.TRUE); // NEWTRUE
          case 0x89 -> push(Boolean.FALSE); // NEWFALSE
          case 'I' -> { // INT: decimal text; "00"/"01" are protocol 0's False/True
            int lineEnd = lineEnd();
            if (lineEnd - pos == 2
                && buf[pos] == '0'
                && (buf[pos + 1] == '0' || buf[pos + 1] == '1')) {
              push(buf[pos + 1] == '1' ? Boolean.TRUE : Boolean.FALSE);
            } else {
              push(intLiteral(pos, lineEnd));
            }
            pos = lineEnd + 1;
          }
          case 'L' -> { // LONG: decimal text with an optional trailing 'L'
            int lineEnd = lineEnd();
            int textEnd = lineEnd > pos && buf[lineEnd - 1] == 'L' ? lineEnd - 1 : lineEnd;
            push(intLiteral(pos, textEnd));
            pos = lineEnd + 1;
          }
          case 'J' -> push((long) (int) le(4)); // BININT
          case 'K' -> push((long) u8()); // BININT1
          case 'M' -> push(le(2)); // BININT2
          case 0x8a -> push(twosComplement(u8())); // LONG1
          case 0x8b -> { // LONG4
            long n = (int) le(4);
            if (n < 0) {
              throw malformed("LONG pickle has negative byte count");
            }
            push(twosComplement(length(n)));
          }
          case 'F' -> { // FLOAT: Python's float() of the text
            int lineEnd = lineEnd();
            long bits = floatOfBytes(buf, pos, lineEnd);
            if (bits == PythonFloat.INVALID) {
              throw malformed("could not convert FLOAT text to float");
            }
            push(Double.longBitsToDouble(bits));
            pos = lineEnd + 1;
          }
          case 'G' -> push(Double.longBitsToDouble(be8())); // BINFLOAT
          case 'S' -> { // STRING: a quoted, backslash-escaped Python 2 str
            int lineEnd = lineEnd();
            push(quotedString(pos, lineEnd));
            pos = lineEnd + 1;
          }
          case 'T' -> { // BINSTRING
            long n = (int) le(4);
            if (n < 0) {
              throw malformed("BINSTRING pickle has negative byte count");
            }
            push(utf8(length(n)));
          }
          case 'U' -> push(utf8(u8())); // SHORT_BINSTRING
          case 'V' -> { // UNICODE: raw-unicode-escape text
            int lineEnd = lineEnd();
            push(rawUnicodeEscape(pos, lineEnd));
            pos = lineEnd + 1;
          }
          case 'X' -> push(utf8(length(le(4)))); // BINUNICODE
          case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
          case 0x8d -> push(utf8(length(le(8)))); // BINUNICODE8
          case 'B' -> push(bytes(length(le(4)))); // BINBYTES
          case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
          case 0x8e -> push(bytes(length(le(8)))); // BINBYTES8
          case 'p' -> memoPut(memoIndexLine()); // PUT
          case 'q' -> memoPut(u8()); // BINPUT
          case 'r' -> memoPut(le(4)); // LONG_BINPUT
          case 0x94 -> memoPut(memo.size()); // MEMOIZE
          case 'g' -> memoGet(memoIndexLine()); // GET
          case 'h' -> memoGet(u8()); // BINGET
          case 'j' -> memoGet(le(4)); // LONG_BINGET
          case 'c',
              0x93,
              'R',
              'b',
              'i',
              'o',
              0x81,
              0x92,
              0x82,
              0x83,
              0x84,
              'P',
              'Q',
              'd',
              '}',
              's',
              'u',
              0x8f,
              0x90,
              0x91,
              '0',
              '1',
              '2',
              0x96,
              0x97,
              0x98 ->
              throw new PickleException(
                  RejectReason.PICKLE_FORBIDDEN_OPCODE,
                  "opcode " + opcodeName(op) + " at offset " + opAt + " is not allowed");
          default ->
              throw malformed(String.format("invalid load key 0x%02x at offset %d", op, opAt));
        }
      }
    }

    // --- stack ---

    private void push(Object o) {
      if (size == stack.length) {
        stack = Arrays.copyOf(stack, size * 2);
      }
      stack[size++] = o;
    }

    /** The lowest stack index usable since the last MARK (Python 3 keeps a metastack). */
    private int floor() {
      return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private Object pop() {
      if (size <= floor()) {
        throw malformed("unpickling stack underflow");
      }
      Object o = stack[--size];
      stack[size] = null;
      return o;
    }

    private void truncate(int newSize) {
      Arrays.fill(stack, newSize, size, null);
      size = newSize;
    }

    private int popMark() {
      if (markCount == 0) {
        throw malformed("could not find MARK");
      }
      return marks[--markCount];
    }

    private PyList listOnTop() {
      return listAt(size - 1);
    }

    private PyList listAt(int index) {
      if (index < floor() || index < 0 || index >= size) {
        throw malformed("unpickling stack underflow");
      }
      if (!(stack[index] instanceof PyList list)) {
        throw new PickleException(
            RejectReason.PICKLE_SHAPE, "APPEND to a " + typeName(stack[index]) + ", not a list");
      }
      return list;
    }

    // --- containers ---

    private void addItem(PyList list, Object item) {
      countItems(1);
      list.depth = Math.max(list.depth, checkedDepth(item));
      list.items.add(item);
    }

    private PyTuple tuple(Object[] tupleItems) {
      if (tupleItems.length == 0) {
        return EMPTY_TUPLE;
      }
      countItems(tupleItems.length);
      int depth = 1;
      for (Object item : tupleItems) {
        depth = Math.max(depth, checkedDepth(item));
      }
      return new PyTuple(tupleItems, depth);
    }

    /** The depth a container has when it holds {@code item}, checked against the limit. */
    private static int checkedDepth(Object item) {
      int depth = 1;
      if (item instanceof PyList list) {
        depth += list.depth;
      } else if (item instanceof PyTuple tuple) {
        depth += tuple.depth;
      }
      if (depth > MAX_NESTING) {
        throw new PickleException(
            RejectReason.PICKLE_TOO_LARGE, "lists or tuples nested deeper than " + MAX_NESTING);
      }
      return depth;
    }

    private void countItems(int n) {
      items += n;
      if (items > MAX_ITEMS) {
        throw new PickleException(
            RejectReason.PICKLE_TOO_LARGE, "more than " + MAX_ITEMS + " list and tuple items");
      }
    }

    // --- memo ---

    /** The decimal memo index of PUT or GET, on the rest of the line; moves past the line. */
    private long memoIndexLine() {
      int lineEnd = lineEnd();
      long index = memoIndex(pos, lineEnd);
      pos = lineEnd + 1;
      return index;
    }

    private void memoPut(long index) {
      if (size <= floor()) {
        throw malformed("unpickling stack underflow in PUT");
      }
      if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
        throw new PickleException(
            RejectReason.PICKLE_TOO_LARGE, "more than " + MAX_MEMO + " memo entries");
      }
      memo.put(index, stack[size - 1]);
    }

    private void memoGet(long index) {
      Object o = memo.get(index);
      if (o == null) {
        throw malformed("memo value not found at index " + index);
      }
      push(o);
    }

    private long memoIndex(int from, int to) {
      Object n = intLiteral(from, to);
      if (!(n instanceof Long index) || index < 0) {
        throw malformed("invalid memo index");
      }
      return index;
    }

    // --- raw reads, every length checked against the bytes present ---

    private int u8() {
      require(1);
      return buf[pos++] & 0xff;
    }

    /**
     * An unsigned little-endian integer of {@code n <= 8} bytes (8 bytes may come out negative).
     */
    private long le(int n) {
      require(n);
      long v = 0;
      for (int i = n - 1; i >= 0; i--) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
      pos += n;
      return v;
    }

    private long be8() {
      require(8);
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (buf[pos + i] & 0xff);
      }
      pos += 8;
      return v;
    }

    /** Validates a declared byte count against the remaining input before anything is allocated. */
    private int length(long declared) {
      if (declared < 0 || declared > end - pos) {
        throw malformed(
            "declared length "
                + Long.toUnsignedString(declared)
                + " exceeds the "
                + (end - pos)
                + " bytes left");
      }
      return (int) declared;
    }

    private void require(int n) {
      if (end - pos < n) {
        throw malformed("pickle data was truncated");
      }
    }

    /** The index of the {@code \n} ending the text argument at {@code pos}. */
    private int lineEnd() {
      for (int i = pos; i < end; i++) {
        if (buf[i] == '\n') {
          return i;
        }
      }
      throw malformed("pickle data was truncated (no newline)");
    }

    // --- values ---

    private Object utf8(int n) {
      length(n);
      Object s = decodeUtf8(buf, pos, n);
      pos += n;
      return s;
    }

    private byte[] bytes(int n) {
      length(n);
      byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return b;
    }

    private Object twosComplement(int n) {
      length(n);
      if (n == 0) {
        return 0L;
      }
      byte[] bigEndian = new byte[n];
      for (int i = 0; i < n; i++) {
        bigEndian[i] = buf[pos + n - 1 - i];
      }
      pos += n;
      return normalize(new BigInteger(bigEndian));
    }

    /** Python's {@code int(text, 0)} as used by INT, LONG, PUT and GET. */
    private Object intLiteral(int from, int to) {
      while (from < to && isBytesSpace(buf[from])) {
        from++;
      }
      while (to > from && isBytesSpace(buf[to - 1])) {
        to--;
      }
      boolean negative = false;
      if (from < to && (buf[from] == '+' || buf[from] == '-')) {
        negative = buf[from] == '-';
        from++;
      }
      int radix = 10;
      if (to - from >= 2 && buf[from] == '0') {
        int prefix = buf[from + 1] | 0x20;
        radix = prefix == 'x' ? 16 : prefix == 'o' ? 8 : prefix == 'b' ? 2 : 10;
        if (radix != 10) {
          from += 2;
          // int() allows one underscore right after the base prefix: 0x_ff
          if (from < to && buf[from] == '_') {
            from++;
            if (from < to && buf[from] == '_') {
              throw malformed("invalid literal for int()");
            }
          }
        }
      }
      StringBuilder digits = new StringBuilder(Math.min(to - from, MAX_INT_DIGITS + 1));
      boolean nonZero = false;
      for (int i = from; i < to; i++) {
        byte c = buf[i];
        if (c == '_' && i > from && i + 1 < to && buf[i + 1] != '_' && buf[i - 1] != '_') {
          continue;
        }
        if (Character.digit(c, radix) < 0 || c < 0) {
          throw malformed("invalid literal for int()");
        }
        nonZero |= c != '0';
        if (digits.length() == MAX_INT_DIGITS) {
          throw malformed("int literal exceeds " + MAX_INT_DIGITS + " digits");
        }
        digits.append((char) c);
      }
      if (digits.length() == 0) {
        throw malformed("invalid literal for int()");
      }
      // Decimal literals may not have leading zeros unless the value is zero ("010" is an error).
      if (radix == 10 && nonZero && digits.charAt(0) == '0') {
        throw malformed("invalid literal for int()");
      }
      BigInteger value = new BigInteger(digits.toString(), radix);
      return normalize(negative ? value.negate() : value);
    }

    /** A Python 2 str from the STRING opcode: quoted, with Python string escapes. */
    private Object quotedString(int from, int to) {
      if (to - from < 2 || buf[from] != buf[to - 1] || (buf[from] != '\'' && buf[from] != '"')) {
        throw malformed("the STRING opcode argument must be quoted");
      }
      byte[] out = new byte[to - from];
      int n = 0;
      int i = from + 1;
      int last = to - 1;
      while (i < last) {
        byte c = buf[i++];
        if (c != '\\') {
          out[n++] = c;
          continue;
        }
        if (i >= last) {
          throw malformed("trailing \\ in STRING");
        }
        byte e = buf[i++];
        switch (e) {
          case '\n' -> {}
          case '\\', '\'', '"' -> out[n++] = e;
          case 'a' -> out[n++] = 0x07;
          case 'b' -> out[n++] = 0x08;
          case 'f' -> out[n++] = 0x0c;
          case 'n' -> out[n++] = '\n';
          case 'r' -> out[n++] = '\r';
          case 't' -> out[n++] = '\t';
          case 'v' -> out[n++] = 0x0b;
          case 'x' -> {
            if (i + 2 > last
                || Character.digit(buf[i], 16) < 0
                || Character.digit(buf[i + 1], 16) < 0) {
              throw malformed("invalid \\x escape in STRING");
            }
            out[n++] = (byte) (Character.digit(buf[i], 16) * 16 + Character.digit(buf[i + 1], 16));
            i += 2;
          }
          default -> {
            if (e >= '0' && e <= '7') {
              int v = e - '0';
              for (int k = 0; k < 2 && i < last && buf[i] >= '0' && buf[i] <= '7'; k++) {
                v = v * 8 + (buf[i++] - '0');
              }
              out[n++] = (byte) v;
            } else {
              // Python keeps unknown escapes as written.
              out[n++] = '\\';
              out[n++] = e;
            }
          }
        }
      }
      return decodeUtf8(out, 0, n);
    }

    /**
     * Python's raw-unicode-escape codec: Latin-1 bytes plus {@code \\uXXXX} and {@code
     * \\UXXXXXXXX}.
     */
    private String rawUnicodeEscape(int from, int to) {
      StringBuilder sb = new StringBuilder(to - from);
      int i = from;
      while (i < to) {
        int c = buf[i] & 0xff;
        if (c != '\\') {
          sb.append((char) c);
          i++;
          continue;
        }
        int run = 0;
        while (i < to && buf[i] == '\\') {
          run++;
          i++;
        }
        // Only an odd run of backslashes escapes the following u or U.
        if ((run & 1) == 0 || i >= to || (buf[i] != 'u' && buf[i] != 'U')) {
          sb.append("\\".repeat(run));
          continue;
        }
        sb.append("\\".repeat(run - 1));
        int digits = buf[i] == 'u' ? 4 : 8;
        i++;
        if (to - i < digits) {
          throw malformed("truncated \\uXXXX escape in UNICODE");
        }
        int cp = 0;
        for (int k = 0; k < digits; k++) {
          int d = Character.digit(buf[i + k], 16);
          if (d < 0 || buf[i + k] < 0) {
            throw malformed("truncated \\uXXXX escape in UNICODE");
          }
          cp = cp * 16 + d;
        }
        if (cp < 0 || cp > Character.MAX_CODE_POINT) {
          throw malformed("\\Uxxxxxxxx out of range in UNICODE");
        }
        sb.appendCodePoint(cp);
        i += digits;
      }
      return sb.toString();
    }
  }

  private static Object normalize(BigInteger v) {
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  /** Strict UTF-8, as carbon's {@code SafeUnpickler} decodes with {@code encoding='utf-8'}. */
  private static Object decodeUtf8(byte[] b, int from, int n) {
    boolean ascii = true;
    for (int i = from; i < from + n; i++) {
      if (b[i] < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(b, from, n, StandardCharsets.ISO_8859_1);
    }
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(b, from, n));
      return chars.toString();
    } catch (CharacterCodingException e) {
      return new BadText();
    }
  }

  private static String opcodeName(int op) {
    return switch (op) {
      case 'c' -> "GLOBAL";
      case 0x93 -> "STACK_GLOBAL";
      case 'R' -> "REDUCE";
      case 'b' -> "BUILD";
      case 'i' -> "INST";
      case 'o' -> "OBJ";
      case 0x81 -> "NEWOBJ";
      case 0x92 -> "NEWOBJ_EX";
      case 0x82 -> "EXT1";
      case 0x83 -> "EXT2";
      case 0x84 -> "EXT4";
      case 'P' -> "PERSID";
      case 'Q' -> "BINPERSID";
      case 'd' -> "DICT";
      case '}' -> "EMPTY_DICT";
      case 's' -> "SETITEM";
      case 'u' -> "SETITEMS";
      case 0x8f -> "EMPTY_SET";
      case 0x90 -> "ADDITEMS";
      case 0x91 -> "FROZENSET";
      case '0' -> "POP";
      case '1' -> "POP_MARK";
      case '2' -> "DUP";
      case 0x96 -> "BYTEARRAY8";
      case 0x97 -> "NEXT_BUFFER";
      case 0x98 -> "READONLY_BUFFER";
      default -> String.format("0x%02x", op);
    };
  }
}

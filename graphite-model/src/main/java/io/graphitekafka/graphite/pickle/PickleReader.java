package io.graphitekafka.graphite.pickle;

import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one pickle of plain containers, written with any protocol from 0 to 5, from untrusted
 * input: what graphite-web sends to carbon's cache query port, and any other Python client that
 * pickles dicts, lists, tuples, strings and numbers.
 *
 * <p>Only the opcodes that build those values are known, so nothing is ever imported or called:
 * {@code GLOBAL}, {@code STACK_GLOBAL}, {@code REDUCE}, {@code BUILD}, {@code INST}, {@code OBJ},
 * {@code NEWOBJ}, persistent ids, extension codes, sets and buffers are refused with a {@link
 * PickleException} naming the opcode. Declared lengths are checked against the bytes present, and
 * nesting, items and memo entries are bounded, so no input makes the reader allocate more than a
 * small multiple of its own size or recurse.
 *
 * <p>Values come back as Java objects: {@code dict} as a {@link LinkedHashMap} (in pickle order),
 * {@code list} as an {@link ArrayList}, {@code tuple} as an unmodifiable {@link List}, {@code str}
 * as {@link String}, {@code bytes} as {@code byte[]}, {@code int} as {@link Long} (or {@link
 * BigInteger} beyond 64 bits), {@code float} as {@link Double}, {@code bool} as {@link Boolean},
 * {@code None} as {@code null}. Stateless and thread-safe.
 */
public final class PickleReader {

  /** The deepest nesting of MARKs accepted. */
  public static final int MAX_NESTING = 64;

  /** The most container items one pickle may build. */
  public static final int MAX_ITEMS = 1 << 16;

  /** The most memo entries one pickle may create. */
  public static final int MAX_MEMO = 1 << 16;

  /** The most decimal digits of a text integer, and bytes of a binary one. */
  private static final int MAX_INT_DIGITS = 4300;

  private static final int HIGHEST_PROTOCOL = 5;

  private static final Object MARK = new Object();

  private PickleReader() {}

  /** Reads the pickle in {@code bytes}; bytes after its STOP opcode are ignored, as by Python. */
  public static Object read(byte[] bytes) {
    return read(bytes, 0, bytes.length);
  }

  /** Reads the pickle in {@code buf[offset, offset + length)}. */
  public static Object read(byte[] buf, int offset, int length) {
    return new Machine(buf, offset, offset + length).run();
  }

  /** One read: the stack, the memo and the position. */
  private static final class Machine {
    private final byte[] buf;
    private final int end;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int items;

    Machine(byte[] buf, int start, int end) {
      if (start < 0 || end > buf.length || start > end) {
        throw new IndexOutOfBoundsException("bad range " + start + ".." + end);
      }
      this.buf = buf;
      this.pos = start;
      this.end = end;
    }

    Object run() {
      while (true) {
        require(1);
        int at = pos;
        int op = buf[pos++] & 0xff;
        switch (op) {
          case 0x80 -> { // PROTO
            int version = u8();
            if (version > HIGHEST_PROTOCOL) {
              throw new PickleException("unsupported pickle protocol " + version);
            }
          }
          case 0x95 -> length(le(8)); // FRAME: only a length; the opcodes inside are read as usual
          case '.' -> { // STOP
            if (stack.size() != 1 || !marks.isEmpty()) {
              throw new PickleException("STOP with " + stack.size() + " values on the stack");
            }
            return value(stack.get(0));
          }
          case '(' -> { // MARK
            if (marks.size() >= MAX_NESTING) {
              throw new PickleException("more than " + MAX_NESTING + " nested marks");
            }
            marks.add(stack.size());
            stack.add(MARK);
          }
          case '0' -> pop(); // POP
          case '1' -> popMark(); // POP_MARK
          case '2' -> push(top()); // DUP
          case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
          case 'd' -> { // DICT
            List<Object> kv = popMark();
            LinkedHashMap<Object, Object> dict = new LinkedHashMap<>();
            putAll(dict, kv);
            push(dict);
          }
          case 's' -> { // SETITEM
            Object v = pop();
            Object k = pop();
            putAll(dictOnTop(), Arrays.asList(k, v));
          }
          case 'u' -> { // SETITEMS
            List<Object> kv = popMark();
            putAll(dictOnTop(), kv);
          }
          case ']' -> push(new ArrayList<>()); // EMPTY_LIST
          case 'l' -> push(countedList(popMark())); // LIST
          case 'a' -> { // APPEND
            Object v = pop();
            addAll(listOnTop(), List.of(wrapNull(v)));
          }
          case 'e' -> { // APPENDS
            List<Object> vs = popMark();
            addAll(listOnTop(), vs);
          }
          case ')' -> push(List.of()); // EMPTY_TUPLE
          case 't' -> push(tuple(popMark())); // TUPLE
          case 0x85, 0x86, 0x87 -> { // TUPLE1, TUPLE2, TUPLE3
            int n = op - 0x84;
            Object[] t = new Object[n];
            for (int i = n - 1; i >= 0; i--) {
              t[i] = pop();
            }
            push(tuple(Arrays.asList(t)));
          }
          case 'N' -> push(null);
          case 0x88 -> push(Boolean.TRUE); // NEWTRUE
          case 0x89 -> push(Boolean.FALSE); // NEWFALSE
          case 'I' -> push(textInt(line(), true)); // INT
          case 'L' -> { // LONG
            String text = line();
            push(textInt(text.endsWith("L") ? text.substring(0, text.length() - 1) : text, false));
          }
          case 'J' -> push((long) (int) le(4)); // BININT
          case 'K' -> push((long) u8()); // BININT1
          case 'M' -> push(le(2)); // BININT2
          case 0x8a -> push(binaryInt(u8())); // LONG1
          case 0x8b -> push(binaryInt(length(le(4)))); // LONG4
          case 'F' -> push(textFloat(line())); // FLOAT
          case 'G' -> push(Double.longBitsToDouble(be8())); // BINFLOAT
          case 'X' -> push(utf8(length(le(4)))); // BINUNICODE
          case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
          case 0x8d -> push(utf8(length(le(8)))); // BINUNICODE8
          case 'V' -> push(rawUnicodeEscape(line())); // UNICODE
          case 'T' -> push(latin1(length(le(4)))); // BINSTRING (a Python 2 str)
          case 'U' -> push(latin1(u8())); // SHORT_BINSTRING
          case 'B' -> push(bytes(length(le(4)))); // BINBYTES
          case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
          case 0x8e -> push(bytes(length(le(8)))); // BINBYTES8
          case 'p' -> memoPut(memoIndex(line())); // PUT
          case 'q' -> memoPut(u8()); // BINPUT
          case 'r' -> memoPut(le(4) & 0xffffffffL); // LONG_BINPUT
          case 0x94 -> memoPut(memo.size()); // MEMOIZE
          case 'g' -> memoGet(memoIndex(line())); // GET
          case 'h' -> memoGet(u8()); // BINGET
          case 'j' -> memoGet(le(4) & 0xffffffffL); // LONG_BINGET
          default ->
              throw new PickleException(
                  String.format(
                      "opcode %s at %d is not allowed: only plain containers are read",
                      opcodeName(op), at));
        }
      }
    }

    // --- the stack -------------------------------------------------------------------------

    private void push(Object o) {
      stack.add(o);
    }

    private Object pop() {
      int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1) + 1;
      if (stack.size() <= floor) {
        throw new PickleException("stack underflow");
      }
      return stack.remove(stack.size() - 1);
    }

    private Object top() {
      Object o = pop();
      push(o);
      return o;
    }

    private List<Object> popMark() {
      if (marks.isEmpty()) {
        throw new PickleException("no MARK to pop to");
      }
      int mark = marks.remove(marks.size() - 1);
      List<Object> above = new ArrayList<>(stack.subList(mark + 1, stack.size()));
      stack.subList(mark, stack.size()).clear();
      return above;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() {
      if (top() instanceof LinkedHashMap<?, ?> dict) {
        return (Map<Object, Object>) dict;
      }
      throw new PickleException("SETITEM(S) on something that is not a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop() {
      if (top() instanceof ArrayList<?> list) {
        return (List<Object>) list;
      }
      throw new PickleException("APPEND(S) on something that is not a list");
    }

    private void putAll(Map<Object, Object> dict, List<Object> kv) {
      if (kv.size() % 2 != 0) {
        throw new PickleException("odd number of items for a dict");
      }
      count(kv.size() / 2);
      for (int i = 0; i < kv.size(); i += 2) {
        Object key = kv.get(i);
        if (key instanceof Map<?, ?> || key instanceof ArrayList<?> || key instanceof byte[]) {
          throw new PickleException("unhashable dict key");
        }
        dict.put(key, kv.get(i + 1));
      }
    }

    private void addAll(List<Object> list, List<Object> values) {
      count(values.size());
      for (Object v : values) {
        list.add(v == NULL_ITEM ? null : v);
      }
    }

    private ArrayList<Object> countedList(List<Object> values) {
      count(values.size());
      return new ArrayList<>(values);
    }

    private List<Object> tuple(List<Object> values) {
      count(values.size());
      return Collections.unmodifiableList(new ArrayList<>(values));
    }

    private void count(int n) {
      items += n;
      if (items > MAX_ITEMS) {
        throw new PickleException("more than " + MAX_ITEMS + " items");
      }
    }

    private void memoPut(long index) {
      if (stack.isEmpty() || top() == MARK) {
        throw new PickleException("memo put of nothing");
      }
      if (index < 0 || memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
        throw new PickleException("more than " + MAX_MEMO + " memo entries");
      }
      memo.put(index, top());
    }

    private void memoGet(long index) {
      if (!memo.containsKey(index)) {
        throw new PickleException("memo entry " + index + " was never put");
      }
      push(memo.get(index));
    }

    private Object value(Object o) {
      if (o == MARK) {
        throw new PickleException("a MARK is not a value");
      }
      return o;
    }

    // --- reading bytes -------------------------------------------------------------------------

    private void require(int n) {
      if (n < 0 || end - pos < n) {
        throw new PickleException("truncated pickle: " + n + " more bytes needed at " + pos);
      }
    }

    private int u8() {
      require(1);
      return buf[pos++] & 0xff;
    }

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

    /** A declared length, which must fit in what is left. */
    private int length(long declared) {
      if (declared < 0 || declared > end - pos) {
        throw new PickleException(
            "declared length " + declared + " exceeds the " + (end - pos) + " bytes left");
      }
      return (int) declared;
    }

    private byte[] bytes(int n) {
      require(n);
      byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return out;
    }

    private String utf8(int n) {
      require(n);
      try {
        String s =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(buf, pos, n))
                .toString();
        pos += n;
        return s;
      } catch (CharacterCodingException e) {
        throw new PickleException("a str that is not UTF-8 at " + pos);
      }
    }

    private String latin1(int n) {
      require(n);
      String s = new String(buf, pos, n, StandardCharsets.ISO_8859_1);
      pos += n;
      return s;
    }

    /** The text up to the next newline, which is consumed. */
    private String line() {
      int nl = pos;
      while (nl < end && buf[nl] != '\n') {
        nl++;
      }
      if (nl == end) {
        throw new PickleException("truncated pickle: a text argument has no end of line");
      }
      String s = new String(buf, pos, nl - pos, StandardCharsets.ISO_8859_1);
      pos = nl + 1;
      return s;
    }

    private long memoIndex(String text) {
      if (!text.matches("\\d{1,9}")) {
        throw new PickleException("bad memo index '" + text + "'");
      }
      return Long.parseLong(text);
    }

    private Object textInt(String text, boolean intOpcode) {
      String t = text.trim();
      if (intOpcode && t.equals("00")) {
        return Boolean.FALSE;
      }
      if (intOpcode && t.equals("01")) {
        return Boolean.TRUE;
      }
      if (!t.matches("[+-]?\\d{1," + MAX_INT_DIGITS + "}")) {
        throw new PickleException("bad integer text");
      }
      BigInteger v = new BigInteger(t);
      return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Object binaryInt(int n) {
      if (n > MAX_INT_DIGITS) {
        throw new PickleException("an integer of " + n + " bytes");
      }
      if (n == 0) {
        return 0L;
      }
      byte[] le = bytes(n);
      byte[] be = new byte[n];
      for (int i = 0; i < n; i++) {
        be[i] = le[n - 1 - i];
      }
      BigInteger v = new BigInteger(be);
      return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Double textFloat(String text) {
      String t = text.trim();
      if (!t.matches("[+-]?(\\d+\\.?\\d*([eE][+-]?\\d+)?|\\.\\d+([eE][+-]?\\d+)?|inf|nan)")) {
        throw new PickleException("bad float text");
      }
      return switch (t.replace("+", "")) {
        case "inf" -> Double.POSITIVE_INFINITY;
        case "-inf" -> Double.NEGATIVE_INFINITY;
        case "nan", "-nan" -> Double.NaN;
        default -> Double.parseDouble(t);
      };
    }

    /** Protocol 0's UNICODE argument: latin-1 text with {@code \\uXXXX} and {@code \\UXXXXXXXX}. */
    private String rawUnicodeEscape(String text) {
      StringBuilder out = new StringBuilder(text.length());
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '\\'
            && i + 1 < text.length()
            && (text.charAt(i + 1) == 'u' || text.charAt(i + 1) == 'U')) {
          int digits = text.charAt(i + 1) == 'u' ? 4 : 8;
          if (i + 2 + digits > text.length()) {
            throw new PickleException("truncated \\u escape");
          }
          String hex = text.substring(i + 2, i + 2 + digits);
          if (!hex.matches("[0-9a-fA-F]+")) {
            throw new PickleException("bad \\u escape");
          }
          long cp = Long.parseLong(hex, 16);
          if (cp > Character.MAX_CODE_POINT) {
            throw new PickleException("\\U escape beyond Unicode");
          }
          out.appendCodePoint((int) cp);
          i += 1 + digits;
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }
  }

  /** Stands for None inside APPEND's one-element list, which List.of cannot hold. */
  private static final Object NULL_ITEM = new Object();

  private static Object wrapNull(Object v) {
    return v == null ? NULL_ITEM : v;
  }

  /** A readable name for an opcode, for errors. */
  static String opcodeName(int op) {
    String name =
        switch (op) {
          case 'c' -> "GLOBAL";
          case 0x93 -> "STACK_GLOBAL";
          case 'R' -> "REDUCE";
          case 'b' -> "BUILD";
          case 'i' -> "INST";
          case 'o' -> "OBJ";
          case 0x81 -> "NEWOBJ";
          case 0x92 -> "NEWOBJ_EX";
          case 'P' -> "PERSID";
          case 'Q' -> "BINPERSID";
          case 0x82, 0x83, 0x84 -> "EXT";
          case 0x8f -> "EMPTY_SET";
          case 0x90 -> "ADDITEMS";
          case 0x91 -> "FROZENSET";
          case 0x96 -> "BYTEARRAY8";
          case 0x97 -> "NEXT_BUFFER";
          case 0x98 -> "READONLY_BUFFER";
          case 'S' -> "STRING";
          default -> null;
        };
    String code = String.format("0x%02x", op);
    return name == null ? code : name + " (" + code + ")";
  }
}

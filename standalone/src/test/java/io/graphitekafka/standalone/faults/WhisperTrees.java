package io.graphitekafka.standalone.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Compares the Whisper files of two data directories byte for byte. */
final class WhisperTrees {

  private WhisperTrees() {}

  /** Every regular file under {@code <dataDir>/whisper}, by relative path, with its bytes. */
  static Map<String, byte[]> read(Path dataDir) throws IOException {
    Path root = dataDir.resolve("whisper");
    Map<String, byte[]> out = new TreeMap<>();
    if (!Files.isDirectory(root)) {
      return out;
    }
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    for (Path f : files) {
      out.put(root.relativize(f).toString(), Files.readAllBytes(f));
    }
    return out;
  }

  /** Number of {@code .wsp} files under {@code <dataDir>/whisper}. */
  static long count(Path dataDir) throws IOException {
    Path root = dataDir.resolve("whisper");
    if (!Files.isDirectory(root)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> p.toString().endsWith(".wsp")).count();
    } catch (UncheckedIOException e) {
      return -1; // a file was renamed under the walk
    }
  }

  /**
   * The differences between a reference tree and another, at most {@code limit} of them described:
   * files missing or extra, and for a differing file the first differing slot (archive, byte
   * offset, the reference's and the other's interval and value). Empty when the trees are
   * identical.
   */
  static List<String> differences(
      Map<String, byte[]> reference, Map<String, byte[]> other, int limit) {
    List<String> out = new ArrayList<>();
    int total = 0;
    for (Map.Entry<String, byte[]> e : reference.entrySet()) {
      byte[] b = other.get(e.getKey());
      String d = null;
      if (b == null) {
        d = "missing: " + e.getKey();
      } else {
        d = describeMismatch(e.getKey(), e.getValue(), b);
      }
      if (d != null && total++ < limit) {
        out.add(d);
      }
    }
    for (String name : other.keySet()) {
      if (!reference.containsKey(name) && total++ < limit) {
        out.add("extra: " + name);
      }
    }
    if (total > limit) {
      out.add("... " + (total - limit) + " more differences (" + total + " in all)");
    }
    return out;
  }

  private static String describeMismatch(String name, byte[] a, byte[] b) {
    int n = Math.min(a.length, b.length);
    int at = -1;
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      return a.length == b.length
          ? null
          : name + ": " + a.length + " bytes in the reference, " + b.length + " here";
    }
    if (at < 52) {
      return name + ": header differs at byte " + at;
    }
    int slot = (at - 52) / 12;
    int start = 52 + slot * 12;
    return name
        + ": differs at byte "
        + at
        + " (slot at "
        + start
        + "): reference "
        + slotText(a, start)
        + ", here "
        + slotText(b, start);
  }

  private static String slotText(byte[] f, int start) {
    if (start + 12 > f.length) {
      return "(none)";
    }
    ByteBuffer buf = ByteBuffer.wrap(f, start, 12);
    return "(" + Integer.toUnsignedLong(buf.getInt()) + ", " + buf.getDouble() + ")";
  }
}

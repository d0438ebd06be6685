package io.graphitekafka.whisper;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** Byte-level assertions on Whisper files that report the first differing offset. */
final class WhisperBytes {

  private WhisperBytes() {}

  static void assertFileBytes(Path file, byte[] expected, String what) throws IOException {
    assertBytes(Files.readAllBytes(file), expected, what);
  }

  static void assertBytes(byte[] actual, byte[] expected, String what) {
    if (actual.length != expected.length) {
      fail("%s: %d bytes, expected %d", what, actual.length, expected.length);
    }
    for (int i = 0; i < actual.length; i++) {
      if (actual[i] != expected[i]) {
        int from = Math.max(0, i - i % 12 - 12);
        int to = Math.min(actual.length, from + 48);
        fail(
            "%s: first difference at byte %d%n actual   [%d..%d) %s%n expected [%d..%d) %s",
            what, i, from, to, hex(actual, from, to), from, to, hex(expected, from, to));
      }
    }
  }

  static String hex(byte[] b, int from, int to) {
    return HexFormat.of().formatHex(b, from, to);
  }

  static byte[] bytes(Path file, long offset, int length) throws IOException {
    byte[] all = Files.readAllBytes(file);
    byte[] out = new byte[length];
    System.arraycopy(all, (int) offset, out, 0, length);
    return out;
  }
}

package io.graphitekafka.gateway.carbon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.graphitekafka.gateway.carbon.DecodeResult.Point;
import io.graphitekafka.gateway.carbon.DecodeResult.Reject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Checks the decoder against frames written by CPython (see make-pickles.py next to the frames).
 */
class PickleDecoderTest {

  private static final long ARRIVAL_MILLIS = 1_700_000_000_123L;

  private final PickleDecoder decoder = new PickleDecoder();

  /** One frame of manifest.txt: the expected whole-frame reject code, or the expected elements. */
  private record Expected(String name, String frameReject, List<String> elements) {}

  private static Map<String, Expected> manifest() throws IOException {
    Map<String, Expected> frames = new LinkedHashMap<>();
    Expected current = null;
    for (String line :
        new String(resource("/carbon/pickles/manifest.txt"), StandardCharsets.UTF_8)
            .lines()
            .toList()) {
      String[] f = line.split(" ", 4);
      if (f[0].equals("frame")) {
        current = new Expected(f[1], f[2].equals("rejected") ? f[3] : null, new ArrayList<>());
        frames.put(f[1], current);
      } else {
        current.elements().add(line);
      }
    }
    return frames;
  }

  private static byte[] frame(String name) throws IOException {
    return resource("/carbon/pickles/" + name + ".pickle");
  }

  private static byte[] resource(String path) throws IOException {
    try (InputStream in = PickleDecoderTest.class.getResourceAsStream(path)) {
      assertThat(in).as(path).isNotNull();
      return in.readAllBytes();
    }
  }

  private PickleResult decode(byte[] frame) {
    return decoder.decode(frame, 0, frame.length, ARRIVAL_MILLIS);
  }

  @TestFactory
  List<DynamicTest> decodesEveryGeneratedFrameAsExpected() throws IOException {
    Map<String, Expected> frames = manifest();
    assertThat(frames).hasSizeGreaterThan(40);
    List<DynamicTest> tests = new ArrayList<>();
    for (Expected expected : frames.values()) {
      tests.add(DynamicTest.dynamicTest(expected.name(), () -> check(expected)));
    }
    return tests;
  }

  private void check(Expected expected) throws IOException {
    PickleResult result = decode(frame(expected.name()));
    if (expected.frameReject() != null) {
      assertThat(result).isInstanceOf(PickleResult.Rejected.class);
      assertThat(((PickleResult.Rejected) result).reject().reason().code())
          .as(result.toString())
          .isEqualTo(expected.frameReject());
      return;
    }
    assertThat(result).as(result.toString()).isInstanceOf(PickleResult.Decoded.class);
    List<DecodeResult> elements = ((PickleResult.Decoded) result).elements();
    assertThat(elements).hasSize(expected.elements().size());
    for (int i = 0; i < elements.size(); i++) {
      String[] f = expected.elements().get(i).split(" ", 4);
      DecodeResult actual = elements.get(i);
      if (f[0].equals("reject")) {
        assertThat(actual).as("element %d", i).isInstanceOf(Reject.class);
        assertThat(((Reject) actual).reason().code())
            .as("element %d: %s", i, actual)
            .isEqualTo(f[1]);
      } else {
        double value = Double.longBitsToDouble(Long.parseUnsignedLong(f[2], 16));
        assertThat(actual)
            .as("element %d", i)
            .isEqualTo(new Point(f[3], value, Long.parseLong(f[1])));
      }
    }
  }

  @Test
  void refusesGlobalsWithTheOpcodeName() throws IOException {
    Reject reject = ((PickleResult.Rejected) decode(frame("evil-global-reduce-p2"))).reject();
    assertThat(reject.reason()).isEqualTo(RejectReason.PICKLE_FORBIDDEN_OPCODE);
    assertThat(reject.detail()).contains("GLOBAL");
    Reject stackGlobal = ((PickleResult.Rejected) decode(frame("evil-stack-global-p4"))).reject();
    assertThat(stackGlobal.detail()).contains("STACK_GLOBAL");
  }

  @Test
  void explainsElementRejects() throws IOException {
    List<DecodeResult> elements = ((PickleResult.Decoded) decode(frame("bytes-p3"))).elements();
    assertThat(((Reject) elements.get(0)).detail())
        .isEqualTo(
            "element 0 has a bytes path (pickle protocol 3+): (b'bytes.path', (1700000000, 1.0))");
  }

  @Test
  void appliesTheTimestampResolution() throws IOException {
    byte[] frame = frame("relay-p2");
    PickleResult result = new PickleDecoder(60).decode(frame, 0, frame.length, ARRIVAL_MILLIS);
    assertThat(((PickleResult.Decoded) result).elements().get(0))
        .isEqualTo(new Point("carbon.agents.host-a.cpuUsage", 1.5, 1_699_999_980L));
  }

  @Test
  void decodesAFrameInsideALargerBuffer() throws IOException {
    byte[] frame = frame("relay-p2");
    byte[] padded = new byte[frame.length + 10];
    System.arraycopy(frame, 0, padded, 4, frame.length);
    PickleResult result = decoder.decode(padded, 4, frame.length, ARRIVAL_MILLIS);
    assertThat(((PickleResult.Decoded) result).elements())
        .hasSize(6)
        .allMatch(e -> e instanceof Point);
  }

  @Test
  void decodesAMaximumSizeFrameOfMemoReferencesQuickly() {
    // One memoized element, then BINGET of it until the frame is 1 MiB: about 524k elements.
    byte[] element = {
      ']',
      '(',
      (byte) 0x8c,
      3,
      'a',
      '.',
      'b',
      'J',
      0,
      (byte) 0xf1,
      'S',
      'e',
      'K',
      9,
      (byte) 0x86,
      (byte) 0x86,
      'q',
      0
    };
    byte[] frame = new byte[PickleDecoder.MAX_FRAME_LENGTH];
    frame[0] = (byte) 0x80;
    frame[1] = 2;
    System.arraycopy(element, 0, frame, 2, element.length);
    int i = 2 + element.length;
    int gets = 1;
    while (i + 3 < frame.length) {
      frame[i++] = 'h';
      frame[i++] = 0;
      gets++;
    }
    frame[i++] = 'e';
    frame[i] = '.';
    long start = System.nanoTime();
    PickleResult result = decode(frame);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(result).isInstanceOf(PickleResult.Decoded.class);
    List<DecodeResult> elements = ((PickleResult.Decoded) result).elements();
    assertThat(elements).hasSize(gets);
    assertThat(elements.stream().distinct().toList())
        .containsExactly(new Point("a.b", 9.0, 1_700_000_000L));
  }

  @Test
  void rejectsAListThatHoldsItselfTooOften() {
    // [L, L, ...] where L is the list itself: harmless to Python, but its nesting has no bound.
    byte[] frame = new byte[200];
    frame[0] = (byte) 0x80;
    frame[1] = 2;
    frame[2] = ']';
    frame[3] = 'q';
    frame[4] = 0;
    frame[5] = '(';
    int i = 6;
    for (int k = 0; k < 80; k++) {
      frame[i++] = 'h';
      frame[i++] = 0;
    }
    frame[i++] = 'e';
    frame[i] = '.';
    PickleResult result = decode(frame);
    assertThat(result).isInstanceOf(PickleResult.Rejected.class);
    assertThat(((PickleResult.Rejected) result).reject().reason())
        .isEqualTo(RejectReason.PICKLE_TOO_LARGE);
  }

  @Property(tries = 3000)
  void neverThrowsOnArbitraryBytes(@ForAll("frames") byte[] frame) {
    assertDecodesSafely(frame);
  }

  @Property(tries = 3000)
  void neverThrowsOnMutatedRealFrames(@ForAll("mutatedFrames") byte[] frame) {
    assertDecodesSafely(frame);
  }

  private void assertDecodesSafely(byte[] frame) {
    long start = System.nanoTime();
    PickleResult result = decode(frame);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    if (result instanceof PickleResult.Rejected rejected) {
      assertThat(rejected.reject().detail()).doesNotStartWith("internal decoder error");
    } else if (result instanceof PickleResult.Decoded decoded) {
      for (DecodeResult e : decoded.elements()) {
        if (e instanceof Point p) {
          assertThat(p.value()).isNotNaN();
          assertThat(p.timestamp()).isBetween(0L, (1L << 32) - 1);
        }
      }
    } else {
      fail("unexpected result " + result);
    }
  }

  @Provide
  Arbitrary<byte[]> frames() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    // Bytes drawn mostly from the safe opcodes make deeper runs of the machine likely.
    Arbitrary<byte[]> opcodes =
        Arbitraries.of(
                (byte) 0x80,
                (byte) 0x02,
                (byte) ']',
                (byte) '(',
                (byte) 'a',
                (byte) 'e',
                (byte) 't',
                (byte) ')',
                (byte) 0x85,
                (byte) 0x86,
                (byte) 0x87,
                (byte) 'K',
                (byte) 'J',
                (byte) 'q',
                (byte) 'h',
                (byte) 0x94,
                (byte) 0x8c,
                (byte) 'X',
                (byte) 'G',
                (byte) 'N',
                (byte) '.',
                (byte) 'l',
                (byte) 'I',
                (byte) '\n',
                (byte) '1',
                (byte) 'S',
                (byte) '\'',
                (byte) 'V',
                (byte) 'L',
                (byte) 0x8a,
                (byte) 0x8b,
                (byte) 'F',
                (byte) 0x95,
                (byte) 0,
                (byte) 0xff)
            .array(byte[].class)
            .ofMaxSize(300);
    return Arbitraries.oneOf(random, opcodes);
  }

  @Provide
  Arbitrary<byte[]> mutatedFrames() throws IOException {
    List<byte[]> seeds = new ArrayList<>();
    for (String name :
        List.of("relay-p0", "relay-p2", "relay-p4", "ints-p1", "strings-p0", "py2-strings-p2")) {
      seeds.add(frame(name));
    }
    return Combinators.combine(
            Arbitraries.of(seeds),
            Arbitraries.integers().between(0, 10_000),
            Arbitraries.bytes(),
            Arbitraries.integers().between(0, 3))
        .as(
            (seed, position, value, kind) -> {
              byte[] copy = seed.clone();
              int at = position % copy.length;
              switch (kind) {
                case 0 -> copy[at] = value;
                case 1 -> copy[at] ^= (byte) (1 << (value & 7));
                case 2 -> {
                  return java.util.Arrays.copyOf(copy, at);
                }
                default -> copy[at] = (byte) (copy[at] + 1);
              }
              return copy;
            });
  }
}

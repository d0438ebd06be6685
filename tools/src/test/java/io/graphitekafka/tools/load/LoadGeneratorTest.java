package io.graphitekafka.tools.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.gateway.carbon.CarbonLineDecoder;
import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import io.graphitekafka.gateway.carbon.DecodeResult;
import io.graphitekafka.gateway.carbon.DecodeResult.Point;
import io.graphitekafka.gateway.carbon.PickleDecoder;
import io.graphitekafka.gateway.carbon.PickleResult;
import io.graphitekafka.tools.load.LoadGenerator.Protocol;
import io.graphitekafka.tools.load.LoadGenerator.Spec;
import io.graphitekafka.tools.load.LoadGenerator.Timestamps;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** The generator's bytes, read back with the gateway's own decoders. */
class LoadGeneratorTest {

  private static final long ARRIVAL = 1_800_000_000_000L;
  private static final LongSupplier NO_CLOCK =
      () -> {
        throw new AssertionError("fixed timestamps must not read the clock");
      };

  private static Spec spec(
      Protocol protocol,
      int connections,
      int series,
      long perSeries,
      long seed,
      Timestamps timestamps) {
    return new Spec(
        "127.0.0.1", 1, protocol, connections, series, perSeries, 0, timestamps, 10, seed, "lg");
  }

  /** Everything connection {@code c} sends, rendered {@code chunk} points at a time. */
  private static byte[] render(Spec spec, int c, long chunk, int bufferBytes, LongSupplier clock) {
    LoadRenderer r = new LoadRenderer(spec, c, clock);
    byte[] buf = new byte[bufferBytes];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (r.hasMore()) {
      int n = r.render(buf, chunk);
      assertThat(n).isPositive();
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static List<Point> decodePlaintext(byte[] bytes) {
    CarbonLineDecoder decoder = new CarbonLineDecoder();
    List<Point> points = new ArrayList<>();
    assertThat(bytes[bytes.length - 1]).isEqualTo((byte) '\n');
    CarbonLineSplitter.forEachLine(
        bytes,
        0,
        bytes.length,
        (b, off, len) -> {
          DecodeResult r = decoder.decode(b, off, len, ARRIVAL);
          assertThat(r).isInstanceOf(Point.class);
          points.add((Point) r);
        });
    return points;
  }

  /** Decodes length-prefixed frames; returns the points and records each frame's point count. */
  private static List<Point> decodePickle(byte[] bytes, List<Integer> frameSizes) {
    PickleDecoder decoder = new PickleDecoder();
    List<Point> points = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(bytes);
    while (in.hasRemaining()) {
      int length = in.getInt();
      assertThat(length).isBetween(1, PickleDecoder.MAX_FRAME_LENGTH);
      PickleResult r = decoder.decode(bytes, in.position(), length, ARRIVAL);
      assertThat(r).isInstanceOf(PickleResult.Decoded.class);
      List<DecodeResult> elements = ((PickleResult.Decoded) r).elements();
      frameSizes.add(elements.size());
      for (DecodeResult e : elements) {
        assertThat(e).isInstanceOf(Point.class);
        points.add((Point) e);
      }
      in.position(in.position() + length);
    }
    return points;
  }

  /**
   * Checks that {@code points} are connection c's share of the spec, in round order, fixed times.
   */
  private static void assertFixedPoints(Spec spec, int c, List<Point> points) {
    int mine = spec.seriesOf(c);
    assertThat(points).hasSize((int) (mine * spec.pointsPerSeries()));
    for (int n = 0; n < points.size(); n++) {
      int s = c + (n % mine) * spec.connections();
      long round = n / mine;
      Point p = points.get(n);
      assertThat(p.rawName()).isEqualTo("lg.h" + (s % 100) + ".s" + s);
      assertThat(p.timestamp()).isEqualTo(LoadGenerator.BASE_TIMESTAMP + 10 * round);
      assertThat(p.value()).isEqualTo((double) LoadGenerator.value(spec.seed(), s, round));
    }
  }

  @Test
  void plaintextLinesDecodeToEverySeriesOfTheConnectionRoundByRound() {
    Spec spec = spec(Protocol.PLAINTEXT, 3, 10, 4, 7, Timestamps.FIXED);
    Map<String, Integer> perSeries = new HashMap<>();
    for (int c = 0; c < 3; c++) {
      List<Point> points = decodePlaintext(render(spec, c, Long.MAX_VALUE, 1 << 16, NO_CLOCK));
      assertFixedPoints(spec, c, points);
      points.forEach(p -> perSeries.merge(p.rawName(), 1, Integer::sum));
    }
    assertThat(perSeries).hasSize(10).allSatisfy((name, n) -> assertThat(n).isEqualTo(4));
  }

  @Test
  void pickleFramesDecodeToTheSamePointsAsPlaintextInFramesOfAtMost500() {
    Spec pickle = spec(Protocol.PICKLE, 2, 7, 300, 7, Timestamps.FIXED);
    Spec plain = spec(Protocol.PLAINTEXT, 2, 7, 300, 7, Timestamps.FIXED);
    for (int c = 0; c < 2; c++) {
      List<Integer> frames = new ArrayList<>();
      List<Point> points =
          decodePickle(render(pickle, c, Long.MAX_VALUE, 1 << 16, NO_CLOCK), frames);
      assertFixedPoints(pickle, c, points);
      assertThat(points)
          .isEqualTo(decodePlaintext(render(plain, c, Long.MAX_VALUE, 1 << 16, NO_CLOCK)));
      assertThat(frames).allSatisfy(n -> assertThat(n).isBetween(1, 500)).contains(500);
    }
  }

  @Test
  void sameSpecSendsTheSameBytesWhateverTheChunkingAndSeedChangesTheValues() {
    for (Protocol protocol : Protocol.values()) {
      Spec spec = spec(protocol, 2, 50, 20, 42, Timestamps.FIXED);
      byte[] whole = render(spec, 1, Long.MAX_VALUE, 1 << 18, NO_CLOCK);
      assertThat(render(spec, 1, Long.MAX_VALUE, 1 << 18, NO_CLOCK)).isEqualTo(whole);
      byte[] small = render(spec, 1, 3, 1 << 18, NO_CLOCK);
      byte[] tinyBuffer = render(spec, 1, Long.MAX_VALUE, 200, NO_CLOCK);
      if (protocol == Protocol.PLAINTEXT) {
        // plaintext has no framing, so the stream is the same however it is cut
        assertThat(small).isEqualTo(whole);
        assertThat(tinyBuffer).isEqualTo(whole);
      } else {
        List<Point> expected = decodePickle(whole, new ArrayList<>());
        assertThat(decodePickle(small, new ArrayList<>())).isEqualTo(expected);
        assertThat(decodePickle(tinyBuffer, new ArrayList<>())).isEqualTo(expected);
      }
      Spec otherSeed = spec(protocol, 2, 50, 20, 43, Timestamps.FIXED);
      assertThat(render(otherSeed, 1, Long.MAX_VALUE, 1 << 18, NO_CLOCK)).isNotEqualTo(whole);
    }
  }

  @Test
  void currentTimestampsComeFromTheClockAtRenderTime() {
    for (Protocol protocol : Protocol.values()) {
      Spec spec = spec(protocol, 1, 5, 4, 1, Timestamps.NOW);
      AtomicLong clock = new AtomicLong(1_750_000_000L);
      LoadRenderer r = new LoadRenderer(spec, 0, clock::get);
      byte[] buf = new byte[1 << 12];
      List<Point> points = new ArrayList<>();
      while (r.hasMore()) {
        int n = r.render(buf, 7);
        byte[] chunk = Arrays.copyOf(buf, n);
        points.addAll(
            protocol == Protocol.PLAINTEXT
                ? decodePlaintext(chunk)
                : decodePickle(chunk, new ArrayList<>()));
        clock.addAndGet(3);
      }
      assertThat(points).hasSize(20);
      for (int i = 0; i < 20; i++) {
        assertThat(points.get(i).timestamp())
            .as("point %d", i)
            .isEqualTo(1_750_000_000L + 3 * (i / 7));
      }
    }
  }

  @Test
  void rejectsSpecsThatCannotBeSent() {
    assertThatThrownBy(() -> spec(Protocol.PLAINTEXT, 4, 3, 1, 1, Timestamps.FIXED))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new Spec("h", 1, Protocol.PLAINTEXT, 1, 1, 1, 0, Timestamps.FIXED, 10, 1, "a b"))
        .isInstanceOf(IllegalArgumentException.class);
    Spec spec = spec(Protocol.PLAINTEXT, 1, 1, 1, 1, Timestamps.FIXED);
    assertThatThrownBy(() -> new LoadRenderer(spec, 0, NO_CLOCK).render(new byte[10], 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void writesEveryRenderedByteOverItsConnectionsAndPacesToTheRate() throws Exception {
    Spec spec =
        new Spec("127.0.0.1", 0, Protocol.PLAINTEXT, 2, 100, 20, 0, Timestamps.FIXED, 10, 5, "lg");
    long expectedBytes =
        render(spec, 0, Long.MAX_VALUE, 1 << 16, NO_CLOCK).length
            + render(spec, 1, Long.MAX_VALUE, 1 << 16, NO_CLOCK).length;
    try (ServerSocket server = new ServerSocket(0)) {
      Spec live =
          new Spec(
              "127.0.0.1",
              server.getLocalPort(),
              Protocol.PLAINTEXT,
              2,
              100,
              20,
              0,
              Timestamps.FIXED,
              10,
              5,
              "lg");
      ExecutorService background = Executors.newSingleThreadExecutor();
      Future<Long> received = background.submit(() -> drain(server, 2));
      LoadGenerator.Result result = new LoadGenerator(live).run();
      assertThat(result.points()).isEqualTo(2000);
      assertThat(result.bytes()).isEqualTo(expectedBytes);
      assertThat(received.get(60, TimeUnit.SECONDS)).isEqualTo(expectedBytes);

      // 2,000 points at 10,000 points/s cannot be written in less than 0.2 s
      Spec paced =
          new Spec(
              "127.0.0.1",
              server.getLocalPort(),
              Protocol.PLAINTEXT,
              2,
              100,
              20,
              10_000,
              Timestamps.FIXED,
              10,
              5,
              "lg");
      received = background.submit(() -> drain(server, 2));
      result = new LoadGenerator(paced).run();
      assertThat(received.get(60, TimeUnit.SECONDS)).isEqualTo(expectedBytes);
      assertThat(result.nanos()).isGreaterThanOrEqualTo(190_000_000L);
      background.shutdownNow();
    }
  }

  /** Accepts {@code connections} connections and returns the bytes read from them until closed. */
  private static long drain(ServerSocket server, int connections) {
    ExecutorService readers = Executors.newCachedThreadPool();
    try {
      List<Future<Long>> counts = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        Socket s = server.accept();
        counts.add(
            readers.submit(
                () -> {
                  try (s;
                      InputStream in = s.getInputStream()) {
                    return in.transferTo(OutputStream.nullOutputStream());
                  }
                }));
      }
      long total = 0;
      for (Future<Long> f : counts) {
        total += f.get();
      }
      return total;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      readers.shutdownNow();
    }
  }
}

package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The plaintext framer: lines as Twisted's LineOnlyReceiver cuts them, over-long ones with their
 * head.
 */
class CarbonLineFramerTest {

  private static final int MAX = 8;

  /** What came out of the framer: "L:hex" for a line, "T:hex:length" for an over-long one. */
  private static List<String> frame(List<byte[]> chunks) {
    List<String> events = new ArrayList<>();
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new CarbonLineFramer(MAX),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                events.add("L:" + HexFormat.of().formatHex(ByteBufUtil.getBytes(buf)));
                buf.release();
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                CarbonLineFramer.LineTooLongException e =
                    (CarbonLineFramer.LineTooLongException) cause;
                events.add("T:" + HexFormat.of().formatHex(e.head()) + ":" + e.length());
              }
            });
    for (byte[] chunk : chunks) {
      ch.writeInbound(Unpooled.wrappedBuffer(chunk));
    }
    ch.finishAndReleaseAll();
    return events;
  }

  /** The same cut, done on the whole input at once: the specification the framer must meet. */
  private static List<String> reference(byte[] input) {
    List<String> events = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < input.length; i++) {
      if (input[i] != '\n') {
        continue;
      }
      int end = i > start && input[i - 1] == '\r' ? i - 1 : i;
      byte[] line = Arrays.copyOfRange(input, start, end);
      events.add(
          line.length > MAX
              ? "T:" + HexFormat.of().formatHex(Arrays.copyOf(line, MAX)) + ":" + line.length
              : "L:" + HexFormat.of().formatHex(line));
      start = i + 1;
    }
    return events;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void cutsLinesStripsTerminatorsAndReportsOverLongOnesWithTheirFirstBytes() {
    List<String> events =
        frame(
            List.of(
                bytes("a 1 2\r\nexactly8\n123456789\nok\n"),
                bytes("0123456789abcdef"),
                bytes("ghij\r"),
                bytes("\nafter\n")));

    assertThat(events)
        .containsExactly(
            "L:" + HexFormat.of().formatHex(bytes("a 1 2")),
            "L:" + HexFormat.of().formatHex(bytes("exactly8")),
            "T:" + HexFormat.of().formatHex(bytes("12345678")) + ":9",
            "L:" + HexFormat.of().formatHex(bytes("ok")),
            "T:" + HexFormat.of().formatHex(bytes("01234567")) + ":20",
            "L:" + HexFormat.of().formatHex(bytes("after")));
  }

  @Test
  void aLineOfTheLimitPlusCarriageReturnSplitBeforeItsNewlineIsNotTooLong() {
    assertThat(frame(List.of(bytes("exactly8\r"), bytes("\n"))))
        .containsExactly("L:" + HexFormat.of().formatHex(bytes("exactly8")));
  }

  @Provide
  Arbitrary<byte[]> streams() {
    return Arbitraries.of((byte) 'a', (byte) 'b', (byte) '\r', (byte) '\n', (byte) ' ')
        .list()
        .ofMaxSize(200)
        .map(
            list -> {
              byte[] out = new byte[list.size()];
              for (int i = 0; i < out.length; i++) {
                out[i] = list.get(i);
              }
              return out;
            });
  }

  @Property(tries = 2000)
  void anySplitIntoChunksGivesTheSameLinesAsTheWholeInput(
      @ForAll("streams") byte[] input, @ForAll("cuts") List<Integer> cuts) {
    List<byte[]> chunks = new ArrayList<>();
    int at = 0;
    for (int cut : cuts) {
      int end = Math.min(input.length, at + cut);
      chunks.add(Arrays.copyOfRange(input, at, end));
      at = end;
    }
    chunks.add(Arrays.copyOfRange(input, at, input.length));

    assertThat(frame(chunks)).isEqualTo(reference(input));
  }

  @Provide
  Arbitrary<List<Integer>> cuts() {
    return Arbitraries.integers().between(0, 30).list().ofMaxSize(20);
  }
}

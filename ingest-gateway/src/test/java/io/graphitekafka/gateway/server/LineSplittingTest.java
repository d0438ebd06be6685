package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.gateway.carbon.CarbonLineSplitter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a record value of the lines topic is cut into lines: at {@code \n}, as the TCP framer does.
 */
class LineSplittingTest {

  private static List<String> split(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    CarbonLineSplitter.forEachNewlineLine(
        bytes,
        0,
        bytes.length,
        (buf, off, len) -> out.add(new String(buf, off, len, StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void splitsTelegrafBatchesAtNewlines() {
    assertThat(split("a 1 1\nb 2 2\n")).containsExactly("a 1 1", "b 2 2");
  }

  @Test
  void keepsALastLineWithoutNewlineAndStripsCarriageReturns() {
    assertThat(split("a 1 1\r\nb 2 2")).containsExactly("a 1 1", "b 2 2");
  }

  @Test
  void passesEmptyLinesOnSoTheyAreRejectedAsOverTcp() {
    assertThat(split("a 1 1\n\nb 2 2\n")).containsExactly("a 1 1", "", "b 2 2");
    assertThat(split("")).isEmpty();
  }
}

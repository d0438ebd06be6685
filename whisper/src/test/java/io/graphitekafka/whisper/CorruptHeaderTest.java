package io.graphitekafka.whisper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.storage.AggregationMethod;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Corrupt and truncated files are refused with the file's name and are never written to. */
class CorruptHeaderTest {

  @TempDir Path dir;

  private byte[] valid() throws Exception {
    Path file = dir.resolve("valid.wsp");
    try (WhisperFile wsp =
        WhisperFile.create(
            file,
            WhisperFileTest.layout(AggregationMethod.AVERAGE, 0.5f, 10, 6, 60, 5, 300, 6),
            FillMode.ZERO)) {
      wsp.updateMany(new long[] {1699999800L, 1699999810L}, new double[] {1, 2}, 2, 1699999815L);
    }
    byte[] b = Files.readAllBytes(file);
    Files.delete(file);
    return b;
  }

  static Stream<Arguments> corruptions() {
    return Stream.of(
        Arguments.of("aggregation type 0", edit(b -> b.putInt(0, 0)), "aggregation type 0"),
        Arguments.of("aggregation type 9", edit(b -> b.putInt(0, 9)), "aggregation type 9"),
        Arguments.of("xff above 1", edit(b -> b.putFloat(8, 1.5f)), "xFilesFactor"),
        Arguments.of("xff negative", edit(b -> b.putFloat(8, -0.1f)), "xFilesFactor"),
        Arguments.of("xff NaN", edit(b -> b.putFloat(8, Float.NaN)), "xFilesFactor"),
        Arguments.of("no archives", edit(b -> b.putInt(12, 0)), "archive count is 0"),
        Arguments.of("huge archive count", edit(b -> b.putInt(12, -1)), "archive table"),
        Arguments.of("offset off by 12", edit(b -> b.putInt(28, 136)), "starts at offset 136"),
        Arguments.of("points changed", edit(b -> b.putInt(24, 7)), "starts at offset"),
        Arguments.of("zero seconds per point", edit(b -> b.putInt(20, 0)), "seconds per point"),
        Arguments.of("maxRetention wrong", edit(b -> b.putInt(4, 1799)), "maxRetention 1799"),
        Arguments.of(
            "unsorted precisions",
            edit(
                b -> {
                  b.putInt(20, 60);
                  b.putInt(32, 10);
                }),
            "precision"));
  }

  private static Consumer<ByteBuffer> edit(Consumer<ByteBuffer> c) {
    return c;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptions")
  void refusesCorruptHeaderAndLeavesTheFileUntouched(
      String name, Consumer<ByteBuffer> corrupt, String message) throws Exception {
    byte[] bytes = valid();
    corrupt.accept(ByteBuffer.wrap(bytes));
    Path file = dir.resolve("corrupt.wsp");
    Files.write(file, bytes);
    assertThatThrownBy(() -> WhisperFile.open(file))
        .isInstanceOf(WhisperFormatException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(message);
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
  }

  @ParameterizedTest(name = "truncated to {0} bytes")
  @org.junit.jupiter.params.provider.ValueSource(ints = {0, 3, 15, 16, 27, 51, 52, 200, 255})
  void refusesTruncatedFile(int length) throws Exception {
    byte[] bytes = Arrays.copyOf(valid(), length);
    Path file = dir.resolve("short.wsp");
    Files.write(file, bytes);
    assertThatThrownBy(() -> WhisperFile.open(file))
        .isInstanceOf(WhisperFormatException.class)
        .hasMessageContaining(file.toString());
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
  }

  @Test
  void opensTheValidFileAndReadsItsLayout() throws Exception {
    Path file = dir.resolve("ok.wsp");
    Files.write(file, valid());
    try (WhisperFile wsp = WhisperFile.open(file)) {
      assertThat(wsp.layout().archives()).hasToString("[10:6, 60:5, 300:6]");
      assertThat(wsp.header().method()).isEqualTo(AggregationMethod.AVERAGE);
      assertThat(wsp.info()).contains("maxRetention: 1800");
    }
  }

  @Test
  void refusesAFileWithTrailingBytes() throws Exception {
    byte[] bytes = Arrays.copyOf(valid(), 268);
    Path file = dir.resolve("long.wsp");
    Files.write(file, bytes);
    assertThatThrownBy(() -> WhisperFile.open(file))
        .isInstanceOf(WhisperFormatException.class)
        .hasMessageContaining("268 bytes");
  }
}

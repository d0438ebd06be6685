package io.graphitekafka.whisper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Platform;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fill.mode=fallocate}: blocks reserved by the C library, not written; zeros where it
 * cannot.
 */
class FallocateTest {

  // 10s:6h,1m:7d,10m:5y: 3.3 MB, large enough that writing its zeros would show
  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(
              new ArchiveSpec(10, 2160), new ArchiveSpec(60, 10080), new ArchiveSpec(600, 262800)),
          AggregationMethod.AVERAGE,
          0.5f);

  @TempDir Path dir;

  @Test
  void isCalledOnLinux() {
    assumeTrue(Platform.isLinux(), "posix_fallocate is only called on Linux");
    assertThat(Fallocate.available()).as("posix_fallocate loaded through JNA").isTrue();
  }

  @Test
  void aFallocatedFileHasTheBytesOfAZeroFilledOneWithItsBlocksReservedButNotWritten()
      throws Exception {
    Path zero = dir.resolve("zero.wsp");
    WhisperFile.create(zero, LAYOUT, FillMode.ZERO).close();
    Path allocated = dir.resolve("allocated.wsp");
    long writtenBefore = bytesWrittenByThisProcess();
    WhisperFile.create(allocated, LAYOUT, FillMode.FALLOCATE).close();
    long written = bytesWrittenByThisProcess() - writtenBefore;

    assertThat(Files.readAllBytes(allocated)).isEqualTo(Files.readAllBytes(zero));
    long size = Files.size(allocated);
    assertThat(size).isEqualTo(WhisperHeader.forLayout(LAYOUT).fileSize());
    assumeTrue(Fallocate.available(), "posix_fallocate cannot be called here; zeros are written");
    assertThat(allocatedBytes(allocated)).as("blocks reserved").isGreaterThanOrEqualTo(size - 4096);
    if (written >= 0) {
      // the header only: 52 bytes, where writing the zeros would count 3.3 MB
      assertThat(written).as("bytes passed to write calls").isLessThan(size / 10);
    }
  }

  @Test
  void withoutTheCFunctionTheRegionIsWrittenAsZeros() throws Exception {
    Path file = dir.resolve("fallback.wsp");
    try (FileChannel ch =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("head".getBytes(StandardCharsets.US_ASCII)), 0);
      FileIo.allocate(ch, file, 4, 3 * 1024 * 1024 + 5, false);
    }
    byte[] bytes = Files.readAllBytes(file);
    assertThat(bytes).hasSize(3 * 1024 * 1024 + 5);
    assertThat(new String(bytes, 0, 4, StandardCharsets.US_ASCII)).isEqualTo("head");
    for (int i = 4; i < bytes.length; i++) {
      if (bytes[i] != 0) {
        throw new AssertionError("byte " + i + " is " + bytes[i]);
      }
    }
  }

  @Test
  void failuresNameTheFileAndTheCLibrarysError() throws Exception {
    assumeTrue(Fallocate.available(), "posix_fallocate cannot be called here");
    Path missing = dir.resolve("no/such.wsp");
    assertThatThrownBy(() -> Fallocate.allocate(missing, 0, 100))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("errno 2");
    Path file = Files.write(dir.resolve("some.wsp"), new byte[10]);
    assertThatThrownBy(() -> Fallocate.allocate(file, -1, 100))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("posix_fallocate of 100 bytes at offset -1 in " + file)
        .hasMessageContaining("errno 22");
    assertThat(Files.readAllBytes(file)).hasSize(10);
  }

  @Test
  void aNameOutsideAsciiIsAllocatedUnderThatVeryName() throws Exception {
    assumeTrue(Fallocate.available(), "posix_fallocate cannot be called here");
    assumeTrue(
        "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
        "file names are not UTF-8 in this locale");
    Path file = dir.resolve("größe-温度.wsp");
    WhisperFile.create(file, LAYOUT, FillMode.FALLOCATE).close();
    assertThat(Files.size(file)).isEqualTo(WhisperHeader.forLayout(LAYOUT).fileSize());
    try (var entries = Files.list(dir)) {
      assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("größe-温度.wsp");
    }
  }

  /**
   * {@code wchar} of /proc/self/io: bytes passed to write calls so far, or -1 where it is not kept.
   */
  private static long bytesWrittenByThisProcess() throws IOException {
    Path io = Path.of("/proc/self/io");
    if (!Files.isReadable(io)) {
      return -1;
    }
    for (String line : Files.readAllLines(io)) {
      if (line.startsWith("wchar:")) {
        return Long.parseLong(line.substring("wchar:".length()).trim());
      }
    }
    return -1;
  }

  /** Bytes the file system has allocated to the file, from {@code stat}. */
  private static long allocatedBytes(Path file) throws Exception {
    Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
    assertThat(stat.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String[] blocks =
        new String(stat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
            .trim()
            .split(" ");
    return Long.parseLong(blocks[0]) * Long.parseLong(blocks[1]);
  }
}

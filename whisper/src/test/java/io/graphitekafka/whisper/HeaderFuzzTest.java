package io.graphitekafka.whisper;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Arbitrary and mutated headers through the reader: a file either opens as a valid Whisper file or
 * is refused with a WhisperFormatException naming it; its bytes never change, and an opened one
 * answers a fetch without other errors.
 */
class HeaderFuzzTest {

  private Path dir;
  private byte[] valid;

  @BeforeProperty
  void setUp() throws IOException {
    dir = Files.createTempDirectory("header-fuzz");
    Path p = dir.resolve("valid.wsp");
    SeriesLayout layout =
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5), new ArchiveSpec(300, 6)),
            AggregationMethod.AVERAGE,
            0.5f);
    WhisperFile.create(p, layout, FillMode.ZERO).close();
    valid = Files.readAllBytes(p);
  }

  @AfterProperty
  void tearDown() throws IOException {
    try (var files = Files.walk(dir)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Provide
  Arbitrary<byte[]> mutatedHeaders() {
    return Arbitraries.integers()
        .between(0, 51)
        .list()
        .ofMinSize(1)
        .ofMaxSize(6)
        .flatMap(
            positions ->
                Arbitraries.bytes()
                    .array(byte[].class)
                    .ofSize(positions.size())
                    .map(
                        values -> {
                          byte[] copy = valid.clone();
                          for (int i = 0; i < positions.size(); i++) {
                            copy[positions.get(i)] = values[i];
                          }
                          return copy;
                        }));
  }

  @Property(tries = 500)
  void arbitraryBytesOpenOrAreRefusedByName(@ForAll byte[] bytes) throws Exception {
    check(bytes);
  }

  @Property(tries = 500)
  void mutatedHeadersOpenOrAreRefusedByName(@ForAll("mutatedHeaders") byte[] bytes)
      throws Exception {
    check(bytes);
  }

  @Property(tries = 200)
  void truncatedFilesAreRefused(@ForAll("cut") int length) throws Exception {
    byte[] cut = java.util.Arrays.copyOf(valid, length);
    Path p = write(cut);
    try (WhisperFile f = WhisperFile.open(p)) {
      throw new AssertionError(
          "opened a file cut to " + length + " of " + valid.length + " bytes: " + f);
    } catch (WhisperFormatException e) {
      assertThat(e.getMessage()).contains(p.toString());
    }
    assertThat(Files.readAllBytes(p)).isEqualTo(cut);
  }

  @Provide
  Arbitrary<Integer> cut() {
    return Arbitraries.integers().between(0, 255);
  }

  private void check(byte[] bytes) throws Exception {
    Path p = write(bytes);
    try (WhisperFile f = WhisperFile.open(p)) {
      long now =
          Integer.toUnsignedLong(ByteBuffer.wrap(bytes, 0, Math.min(bytes.length, 8)).capacity());
      f.fetch(0, now + 1000, now + 1000);
    } catch (WhisperFormatException e) {
      assertThat(e.getMessage()).contains(p.toString());
    }
    assertThat(Files.readAllBytes(p)).isEqualTo(bytes);
  }

  private int counter;

  private Path write(byte[] bytes) throws IOException {
    Path p = dir.resolve("f" + (counter++) + ".wsp");
    Files.write(p, bytes);
    return p;
  }
}

package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.WhisperBytes.assertFileBytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays the update_many calls recorded by {@code golden/make-golden.py} and compares every file
 * state and every fetch with what python3-whisper 1.1.4 produced.
 */
class GoldenFilesTest {

  @TempDir Path dir;

  @Test
  void manifestCoversEveryMethodAndTheSpecLayouts() {
    List<GoldenManifest.Case> cases = GoldenManifest.load();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(70);
    assertThat(cases.stream().map(c -> c.layout().method()).distinct()).hasSize(8);
    assertThat(cases.stream().map(c -> c.layout().xFilesFactor()).distinct())
        .contains(0f, 0.1f, 0.5f, 1f);
    assertThat(cases.stream().map(c -> c.layout().archives().toString()))
        .contains("[60:1440, 300:8640, 3600:26280]", "[10:6, 60:5, 300:6]");
    assertThat(cases.stream().map(GoldenManifest.Case::fill).distinct()).hasSize(3);
  }

  @TestFactory
  Stream<DynamicTest> matchesReferenceAfterCreateAndEachUpdateMany() {
    return GoldenManifest.load().stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> replay(c)));
  }

  private void replay(GoldenManifest.Case c) throws Exception {
    List<byte[]> snapshots = c.snapshots();
    Path file = dir.resolve(c.name() + ".wsp");
    try (WhisperFile wsp = WhisperFile.create(file, c.layout(), c.fill())) {
      assertFileBytes(file, snapshots.get(0), c.name() + " after create");
      for (int i = 0; i < c.steps().size(); i++) {
        GoldenManifest.Step s = c.steps().get(i);
        wsp.updateMany(s.timestamps(), s.values(), s.timestamps().length, s.now());
        assertFileBytes(file, snapshots.get(i + 1), c.name() + " after step " + (i + 1));
      }
    }
    try (WhisperFile wsp = WhisperFile.openReadOnly(file)) {
      for (GoldenManifest.Fetch f : c.fetches()) {
        FetchResult actual = wsp.fetch(f.from(), f.until(), f.now(), f.secondsPerPoint());
        assertThat(actual).as("%s fetch %s", c.name(), f).isEqualTo(f.expected());
      }
      assertThat(wsp.layout()).isEqualTo(WhisperHeader.forLayout(c.layout()).layout());
    }
  }
}

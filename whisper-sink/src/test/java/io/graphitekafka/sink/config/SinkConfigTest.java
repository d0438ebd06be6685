package io.graphitekafka.sink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.whisper.FillMode;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SinkConfigTest {

  private static SinkConfig config(Map<String, String> props) {
    return new SinkConfig(props);
  }

  @Test
  void readsExplicitPartitionListsAndRanges() {
    assertThat(config(Map.of("partitions", "0-5,9")).explicitPartitions())
        .containsExactly(0, 1, 2, 3, 4, 5, 9);
    assertThat(config(Map.of("partitions", " 3 , 1-2,2 ")).explicitPartitions())
        .containsExactly(3, 1, 2);
    assertThat(config(Map.of()).explicitPartitions()).isEmpty();
    for (String bad : new String[] {"5-3", "a", "1,,2", "-1", "1-"}) {
      assertThatThrownBy(() -> config(Map.of("partitions", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("partitions");
    }
  }

  @Test
  void readsReplayFromAsEarliestEpochSecondsOrIso8601() {
    assertThat(config(Map.of()).replayFrom()).isNull();
    assertThat(config(Map.of("replay.from", "earliest")).replayFrom().earliest()).isTrue();
    assertThat(config(Map.of("replay.from", "1800000000")).replayFrom().instant())
        .isEqualTo(Instant.ofEpochSecond(1_800_000_000L));
    assertThat(config(Map.of("replay.from", "2026-11-25T10:00:00Z")).replayFrom().instant())
        .isEqualTo(Instant.parse("2026-11-25T10:00:00Z"));
    assertThat(config(Map.of("replay.from", "2026-11-25T11:00:00+01:00")).replayFrom().instant())
        .isEqualTo(Instant.parse("2026-11-25T10:00:00Z"));
    assertThat(config(Map.of("replay.from", "2026-11-25")).replayFrom().instant())
        .isEqualTo(Instant.parse("2026-11-25T00:00:00Z"));
    assertThatThrownBy(() -> config(Map.of("replay.from", "yesterday")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("replay.from");
  }

  @Test
  void readsRatesAsInfiniteByDefaultOrPositiveNumbers() {
    assertThat(config(Map.of()).maxCreatesPerMinute()).isInfinite();
    assertThat(config(Map.of()).maxUpdatesPerSecond()).isInfinite();
    assertThat(config(Map.of("max.creates.per.minute", "600")).maxCreatesPerMinute())
        .isEqualTo(600);
    for (String bad : new String[] {"0", "-5", "fast", "NaN"}) {
      assertThatThrownBy(() -> config(Map.of("max.updates.per.second", bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("max.updates.per.second");
    }
  }

  @Test
  void reservesBlocksWithFallocateByDefaultAsCarbonsShippedConfigDoes() {
    assertThat(config(Map.of()).fillMode()).isEqualTo(FillMode.FALLOCATE);
    assertThat(config(Map.of("fill.mode", "zero")).fillMode()).isEqualTo(FillMode.ZERO);
    assertThatThrownBy(() -> config(Map.of("fill.mode", "preallocate")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fill.mode");
  }

  @Test
  void namesTheMetricsInstanceAfterTheStaticMemberUnlessGivenOne() {
    assertThat(config(Map.of()).metricsInstance()).isEqualTo("a");
    assertThat(config(Map.of("group.instance.id", "store-3")).metricsInstance())
        .isEqualTo("store-3");
    assertThat(
            config(Map.of("group.instance.id", "x", "carbon.metric.instance", "b"))
                .metricsInstance())
        .isEqualTo("b");
  }

  @Test
  void maxOpenFilesDefaultsToHalfTheDescriptorLimitWithinBounds() {
    assertThat(SinkConfig.automaticMaxOpenFiles(20_000)).isEqualTo(10_000);
    assertThat(SinkConfig.automaticMaxOpenFiles(1024)).isEqualTo(1024);
    assertThat(SinkConfig.automaticMaxOpenFiles(1_048_576)).isEqualTo(65_536);
    assertThat(SinkConfig.automaticMaxOpenFiles(-1)).isEqualTo(1024);
    assertThat(config(Map.of()).maxOpenFiles()).isBetween(1024, 65_536);
    assertThat(config(Map.of("max.open.files", "300")).maxOpenFiles()).isEqualTo(300);
  }
}

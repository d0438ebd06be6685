package io.graphitekafka.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.metrics.SelfMetrics;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SinkStatsTest {

  @Test
  void reportsCarbonCacheStatNamesAndPerWindowUpdateAverages() {
    AtomicLong nanos = new AtomicLong();
    SinkStats stats = new SinkStats(new SelfMetrics("agents"), 60, nanos::get);
    assertThat(stats.metrics().gauges()).doesNotContainKey("pointsPerUpdate"); // no updates yet
    stats.updates(4, 40, 8_000_000);
    assertThat(stats.metrics().gauges()).containsEntry("pointsPerUpdate", 10.0)
        .containsEntry("avgUpdateTime", 0.002);
    nanos.addAndGet(61_000_000_000L);
    stats.updates(1, 2, 1_000_000); // the next window; the last complete one is reported
    assertThat(stats.metrics().gauges()).containsEntry("pointsPerUpdate", 10.0);
    nanos.addAndGet(61_000_000_000L);
    assertThat(stats.metrics().gauges()).containsEntry("pointsPerUpdate", 2.0);
    assertThat(stats.metrics().counters()).containsEntry("committedPoints", 42L)
        .containsEntry("updateOperations", 5L).containsKeys("creates", "errors", "layoutMismatches",
            "droppedTooOld");
    stats.reject("invalid_name");
    assertThat(stats.metrics().counters()).containsEntry("rejects.invalid_name", 1L)
        .containsEntry("rejected", 1L);
    stats.lag(3, 17);
    assertThat(stats.metrics().gauges()).containsEntry("consumerLag.3", 17.0);
    stats.removeLag(3);
    assertThat(stats.metrics().gauges()).doesNotContainKey("consumerLag.3");
  }
}

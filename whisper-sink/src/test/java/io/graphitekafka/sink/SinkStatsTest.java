package io.graphitekafka.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.sink.metrics.SinkStats;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SinkStatsTest {

  @Test
  void reportsCarbonCacheStatNamesAndPerWindowUpdateAverages() {
    AtomicLong nanos = new AtomicLong();
    SinkStats stats = new SinkStats(new SelfMetrics("agents"), 60, nanos::get);
    assertThat(stats.metrics().gauges()).doesNotContainKey("pointsPerUpdate"); // no updates yet
    stats.updates(4, 40, 8_000_000);
    assertThat(stats.metrics().gauges())
        .containsEntry("pointsPerUpdate", 10.0)
        .containsEntry("avgUpdateTime", 0.002);
    nanos.addAndGet(61_000_000_000L);
    stats.updates(1, 2, 1_000_000); // the next window; the last complete one is reported
    assertThat(stats.metrics().gauges()).containsEntry("pointsPerUpdate", 10.0);
    nanos.addAndGet(61_000_000_000L);
    assertThat(stats.metrics().gauges()).containsEntry("pointsPerUpdate", 2.0);
    assertThat(stats.metrics().counters())
        .containsEntry("committedPoints", 42L)
        .containsEntry("updateOperations", 5L)
        .containsKeys("creates", "errors", "layoutMismatches", "droppedTooOld");
    stats.reject("invalid_name");
    assertThat(stats.metrics().counters())
        .containsEntry("rejects.invalid_name", 1L)
        .containsEntry("rejected", 1L);
    stats.lag(3, 17);
    assertThat(stats.metrics().gauges()).containsEntry("consumerLag.3", 17.0);
    stats.removeLag(3);
    assertThat(stats.metrics().gauges()).doesNotContainKey("consumerLag.3");
  }

  @Test
  void stalledSecondsCountsFromTheFirstFailureUntilABatchCommits() {
    AtomicLong nanos = new AtomicLong(5_000_000_000L);
    SinkStats stats = new SinkStats(new SelfMetrics("agents"), 60, nanos::get);
    assertThat(stats.metrics().gauges()).containsEntry("stalledSeconds", 0.0);
    stats.failed();
    nanos.addAndGet(2_000_000_000L);
    stats.failed(); // a retry failing again does not restart the count
    nanos.addAndGet(1_500_000_000L);
    assertThat(stats.metrics().gauges()).containsEntry("stalledSeconds", 3.5);
    stats.committed();
    assertThat(stats.metrics().gauges()).containsEntry("stalledSeconds", 0.0);
    assertThat(stats.metrics().counters()).containsKey("writeErrors");
  }
}

package io.graphitekafka.graphite.storage;

import java.util.List;

/**
 * Everything a Whisper header holds about a series: archives (finest first), aggregation method and
 * xFilesFactor. The aggregator resolves it once per series and every archive point carries it.
 */
public record SeriesLayout(
    List<ArchiveSpec> archives, AggregationMethod method, float xFilesFactor) {

  public SeriesLayout {
    archives = List.copyOf(archives);
    if (archives.isEmpty()) {
      throw new IllegalArgumentException("a layout needs at least one archive");
    }
    if (!(xFilesFactor >= 0f && xFilesFactor <= 1f)) {
      throw new IllegalArgumentException("xFilesFactor must be within [0, 1], was " + xFilesFactor);
    }
  }

  /** The longest retention over all archives, as stored in the header's maxRetention field. */
  public long maxRetention() {
    long max = 0;
    for (ArchiveSpec a : archives) {
      max = Math.max(max, a.retention());
    }
    return max;
  }
}

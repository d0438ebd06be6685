package io.graphitekafka.schemas.serde;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between the storage model's {@link SeriesLayout} and its Avro form in archive points.
 */
public final class Layouts {

  private Layouts() {}

  public static ArchiveLayout toAvro(SeriesLayout layout) {
    List<ArchiveRetention> archives = new ArrayList<>(layout.archives().size());
    for (ArchiveSpec a : layout.archives()) {
      archives.add(new ArchiveRetention(a.secondsPerPoint(), a.points()));
    }
    return new ArchiveLayout(archives, layout.method().carbonName(), layout.xFilesFactor());
  }

  /**
   * Reads a layout from a record.
   *
   * @throws IllegalArgumentException if the record holds an unknown method, a non-positive archive
   *     or an out-of-range xFilesFactor
   */
  public static SeriesLayout fromAvro(ArchiveLayout layout) {
    List<ArchiveSpec> archives = new ArrayList<>(layout.getArchives().size());
    for (ArchiveRetention a : layout.getArchives()) {
      archives.add(new ArchiveSpec(a.getSecondsPerPoint(), a.getPoints()));
    }
    return new SeriesLayout(
        archives,
        AggregationMethod.fromName(layout.getAggregationMethod()),
        layout.getXFilesFactor());
  }
}

package io.graphitekafka.standalone.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The input every fault scenario sends: 1,200 series in 10 groups, 100 ten-second slots each with
 * about one slot in nineteen left empty (so xFilesFactor gating matters), integer values (so
 * averages do not depend on summation order), and three aggregation methods. Timestamps are fixed
 * once per test JVM, from 30–40 to 13–23 minutes before the suite starts, well inside every
 * archive's retention for the whole run, so every scenario and the reference write the same slots.
 *
 * <p>Lines are ordered group by group and, inside a group, slot by slot: each series is in time
 * order, and new series keep appearing through the whole stream, as new hosts do.
 */
final class Workload {

  static final int GROUPS = 10;
  static final int SERIES_PER_GROUP = 120;
  static final int SERIES = GROUPS * SERIES_PER_GROUP;
  static final int SLOTS = 100;
  static final int STEP = 10;

  /** The first slot, aligned to ten minutes. */
  static final long START;

  static {
    long now = System.currentTimeMillis() / 1000;
    START = now - Math.floorMod(now, 600) - 1800;
  }

  static final String SCHEMAS =
      """
      [faults]
      pattern = ^faults\\.
      retentions = 10s:2h,1m:12h,10m:7d

      [default]
      pattern = .*
      retentions = 10s:2h,1m:12h,10m:7d
      """;

  static final String AGGREGATION =
      """
      [max]
      pattern = \\.max$
      xFilesFactor = 0.1
      aggregationMethod = max

      [count]
      pattern = \\.count$
      xFilesFactor = 0
      aggregationMethod = sum

      [default]
      pattern = .*
      xFilesFactor = 0.5
      aggregationMethod = average
      """;

  /**
   * Bytes of one file of the layout above: 52 bytes of header and (720 + 720 + 1008) slots of 12.
   */
  static final long FILE_BYTES = 16 + 3 * 12 + (720 + 720 + 1008) * 12L;

  private Workload() {}

  /** A point of the input. */
  record Point(String metric, long timestamp, long value) {
    String line() {
      return metric + ' ' + value + ' ' + timestamp + '\n';
    }
  }

  static String metric(int series) {
    String kind =
        switch (series % 3) {
          case 0 -> "avg";
          case 1 -> "max";
          default -> "count";
        };
    return String.format("faults.g%02d.s%04d.%s", series / SERIES_PER_GROUP, series, kind);
  }

  /** Every point, in sending order. */
  static List<Point> points() {
    List<Point> out = new ArrayList<>(SERIES * SLOTS);
    for (int g = 0; g < GROUPS; g++) {
      for (int i = 0; i < SLOTS; i++) {
        for (int s = g * SERIES_PER_GROUP; s < (g + 1) * SERIES_PER_GROUP; s++) {
          if ((i * 7 + s) % 19 == 0) {
            continue; // an empty slot
          }
          out.add(new Point(metric(s), START + (long) STEP * i, (s * 31L + i * 17L) % 1000));
        }
      }
    }
    return out;
  }

  static byte[] lines(List<Point> points) {
    StringBuilder b = new StringBuilder(points.size() * 40);
    for (Point p : points) {
      b.append(p.line());
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Writes storage-schemas.conf and storage-aggregation.conf into {@code dir}. */
  static Path writeConf(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("storage-schemas.conf"), SCHEMAS);
    Files.writeString(dir.resolve("storage-aggregation.conf"), AGGREGATION);
    return dir;
  }
}

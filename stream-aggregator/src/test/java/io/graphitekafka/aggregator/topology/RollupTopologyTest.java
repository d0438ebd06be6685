package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RollupTopologyTest {

  /** Three archives, 10s:1m,1m:5m,5m:30m; T0 is a multiple of 300. */
  private static final long T0 = 1699999800L;

  private static final SeriesLayout EXAMPLE_B =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5), new ArchiveSpec(300, 6)),
          AggregationMethod.AVERAGE,
          0.5f);
  private static final SeriesLayout THREE_ARCHIVES_SUM =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 1440), new ArchiveSpec(600, 1000)),
          AggregationMethod.SUM,
          0f);

  private RollupDriver driver;

  private RollupDriver start(SeriesLayout layout, long grace, long now) {
    return start(name -> layout, grace, now);
  }

  /**
   * A driver for an installation whose files are all written by the pipeline, so a new series'
   * first points are rolled up by the aggregator: most tests here are about that rollup.
   */
  private RollupDriver start(Function<String, SeriesLayout> resolver, long grace, long now) {
    driver =
        new RollupDriver(
            resolver, grace, now, null, Map.of(AggregatorConfig.NEW_SERIES_FILES_EMPTY, true));
    return driver;
  }

  /** A driver with the default settings: a new series' file may hold points already. */
  private RollupDriver startByDefault(SeriesLayout layout, long grace, long now) {
    driver = new RollupDriver(name -> layout, grace, now);
    return driver;
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  /**
   * "archive@offset-from-T0=value" of every slot emitted so far, and "raw@offset=value/now-offset"
   * of every raw point.
   */
  private List<String> emitted() {
    List<String> out = new ArrayList<>();
    for (ArchivePoint p : driver.archivePoints()) {
      out.add(
          p.getNow() == null
              ? p.getArchive() + "@" + (p.getTimestamp() - T0) + "=" + p.getValue()
              : "raw@" + (p.getTimestamp() - T0) + "=" + p.getValue() + "/" + (p.getNow() - T0));
    }
    return out;
  }

  @Test
  void propagatesOnlyOnceXFilesFactorIsReachedAsInExampleC() {
    start(EXAMPLE_B, 600, T0 + 55);
    driver.send("m", T0, 1);
    driver.send("m", T0 + 10, 2);
    driver.send("m", T0 + 20, 6);
    driver.emit();

    // 3 of 6 ten-second slots known = 0.5 >= 0.5: the minute gets 3.0; 1 of 5 minutes < 0.5: stop.
    assertThat(emitted()).containsExactly("0@0=1.0", "0@10=2.0", "0@20=6.0", "1@0=3.0");

    driver.clock.set(T0 + 75);
    driver.send("m", T0 + 60, 5);
    driver.send("m", T0 + 70, 7);
    driver.emit();

    // T0+60 overwrites the ring slot of T0, so only 2 of 6 slots of [T0+60, T0+120) are known.
    assertThat(emitted()).containsExactly("0@60=5.0", "0@70=7.0");
  }

  @Test
  void theStateIsInTheStoreAfterEachCommitWithOrWithoutRoomInTheRecordCache() {
    // The commit hook persists changed series in each commit; with no record cache it persists them
    // after each change instead, and the output is the same.
    List<List<String>> outputs = new ArrayList<>();
    for (long cacheBytes : List.of(10_485_760L, 0L)) {
      driver =
          new RollupDriver(
              name -> EXAMPLE_B,
              600,
              T0 + 55,
              null,
              Map.of(
                  AggregatorConfig.NEW_SERIES_FILES_EMPTY,
                  true,
                  "kafka.statestore.cache.max.bytes",
                  cacheBytes));
      driver.send("m", T0, 1);
      // The driver commits after each record.
      assertThat(driver.series("m").newest()).isEqualTo(T0);
      assertThat(driver.series("m").hasPending()).isTrue();
      driver.send("m", T0 + 10, 2);
      driver.send("n", T0 + 20, 6);
      assertThat(driver.series("m").newest()).isEqualTo(T0 + 10);
      assertThat(driver.series("n").newest()).isEqualTo(T0 + 20);
      driver.emit();
      assertThat(driver.series("m").hasPending()).isFalse();
      outputs.add(emitted());
      driver.close();
      driver = null;
    }
    assertThat(outputs.get(1)).isEqualTo(outputs.get(0)).isNotEmpty();
  }

  @Test
  void emitsNothingUntilTheEmitIntervalPassesThenEachSlotOnce() {
    start(THREE_ARCHIVES_SUM, 600, T0 + 600);
    for (int i = 0; i < 6; i++) {
      driver.send("m", T0 + 10 * i, 1);
      driver.send("m", T0 + 10 * i + 5, 2); // same ten-second slot: replaces 1
    }
    assertThat(driver.archiveTopic().isEmpty()).isTrue();

    driver.emit();

    // 12 points, 6 ten-second slots: one record per changed slot, not one per point per archive.
    assertThat(emitted())
        .containsExactly(
            "0@0=2.0",
            "0@10=2.0",
            "0@20=2.0",
            "0@30=2.0",
            "0@40=2.0",
            "0@50=2.0",
            "1@0=12.0",
            "2@0=12.0");
    driver.emit();
    assertThat(driver.archiveTopic().isEmpty()).isTrue();
    assertThat(driver.counter(RollupMetrics.RECEIVED)).isEqualTo(12);
    assertThat(driver.counter(RollupMetrics.SENT)).isEqualTo(8);
  }

  @Test
  void everyArchivePointCarriesTheLayoutAndIsKeyedBySeries() {
    start(EXAMPLE_B, 600, T0 + 55);
    driver.send("servers.web01.cpu", T0 + 5, 1.5);
    driver.emit();

    var record = driver.archiveTopic().readRecord();
    assertThat(record.key()).isEqualTo("servers.web01.cpu");
    assertThat(record.value().getTimestamp()).isEqualTo(T0);
    assertThat(record.value().getLayout().getAggregationMethod()).isEqualTo("average");
    assertThat(record.value().getLayout().getXFilesFactor()).isEqualTo(0.5f);
    assertThat(record.value().getLayout().getArchives()).hasSize(3);
    assertThat(record.value().getLayout().getArchives().get(2).getPoints()).isEqualTo(6);
  }

  @Test
  void lastWriteWinsInTheFinestArchiveAndTheRollupFollows() {
    start(
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5)), AggregationMethod.SUM, 0f),
        600,
        T0 + 55);
    driver.send("m", T0, 1);
    driver.send("m", T0 + 10, 2);
    driver.emit();
    assertThat(emitted()).containsExactly("0@0=1.0", "0@10=2.0", "1@0=3.0");

    driver.send("m", T0 + 3, 10); // same 10 s slot as T0: replaces 1
    driver.emit();
    assertThat(emitted()).containsExactly("0@0=10.0", "1@0=12.0");
  }

  @Test
  void xFilesFactorIsComparedAgainstTheStoredFloat32() {
    // 0.1f is 0.10000000149..., so 1 known slot out of 10 does not propagate; 2 do.
    start(
        new SeriesLayout(
            List.of(new ArchiveSpec(10, 60), new ArchiveSpec(100, 10)),
            AggregationMethod.MAX,
            0.1f),
        600,
        T0 + 200);
    driver.send("m", T0, 4);
    driver.emit();
    assertThat(emitted()).containsExactly("0@0=4.0");
    driver.send("m", T0 + 50, 9);
    driver.emit();
    assertThat(emitted()).containsExactly("0@50=9.0", "1@0=9.0");
  }

  @Test
  void aPointOlderThanTheFinestRetentionGoesRawIntoTheFirstArchiveCoveringIt() {
    start(EXAMPLE_B, 3600, T0 + 1000);
    driver.send("m", T0 + 130, 8); // age 870 s: archive 1 (300 s) does not cover it, archive 2 does
    driver.emit();

    assertThat(emitted()).containsExactly("2@0=8.0");
  }

  @Test
  void aPointExactlyAsOldAsTheMaxRetentionIsKeptAndOneSecondOlderIsDropped() {
    start(EXAMPLE_B, 3600, T0 + 1800);
    driver.send("m", T0, 3); // age 1800 == maxRetention: update_many keeps it
    driver.send("m", T0 - 1, 4); // age 1801
    driver.emit();

    assertThat(emitted()).containsExactly("2@0=3.0");
    assertThat(driver.counter(RollupMetrics.TOO_OLD)).isEqualTo(1);
  }

  @Test
  void aFuturePointGoesIntoTheFinestArchiveAsUpdateManyPutsIt() {
    start(EXAMPLE_B, 600, T0);
    driver.send("m", T0 + 30, 5);
    driver.emit();

    assertThat(emitted()).containsExactly("0@30=5.0");
  }

  @Test
  void dropsAndCountsPointsOlderThanTheMaxRetention() {
    start(EXAMPLE_B, 600, T0 + 5000);
    driver.send("m", T0, 1); // age 5000 > 1800
    driver.emit();

    assertThat(driver.archiveTopic().isEmpty()).isTrue();
    assertThat(driver.counter(RollupMetrics.TOO_OLD)).isEqualTo(1);
    assertThat(driver.series("m")).isNull();
  }

  @Test
  void aLatePointWithinGraceReEmitsEverySlotItChangesInEveryArchive() {
    start(THREE_ARCHIVES_SUM, 900, T0 + 1200);
    for (int i = 0; i < 60; i++) {
      driver.send("m", T0 + 10 * i, 1); // ten minutes of points, every slot once
    }
    driver.emit();
    driver.archivePoints();

    driver.send("m", T0 + 125, 7); // 475 s behind the newest point: within the 900 s grace
    driver.emit();

    // The 10 s slot, its minute (5 x 1 + 7) and its ten minutes (59 x 1 + 7).
    assertThat(emitted()).containsExactly("0@120=7.0", "1@120=12.0", "2@0=66.0");
    assertThat(driver.counter(RollupMetrics.LATE)).isEqualTo(1);
  }

  @Test
  void aLatePointBeyondGraceGoesRawAfterThePendingSlotsAndStateStaysBounded() {
    start(THREE_ARCHIVES_SUM, 120, T0 + 3600);
    for (int i = 0; i < 300; i++) {
      driver.send("m", T0 + 10 * i, 1);
    }
    driver.emit();
    driver.archivePoints();

    driver.send("m", T0 + 2990, 2); // rewrites the newest slot: pending until the next emission
    // 200 s behind the newest point: its minute (2760) is older than the minute holding the horizon
    // (2990 - 120 = 2870, minute 2820), whose 10 s slots the aggregator no longer keeps.
    driver.send("m", T0 + 2990 - 200, 5);

    // The pending slots first, then the late point for the sink to apply against the file.
    assertThat(emitted())
        .containsExactly("0@2990=2.0", "1@2940=7.0", "2@2400=61.0", "raw@2790=5.0/3600");
    assertThat(driver.counter(RollupMetrics.RAW_SENT)).isEqualTo(1);
    assertThat(driver.counter(RollupMetrics.LATE)).isEqualTo(1);
    SeriesState state = driver.series("m");
    // Archive 0 keeps the 10 s slots from the minute holding the horizon, 2820..2990; the late
    // point's
    // slot is before them, where nothing reads it.
    assertThat(state.table(0).size()).isEqualTo(18);
    // Archive 1 keeps the minutes of the ten minutes holding the horizon but 2760, whose value the
    // file decides now; it knows the minutes from 2820 on.
    assertThat(state.table(1).size()).isEqualTo(9);
    assertThat(state.knownFrom(1)).isEqualTo(T0 + 2820);
    assertThat(state.table(2).size()).isZero();

    // A point within the grace whose ten minutes read minute 2760 goes raw too; one in the next ten
    // minutes is rolled up here.
    driver.send("m", T0 + 2950, 4);
    driver.send("m", T0 + 3000, 1);
    driver.emit();
    assertThat(emitted())
        .containsExactly("raw@2950=4.0/3600", "0@3000=1.0", "1@3000=1.0", "2@3000=1.0");
  }

  @Test
  void byDefaultANewSeriesGoesRawUntilTheCoarsestIntervalOfItsFirstSightEnds() {
    startByDefault(THREE_ARCHIVES_SUM, 600, T0 + 595);
    // Seen first at 595: the file may hold any point up to then, so the ten minutes holding 595 go
    // raw.
    driver.send("m", T0 + 580, 1);
    driver.send("m", T0 + 590, 1);
    driver.clock.set(T0 + 615);
    driver.send("m", T0 + 600, 2); // the next ten minutes: the file holds nothing there
    driver.send("m", T0 + 610, 3);
    driver.send("m", T0 + 30, 4); // history: raw, after the slots written before it
    driver.emit();

    assertThat(emitted())
        .containsExactly(
            "raw@580=1.0/595",
            "raw@590=1.0/595",
            "0@600=2.0",
            "0@610=3.0",
            "1@600=5.0",
            "2@600=5.0",
            "raw@30=4.0/615");
    assertThat(driver.counter(RollupMetrics.RAW_SENT)).isEqualTo(3);
  }

  @Test
  void eachSeriesResolvesItsLayoutOnceAndKeepsItWhenTheRulesChange() {
    AtomicReference<SeriesLayout> rules = new AtomicReference<>(EXAMPLE_B);
    List<String> resolved = new ArrayList<>();
    start(
        name -> {
          resolved.add(name);
          return rules.get();
        },
        600,
        T0 + 55);
    driver.send("old", T0, 1);
    driver.send("old", T0 + 10, 1);
    rules.set(THREE_ARCHIVES_SUM);
    driver.send("old", T0 + 20, 1);
    driver.send("new", T0 + 20, 1);
    driver.emit();

    assertThat(resolved).containsExactly("old", "new");
    assertThat(driver.series("old").layout()).isEqualTo(EXAMPLE_B);
    assertThat(driver.series("new").layout()).isEqualTo(THREE_ARCHIVES_SUM);
    for (ArchivePoint p : driver.archivePoints()) {
      String method = p.getMetric().toString().equals("old") ? "average" : "sum";
      assertThat(p.getLayout().getAggregationMethod()).as(p.toString()).isEqualTo(method);
    }
  }

  @Test
  void badInputIsRejectedWithAReasonAndCountedAndProcessingContinues() {
    start(EXAMPLE_B, 600, T0 + 55);
    AvroSerde<MetricPoint> serde = AvroSerde.singleObject(MetricPoint.class);
    byte[] good = serde.encode(new MetricPoint("m", T0, 1.0));
    byte[] unknownFingerprint = good.clone();
    unknownFingerprint[2] ^= 0x5A;

    driver.sendRaw("m", "m 1 2".getBytes(StandardCharsets.UTF_8));
    driver.sendRaw("m", unknownFingerprint);
    driver.sendRaw("m", Arrays.copyOf(good, good.length - 9)); // truncated body
    driver.sendRaw("m", null);
    driver.send("", T0, 1);
    driver.send("m", T0, Double.NaN);
    driver.send("m", 1L << 32, 1);
    driver.send("m", -10, 1);
    driver.send("m", T0, 1);
    driver.emit();

    List<String> reasons = new ArrayList<>();
    for (Reject r : driver.rejects()) {
      reasons.add(r.getReason().toString());
      assertThat(r.getProtocol().toString()).isEqualTo("stream-aggregator");
    }
    assertThat(reasons)
        .containsExactly(
            "undecodable",
            "unknown_schema",
            "undecodable",
            "undecodable",
            "empty_name",
            "nan_value",
            "timestamp_out_of_range",
            "timestamp_out_of_range");
    assertThat(emitted()).containsExactly("0@0=1.0");
    assertThat(driver.counter(RollupMetrics.REJECTED)).isEqualTo(8);
    assertThat(driver.counter("rejects.timestamp_out_of_range")).isEqualTo(2);
    assertThat(driver.counter(RollupMetrics.RECEIVED)).isEqualTo(1);
  }

  @Test
  void theRejectKeepsTheRawBytes() {
    start(EXAMPLE_B, 600, T0 + 55);
    driver.sendRaw("m", "m 1 2".getBytes(StandardCharsets.UTF_8));

    Reject reject = driver.rejects().get(0);
    assertThat(StandardCharsets.UTF_8.decode(reject.getRaw()).toString()).isEqualTo("m 1 2");
    assertThat(reject.getDetail().toString()).contains("single-object");
  }

  @Test
  void reportsStateSizeAsGauges() {
    start(EXAMPLE_B, 600, T0 + 55);
    driver.send("a", T0, 1);
    driver.send("b", T0, 1);
    driver.emit();

    assertThat(driver.metrics.gauges().get(RollupMetrics.STATE_SERIES)).isEqualTo(2.0);
    assertThat(driver.metrics.gauges().get(RollupMetrics.STATE_BYTES)).isGreaterThan(40.0);
    assertThat(driver.counter(RollupMetrics.SERIES_CREATED)).isEqualTo(2);
  }

  @Test
  void serializedStateRoundTripsWithPendingSlots() {
    SeriesState state = SeriesState.first(THREE_ARCHIVES_SUM, T0, true);
    double[] scratch = new double[64];
    state.apply(T0, 1, T0 + 100, 600, scratch);
    state.apply(T0 + 10, 2.5, T0 + 100, 600, scratch);
    byte[] bytes = state.toBytes();

    SeriesState copy = SeriesState.fromBytes(bytes);
    assertThat(SeriesState.hasPending(bytes)).isTrue();
    assertThat(copy.layout()).isEqualTo(THREE_ARCHIVES_SUM);
    assertThat(copy.toBytes()).isEqualTo(bytes);
    assertThat(copy.table(1).valueAt(0)).isEqualTo(3.5);
    for (int a = 0; a < 3; a++) {
      copy.table(a).markClean();
    }
    assertThat(SeriesState.hasPending(copy.toBytes())).isFalse();
    assertThat(ByteBuffer.wrap(bytes).get(0)).isEqualTo(SeriesState.FORMAT_VERSION);
  }
}

package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.carbonlink.RecentPoints;
import io.graphitekafka.aggregator.config.AggregatorConfig;
import io.graphitekafka.graphite.rules.AggregateRules;
import io.graphitekafka.graphite.rules.RewriteRules;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.topic.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** carbon-aggregator's rules in front of the rollup, driven through the whole topology. */
class AggregateRulesTopologyTest {

  /** A multiple of 60 and 300. */
  private static final long T0 = 1699999800L;

  private static final SeriesLayout TEN_SECONDS =
      new SeriesLayout(List.of(new ArchiveSpec(10, 360)), AggregationMethod.AVERAGE, 0f);

  private final AtomicReference<CarbonRules> rules = new AtomicReference<>(CarbonRules.NONE);
  private RollupDriver driver;

  private void start(Map<String, Object> settings, String... ruleLines) {
    rules.set(
        new CarbonRules(
            AggregateRules.parse("aggregation-rules.conf", List.of(ruleLines)),
            RewriteRules.none()));
    Map<String, Object> all = new HashMap<>(settings);
    all.put(AggregatorConfig.NEW_SERIES_FILES_EMPTY, true);
    driver = new RollupDriver(name -> TEN_SECONDS, 600, T0 + 600, null, all, rules::get);
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  /** "series@offset=value" of each finest-archive slot sent so far. */
  private List<String> slots() {
    List<String> out = new ArrayList<>();
    for (ArchivePoint p : driver.archivePoints()) {
      if (p.getNow() == null && p.getArchive() == 0) {
        out.add(p.getMetric() + "@" + (p.getTimestamp() - T0) + "=" + p.getValue());
      }
    }
    return out;
  }

  @Test
  void anAggregateIsStoredAsItsOwnSeriesBesideTheForwardedInputs() {
    start(Map.of(), "prod.<app>.all.requests (10) = sum prod.<app>.*.requests");
    driver.send("prod.web.h1.requests", T0 + 1, 3);
    driver.send("prod.web.h2.requests", T0 + 4, 4);
    driver.send("prod.db.h1.requests", T0 + 2, 10);
    driver.emit();
    driver.emit();
    assertThat(slots())
        .containsExactlyInAnyOrder(
            "prod.web.h1.requests@0=3.0",
            "prod.web.h2.requests@0=4.0",
            "prod.db.h1.requests@0=10.0",
            "prod.web.all.requests@0=7.0",
            "prod.db.all.requests@0=10.0");
    assertThat(driver.counter(AggregateMetrics.SENT)).isEqualTo(2);
    assertThat(driver.counter(AggregateMetrics.INPUTS)).isEqualTo(3);
  }

  /**
   * Starts the rollup with the rules set, feeding {@code recent}, the carbonlink feed on or off.
   */
  private void startWithWindow(RecentPoints recent, boolean feedOn) {
    driver =
        new RollupDriver(
            name -> TEN_SECONDS,
            600,
            T0 + 600,
            null,
            Map.of(AggregatorConfig.NEW_SERIES_FILES_EMPTY, true),
            rules::get,
            recent,
            partition -> feedOn);
  }

  @Test
  void withTheCarbonlinkFeedOnTheRollupAddsOnlyThePointsItMakes() {
    rules.set(
        new CarbonRules(
            AggregateRules.parse(
                "aggregation-rules.conf",
                List.of("prod.<app>.all.requests (10) = sum prod.<app>.*.requests")),
            RewriteRules.none()));
    RecentPoints recent = new RecentPoints(Duration.ofSeconds(60), System::nanoTime);
    startWithWindow(recent, true);
    driver.send("prod.web.h1.requests", T0 + 1, 3);
    driver.send("prod.web.h2.requests", T0 + 4, 4);
    driver.emit();
    driver.emit();
    assertThat(recent.get("prod.web.h1.requests")).as("the feed's to add").isEmpty();
    assertThat(recent.get("prod.web.all.requests"))
        .as("the aggregate, which only the rollup sees")
        .containsExactly(new RecentPoints.Point(T0, 7.0));
  }

  @Test
  void withoutTheCarbonlinkFeedTheRollupAddsEveryPoint() {
    RecentPoints recent = new RecentPoints(Duration.ofSeconds(60), System::nanoTime);
    startWithWindow(recent, false);
    driver.send("prod.web.h1.requests", T0 + 1, 3);
    assertThat(recent.get("prod.web.h1.requests"))
        .containsExactly(new RecentPoints.Point(T0 + 1, 3.0));
  }

  @Test
  void aLatePointResendsTheAggregateOfEveryPointOfItsInterval() {
    start(Map.of(), "all.avg (60) = avg h*.load");
    driver.send("h1.load", T0 + 5, 1);
    driver.send("h2.load", T0 + 70, 100);
    driver.emit();
    driver.emit();
    assertThat(slots()).contains("all.avg@0=1.0", "all.avg@60=100.0");
    // the second part of the first interval, after carbon would have dropped it from its buffer
    driver.send("h2.load", T0 + 30, 5);
    driver.send("h3.load", T0 + 59, 9);
    driver.emit();
    driver.emit();
    assertThat(slots()).contains("all.avg@0=5.0").doesNotContain("all.avg@60=100.0");
  }

  @Test
  void aPointForAnIntervalAlreadyDroppedIsRejectedWithTheInputSeries() {
    start(Map.of(AggregatorConfig.LATENESS_INTERVALS, 2), "total (60) = sum *.x");
    driver.send("a.x", T0 + 300, 1);
    driver.send("b.x", T0 + 120, 2);
    driver.emit();
    // more than 2 intervals behind the newest, but still getting points: kept
    driver.send("b.x", T0 + 130, 3);
    driver.emit();
    // then idle for 2 intervals of wall-clock time: dropped
    driver.advance(Duration.ofSeconds(120));
    driver.send("c.x", T0 + 179, 4);
    driver.emit();
    driver.emit();
    List<String> slots = slots();
    assertThat(slots).contains("total@300=1.0", "total@120=2.0", "total@120=5.0");
    List<Reject> rejects = driver.rejects();
    assertThat(rejects).hasSize(1);
    assertThat(rejects.get(0).getReason()).isEqualTo(AggregateProcessor.TOO_LATE);
    assertThat(rejects.get(0).getDetail()).contains("from c.x");
    MetricPoint original =
        Topics.points(Topics.DEFAULT_POINTS)
            .valueSerde()
            .deserializer()
            .deserialize(Topics.DEFAULT_POINTS, rejects.get(0).getRaw().array());
    assertThat(original).isEqualTo(new MetricPoint("c.x", T0 + 179, 4.0));
    // the raw point itself is stored: only the aggregate refuses it
    assertThat(slots).contains("c.x@170=4.0");
    assertThat(driver.counter("rejects." + AggregateProcessor.TOO_LATE)).isEqualTo(1);
  }

  @Test
  void anIntervalNeverSeenIsNotLateHoweverFarBehind() {
    start(Map.of(AggregatorConfig.LATENESS_INTERVALS, 1), "total (60) = sum *.x");
    driver.send("a.x", T0 + 600, 1);
    driver.emit();
    driver.advance(Duration.ofSeconds(300));
    driver.send("b.x", T0 + 60, 2);
    driver.emit();
    driver.emit();
    assertThat(slots()).contains("total@600=1.0", "total@60=2.0");
    assertThat(driver.rejects()).isEmpty();
  }

  @Test
  void withoutForwardAllOnlyAggregatesAreStoredAsWithCarbon() {
    start(Map.of(AggregatorConfig.FORWARD_ALL, false), "sum.x (10) = sum *.x");
    driver.send("a.x", T0, 1);
    driver.send("a.y", T0, 2);
    driver.emit();
    driver.emit();
    assertThat(slots()).containsExactly("sum.x@0=1.0");
    assertThat(driver.counter(AggregateMetrics.NOT_FORWARDED)).isEqualTo(2);
  }

  @Test
  void aRuleOntoItsOwnNameReplacesTheSeriesWithItsAggregate() {
    start(Map.of(), "<n>.count (60) = count <n>.count");
    driver.send("hits.count", T0 + 1, 7);
    driver.send("hits.count", T0 + 2, 7);
    driver.emit();
    driver.emit();
    assertThat(slots()).containsExactly("hits.count@0=2.0");
  }

  @Test
  void anInvalidOutputNameIsRejectedAndThePointsOtherOutputsGoOn() {
    start(Map.of(), "<a>..bad (10) = sum <a>.x", "<a>.good (10) = sum <a>.x");
    driver.send("p.x", T0, 4);
    driver.emit();
    driver.emit();
    assertThat(slots()).containsExactlyInAnyOrder("p.x@0=4.0", "p.good@0=4.0");
    List<Reject> rejects = driver.rejects();
    assertThat(rejects)
        .extracting(Reject::getReason)
        .containsExactly(RuleRouter.INVALID_AGGREGATE_NAME);
    assertThat(driver.counter("rejects." + RuleRouter.INVALID_AGGREGATE_NAME)).isEqualTo(1);
  }

  @Test
  void rewriteRulesRenameBeforeTheRulesAndAfterThemForTheForwardedSeries() {
    rules.set(
        new CarbonRules(
            AggregateRules.parse("a", List.of("<h>.cpu.total (10) = sum <h>.cpu.*")),
            RewriteRules.parse(
                "r", List.of("[pre]", "^collectd\\.= ", "[post]", "\\.cpu\\. = .processor."))));
    startWithWindow(RecentPoints.NONE, false);
    driver.send("collectd.h1.cpu.user", T0, 2);
    driver.send("collectd.h1.cpu.system", T0, 3);
    driver.emit();
    driver.emit();
    assertThat(slots())
        .containsExactlyInAnyOrder(
            "h1.processor.user@0=2.0", "h1.processor.system@0=3.0", "h1.cpu.total@0=5.0");
    assertThat(driver.counter(AggregateMetrics.RENAMED)).isEqualTo(2);
  }

  @Test
  void rulesChangedWhileRunningApplyToTheNextPoint() {
    start(Map.of());
    driver.send("a.x", T0, 1);
    rules.set(
        new CarbonRules(
            AggregateRules.parse("a", List.of("max.x (10) = max *.x")), RewriteRules.none()));
    driver.send("b.x", T0, 5);
    driver.emit();
    driver.emit();
    assertThat(slots()).containsExactlyInAnyOrder("a.x@0=1.0", "b.x@0=5.0", "max.x@0=5.0");
  }
}

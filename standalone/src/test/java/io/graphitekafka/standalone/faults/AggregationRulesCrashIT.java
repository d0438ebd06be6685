package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.standalone.CarbonDaemons;
import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * carbon-aggregator's rules through a crash: the {@link Workload} through an aggregator with
 * aggregation rules (a sum per group and kind over one minute, a p90 over every series of a kind, a
 * max every ten seconds) and a sink, separate processes, once uninterrupted and once with the
 * aggregator killed with SIGKILL in the middle of the stream, while its buffers hold intervals not
 * yet complete and a transaction holds output, then restarted on the same state directory. The two
 * runs must write the same files: the series' files byte for byte, the aggregates' with the same
 * slots in every archive, so no input is counted twice or lost. (An aggregate's ring may start at
 * another slot: which of its intervals is written first depends on how far each input partition had
 * got when its first aggregate was sent.)
 */
@ExtendWith(FaultsFixture.Extension.class)
class AggregationRulesCrashIT {

  static final String RULES =
      """
      faults.<g>.total.<kind> (60) = sum faults.<g>.*.<kind>
      faults.all.<kind>.p90 (60) = p90 faults.*.*.<kind>
      faults.all.max (10) = max faults.*.*.max
      """;

  @TempDir Path dir;

  @Test
  void aggregatorKilledMidIntervalAndRestartedWritesTheSameAggregates(FaultsFixture f)
      throws Exception {
    Path conf = Workload.writeConf(dir.resolve("conf"));
    Files.writeString(conf.resolve("aggregation-rules.conf"), RULES);
    List<Rec> points = f.referencePoints();

    Map<String, byte[]> uninterrupted;
    try (Services services = new Services(Files.createDirectories(dir.resolve("uninterrupted")))) {
      Pipeline p = new Pipeline(f, "rules-ref", dir.resolve("uninterrupted"), services);
      Services.together(
          List.of(() -> aggregator(p, services, conf, "aggregator"), () -> p.sink("sink")));
      f.kafka().copyPaced(points, p.points, 40_000).join(TimeUnit.MINUTES.toMillis(3));
      p.awaitAggregated(points.size());
      p.awaitSunk(p.sinkGroup, p.archives);
      uninterrupted = WhisperTrees.read(p.dataDir);
    }
    assertThat(uninterrupted)
        .as("the raw series and the 34 aggregates")
        .hasSize(Workload.SERIES + 34)
        .containsKeys("faults/g03/total/count.wsp", "faults/all/avg/p90.wsp", "faults/all/max.wsp");

    try (Services services = new Services(Files.createDirectories(dir.resolve("killed")))) {
      Pipeline p = new Pipeline(f, "rules-kill", dir.resolve("killed"), services);
      Service first =
          Services.together(
                  List.of(
                      () -> aggregator(p, services, conf, "aggregator-1"), () -> p.sink("sink")))
              .get(0);
      Thread copy = f.kafka().copyPaced(points, p.points, 20_000);
      Await.until(
          "the aggregator committed a quarter of the points, in a transaction",
          Pipeline.WAIT,
          Await.quietly(
              () ->
                  KafkaProbe.sum(f.kafka().committed(p.appId, p.points)) >= points.size() / 4
                      && KafkaProbe.sum(f.kafka().endOffsets(p.archives, false))
                          > KafkaProbe.sum(f.kafka().endOffsets(p.archives, true))),
          p::state);
      first.kill();
      long atKill = KafkaProbe.sum(f.kafka().committed(p.appId, p.points));
      assertThat(atKill).as("killed in the middle of the stream").isLessThan(points.size());

      aggregator(p, services, conf, "aggregator-2");
      copy.join(TimeUnit.MINUTES.toMillis(3));
      p.awaitAggregated(points.size());
      p.awaitSunk(p.sinkGroup, p.archives);
      assertSameSeriesAndAggregates(uninterrupted, WhisperTrees.read(p.dataDir));
      System.out.printf(
          "faults rules: aggregator killed with %d of %d points committed; %d files, the "
              + "aggregates' included, equal the uninterrupted run's%n",
          atKill, points.size(), uninterrupted.size());
    }
  }

  private static void assertSameSeriesAndAggregates(
      Map<String, byte[]> uninterrupted, Map<String, byte[]> here) {
    assertThat(here.keySet()).as("files").isEqualTo(uninterrupted.keySet());
    Map<String, byte[]> seriesThere = new TreeMap<>();
    Map<String, byte[]> seriesHere = new TreeMap<>();
    for (String file : uninterrupted.keySet()) {
      if (isAggregate(file)) {
        assertThat(CarbonDaemons.slots(here.get(file)))
            .as("slots of the aggregate %s", file)
            .isEqualTo(CarbonDaemons.slots(uninterrupted.get(file)));
      } else {
        seriesThere.put(file, uninterrupted.get(file));
        seriesHere.put(file, here.get(file));
      }
    }
    assertThat(WhisperTrees.differences(seriesThere, seriesHere, 20))
        .as("differences of the series' files from the uninterrupted run")
        .isEmpty();
  }

  /** Each interval's sum of the input points of the series {@code prefix*suffix}, as slot bits. */
  private static Map<Long, Long> expectedSums(
      List<Workload.Point> input, String prefix, String suffix, int frequency) {
    Map<Long, Double> sums = new TreeMap<>();
    for (Workload.Point p : input) {
      if (p.metric().startsWith(prefix) && p.metric().endsWith(suffix)) {
        sums.merge(
            p.timestamp() - Math.floorMod(p.timestamp(), frequency),
            (double) p.value(),
            Double::sum);
      }
    }
    Map<Long, Long> bits = new TreeMap<>();
    sums.forEach((interval, sum) -> bits.put(interval, Double.doubleToLongBits(sum)));
    return bits;
  }

  private static boolean isAggregate(String file) {
    return file.startsWith("faults/all/") || file.matches("faults/g\\d+/total/.*");
  }

  /** An aggregator of {@code p} with the rules, on the pipeline's one state directory. */
  private static Service aggregator(Pipeline p, Services services, Path conf, String instance)
      throws Exception {
    Map<String, String> settings = p.aggregatorSettings("state");
    settings.put("conf.dir", conf.toString());
    settings.put("topic.rules", "rules-" + p.name);
    // two stream threads, so that the serializers every task shares are used concurrently
    settings.put("kafka.num.stream.threads", "2");
    return services.start(p.name + "-" + instance, "aggregator", settings);
  }
}

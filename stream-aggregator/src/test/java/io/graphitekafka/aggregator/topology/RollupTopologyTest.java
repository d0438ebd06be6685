package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.AggregatorConfig;
import io.graphitekafka.aggregator.AggregatorMetrics;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.storage.AggregationMethod;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RollupTopologyTest {

  /** WHISPER-CARBON-SPEC.md Example B: 10s:1m,1m:5m,5m:30m; T0 is a multiple of 300. */
  private static final long T0 = 1699999800L;
  private static final SeriesLayout EXAMPLE_B = new SeriesLayout(
      List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5), new ArchiveSpec(300, 6)),
      AggregationMethod.AVERAGE, 0.5f);

  private final AtomicLong now = new AtomicLong(T0 + 55);
  private final AggregatorMetrics metrics = new AggregatorMetrics();
  private TopologyTestDriver driver;
  private TestInputTopic<String, MetricPoint> points;
  private TestInputTopic<String, byte[]> rawPoints;
  private TestOutputTopic<String, ArchivePoint> archives;
  private TestOutputTopic<String, Reject> rejects;

  private void start(SeriesLayout layout) {
    AggregatorConfig config = new AggregatorConfig(Map.of());
    Clock clock = new Clock() {
      @Override
      public ZoneOffset getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochSecond(now.get());
      }
    };
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "rollup-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(RollupTopology.build(config, name -> layout, clock, metrics), props);
    Topic<String, MetricPoint> in = Topics.points(Topics.DEFAULT_POINTS);
    points = driver.createInputTopic(in.name(), in.keySerde().serializer(), in.valueSerde().serializer());
    rawPoints = driver.createInputTopic(in.name(), Serdes.String().serializer(),
        Serdes.ByteArray().serializer());
    Topic<String, ArchivePoint> out = Topics.archives(Topics.DEFAULT_ARCHIVES);
    archives = driver.createOutputTopic(out.name(), out.keySerde().deserializer(),
        out.valueSerde().deserializer());
    Topic<String, Reject> rej = Topics.rejects(Topics.DEFAULT_REJECTS);
    rejects = driver.createOutputTopic(rej.name(), rej.keySerde().deserializer(),
        rej.valueSerde().deserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void send(String metric, long ts, double value) {
    points.pipeInput(metric, new MetricPoint(metric, ts, value));
  }

  /** (archive, timestamp, value) triples of everything emitted so far. */
  private List<String> emitted() {
    List<String> out = new ArrayList<>();
    for (ArchivePoint p : archives.readValuesToList()) {
      out.add(p.getArchive() + "@" + (p.getTimestamp() - T0) + "=" + p.getValue());
    }
    return out;
  }

  @Test
  void propagatesOnlyOnceXFilesFactorIsReachedAsInExampleC() {
    start(EXAMPLE_B);
    send("m", T0, 1);
    send("m", T0 + 10, 2);
    send("m", T0 + 20, 6);

    // 3 of 6 ten-second slots known = 0.5 >= 0.5: the minute gets 3.0; 1 of 5 minutes < 0.5: stop.
    assertThat(emitted()).containsExactly("0@0=1.0", "0@10=2.0", "0@20=6.0", "1@0=3.0");

    now.set(T0 + 75);
    send("m", T0 + 60, 5);
    send("m", T0 + 70, 7);

    // T0+60 overwrites the ring slot of T0, so only 2 of 6 slots of [T0+60, T0+120) are known.
    assertThat(emitted()).containsExactly("0@60=5.0", "0@70=7.0");
  }

  @Test
  void everyArchivePointCarriesTheLayoutAndIsKeyedBySeries() {
    start(EXAMPLE_B);
    send("servers.web01.cpu", T0 + 5, 1.5);

    var record = archives.readRecord();
    assertThat(record.key()).isEqualTo("servers.web01.cpu");
    assertThat(record.value().getTimestamp()).isEqualTo(T0);
    assertThat(record.value().getLayout().getAggregationMethod()).isEqualTo("average");
    assertThat(record.value().getLayout().getXFilesFactor()).isEqualTo(0.5f);
    assertThat(record.value().getLayout().getArchives()).hasSize(3);
  }

  @Test
  void lastWriteWinsInTheFinestArchiveAndTheRollupFollows() {
    start(new SeriesLayout(List.of(new ArchiveSpec(10, 6), new ArchiveSpec(60, 5)),
        AggregationMethod.SUM, 0f));
    send("m", T0, 1);
    send("m", T0 + 10, 2);
    send("m", T0 + 3, 10); // same 10 s slot as T0: replaces 1

    assertThat(emitted()).containsExactly(
        "0@0=1.0", "1@0=1.0", "0@10=2.0", "1@0=3.0", "0@0=10.0", "1@0=12.0");
  }

  @Test
  void xFilesFactorIsComparedAgainstTheStoredFloat32() {
    // 0.1f is 0.10000000149..., so 1 known slot out of 10 does not propagate; 2 do.
    start(new SeriesLayout(List.of(new ArchiveSpec(10, 60), new ArchiveSpec(100, 10)),
        AggregationMethod.MAX, 0.1f));
    now.set(T0 + 200);
    send("m", T0, 4);
    assertThat(emitted()).containsExactly("0@0=4.0");
    send("m", T0 + 50, 9);
    assertThat(emitted()).containsExactly("0@50=9.0", "1@0=9.0");
  }

  @Test
  void aPointOlderThanTheFinestRetentionGoesRawIntoTheFirstArchiveCoveringIt() {
    start(EXAMPLE_B);
    now.set(T0 + 1000);
    send("m", T0 + 130, 8); // age 870 s: archive 1 (300 s) does not cover it, archive 2 (1800 s) does

    assertThat(emitted()).containsExactly("2@0=8.0");
  }

  @Test
  void dropsAndCountsPointsOlderThanTheMaxRetention() {
    start(EXAMPLE_B);
    now.set(T0 + 5000);
    send("m", T0, 1); // age 5000 > 1800

    assertThat(archives.isEmpty()).isTrue();
    assertThat(metrics.droppedTooOld.sum()).isEqualTo(1);
  }

  @Test
  void sendsUndecodableRecordsToRejectsAndKeepsGoing() {
    start(EXAMPLE_B);
    rawPoints.pipeInput("m", "m 1 2".getBytes(StandardCharsets.UTF_8));
    send("m", T0, 1);

    Reject reject = rejects.readValue();
    assertThat(reject.getReason()).isEqualTo("undecodable_point");
    assertThat(reject.getProtocol()).isEqualTo("stream-aggregator");
    assertThat(StandardCharsets.UTF_8.decode(reject.getRaw()).toString()).isEqualTo("m 1 2");
    assertThat(emitted()).containsExactly("0@0=1.0");
    assertThat(metrics.rejected.sum()).isEqualTo(1);
  }
}

package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.standalone.faults.Pipeline.Sender;
import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.standalone.faults.Workload.Point;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into the whole pipeline while it carries the {@link Workload} (1,200 series,
 * 113,684 points): the broker stopped and started, the gateway killed with SIGKILL, the aggregator
 * killed with SIGKILL. Every service is a separate {@code bin/graphite-kafka} process. After each
 * fault the Whisper files must equal, byte for byte, those of the uninterrupted reference run of
 * the same input.
 */
@ExtendWith(FaultsFixture.Extension.class)
class WholePipelineFaultsIT {

  private static final String PRODUCED = "graphite_kafka_relays_pointsProduced_total";

  @TempDir Path dir;

  @Test
  void brokerStoppedAndStartedDuringLoadLosesAndDuplicatesNothing(FaultsFixture f)
      throws Exception {
    List<Point> input = f.input();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "broker", dir, services);
      Service gateway =
          Services.together(
                  List.of(
                      () -> p.gateway("gateway"),
                      () -> p.aggregator("aggregator"),
                      () -> p.sink("sink")))
              .get(0);
      Sender sender = new Sender(p.carbonPort(gateway), input, 25_000);

      awaitProduced(gateway, input.size() / 4, services);
      f.broker().stop();
      // the outage: 5 s, while the client keeps sending; the counter is read 1 s and 5 s into it
      Thread.sleep(1_000);
      long producedWhileDown = (long) Prometheus.value(gateway.metrics(), PRODUCED);
      Thread.sleep(4_000);
      long producedAfterOutage = (long) Prometheus.value(gateway.metrics(), PRODUCED);
      f.broker().start();

      assertThat(sender.done.get(120, TimeUnit.SECONDS))
          .as("lines the client wrote")
          .isEqualTo(input.size());
      p.awaitAggregated(input.size()); // exactly: nothing lost, nothing produced twice
      p.awaitSunk(p.sinkGroup, p.archives);
      p.assertSameFilesAsReference();

      Map<String, Double> m = gateway.metrics();
      assertThat(producedAfterOutage)
          .as("nothing acknowledged while the broker was down")
          .isEqualTo(producedWhileDown);
      assertThat(Prometheus.value(m, "graphite_kafka_relays_produceErrors_total")).isZero();
      assertThat(Prometheus.value(m, PRODUCED)).isEqualTo(input.size());
      System.out.printf(
          "faults broker: stopped 5 s after %d of %d points were acknowledged%n",
          producedWhileDown, input.size());
    }
  }

  @Test
  void gatewayKilledLosesNothingItHadAcknowledged(FaultsFixture f) throws Exception {
    List<Point> input = f.input();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "gateway", dir, services);
      Service first = p.gateway("gateway-1");
      Sender sender = new Sender(p.carbonPort(first), input, 25_000);

      // "Acknowledged": counted in pointsProduced, which the gateway increments in the producer's
      // completion callback once Kafka has the record with acks=all. The last value read before the
      // kill is a lower bound on what Kafka had when the process died.
      long acknowledged = awaitProduced(first, input.size() / 3, services);
      first.kill();
      long written = sender.done.get(60, TimeUnit.SECONDS);

      List<Rec> stored = f.kafka().readAll(p.points, false);
      assertThat((long) stored.size())
          .as("points in Kafka after the kill, at least those acknowledged")
          .isGreaterThanOrEqualTo(acknowledged);
      Set<String> storedKeys = new HashSet<>();
      Map<String, Integer> storedPerSeries = new HashMap<>();
      Deserializer<MetricPoint> decode = Topics.points(p.points).valueSerde().deserializer();
      for (Rec r : stored) {
        MetricPoint point = decode.deserialize(p.points, r.value());
        String key = point.getMetric() + "@" + point.getTimestamp();
        assertThat(storedKeys.add(key)).as("stored once: " + key).isTrue();
        storedPerSeries.merge(point.getMetric().toString(), 1, Integer::sum);
      }
      // Per series the stored points are a prefix of what was sent: the gateway keeps a
      // connection's
      // order and its idempotent producer keeps a partition's, so a hole would be a lost point that
      // a later, stored point of the same series was acknowledged after.
      Map<String, Integer> seen = new HashMap<>();
      List<Point> rest = new ArrayList<>();
      for (Point pt : input) {
        int k = seen.merge(pt.metric(), 1, Integer::sum);
        boolean isStored = storedKeys.contains(pt.metric() + "@" + pt.timestamp());
        assertThat(isStored)
            .as("point %d of %s stored", k, pt.metric())
            .isEqualTo(k <= storedPerSeries.getOrDefault(pt.metric(), 0));
        if (!isStored) {
          rest.add(pt); // what a client with its own acknowledgements would send again
        }
      }
      System.out.printf(
          "faults gateway: killed with %d acknowledged, %d in Kafka, %d written by the"
              + " client, %d of %d sent again to a new gateway%n",
          acknowledged, stored.size(), written, rest.size(), input.size());

      Service second =
          Services.together(
                  List.of(
                      () -> p.gateway("gateway-2"),
                      () -> p.aggregator("aggregator"),
                      () -> p.sink("sink")))
              .get(0);
      try (Socket socket = new Socket("127.0.0.1", p.carbonPort(second))) {
        OutputStream out = socket.getOutputStream();
        out.write(Workload.lines(rest));
        out.flush();
      }
      p.awaitAggregated(input.size());
      p.awaitSunk(p.sinkGroup, p.archives);
      p.assertSameFilesAsReference();
    }
  }

  @Test
  void aggregatorKilledMidStreamAndRestartedWritesTheSameFiles(FaultsFixture f) throws Exception {
    List<Rec> points = f.referencePoints();
    try (Services services = new Services(dir)) {
      Pipeline p = new Pipeline(f, "aggregator", dir, services);
      Service first =
          Services.together(
                  List.of(
                      () ->
                          services.start(
                              "aggregator-1", "aggregator", p.aggregatorSettings("state")),
                      () -> p.sink("sink")))
              .get(0);
      // the reference gateway's records, produced again at a live pace
      Thread copy = f.kafka().copyPaced(points, p.points, 20_000);
      // killed once a quarter of the input is committed and while a transaction holds output
      // records (the log's end is past its last stable offset), so the kill aborts output as well
      // as input
      AtomicLong openOutput = new AtomicLong();
      Await.until(
          "the aggregator committed a quarter of the points, in a transaction",
          Pipeline.WAIT,
          Await.quietly(
              () -> {
                if (KafkaProbe.sum(f.kafka().committed(p.appId, p.points)) < points.size() / 4) {
                  return false;
                }
                openOutput.set(
                    KafkaProbe.sum(f.kafka().endOffsets(p.archives, false))
                        - KafkaProbe.sum(f.kafka().endOffsets(p.archives, true)));
                return openOutput.get() > 0;
              }),
          p::state);
      first.kill();
      long openAfterKill =
          KafkaProbe.sum(f.kafka().endOffsets(p.archives, false))
              - KafkaProbe.sum(f.kafka().endOffsets(p.archives, true));
      long atKill = KafkaProbe.sum(f.kafka().committed(p.appId, p.points));
      assertThat(atKill).as("killed in the middle of the stream").isLessThan(points.size());

      // restarted on the same state directory, as an operator restarts a crashed instance
      services.start("aggregator-2", "aggregator", p.aggregatorSettings("state"));
      copy.join(TimeUnit.MINUTES.toMillis(3));
      p.awaitAggregated(points.size());
      List<Rec> archives = p.awaitSunk(p.sinkGroup, p.archives);
      p.assertSameFilesAsReference();
      System.out.printf(
          "faults aggregator: killed with %d of %d points committed (%d records of an"
              + " open transaction in the log just before the kill, %d just after); %d archive points after"
              + " the restart, %d in the reference%n",
          atKill,
          points.size(),
          openOutput.get(),
          openAfterKill,
          archives.size(),
          f.referenceArchives().size());
    }
  }

  /**
   * Waits until the gateway has acknowledged at least {@code count} points; returns the last value
   * read.
   */
  private static long awaitProduced(Service gateway, long count, Services services)
      throws Exception {
    AtomicLong produced = new AtomicLong();
    Await.until(
        count + " points acknowledged",
        Duration.ofSeconds(120),
        Await.quietly(
            () -> {
              produced.set((long) Prometheus.value(gateway.metrics(), PRODUCED));
              return produced.get() >= count;
            }),
        services::log);
    return produced.get();
  }
}

package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.testing.Await;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One run of the pipeline under test, with its own topics, aggregator application id, sink group
 * and data directory, on the shared broker: settings for each service, a paced Carbon client, and
 * the waits that say when everything sent has reached the files.
 */
final class Pipeline {

  static final Duration WAIT = Duration.ofSeconds(180);

  final String name;
  final String points;
  final String archives;
  final String rejects;
  final String appId;
  final String sinkGroup;
  final Path dir;
  final Path dataDir;
  final FaultsFixture fixture;
  final KafkaProbe kafka;
  final Services services;

  Pipeline(FaultsFixture fixture, String name, Path dir, Services services) {
    this.fixture = fixture;
    this.kafka = fixture.kafka();
    this.name = name;
    this.points = "points-" + name;
    this.archives = "archives-" + name;
    this.rejects = "rejects-" + name;
    this.appId = "aggregator-" + name;
    this.sinkGroup = "sink-" + name;
    this.dir = dir;
    this.dataDir = dir.resolve("data");
    this.services = services;
    fixture.broker().createTopics(FaultsFixture.PARTITIONS, points, archives, rejects);
  }

  Map<String, String> gatewaySettings() {
    Map<String, String> m = new HashMap<>();
    m.put("bootstrap.servers", fixture.bootstrap());
    m.put("bind.address", "127.0.0.1");
    m.put("carbon.port", "0");
    m.put("pickle.port", "-1");
    m.put("lines.enabled", "false");
    m.put("topic.points", points);
    m.put("topic.rejects", rejects);
    return m;
  }

  Map<String, String> aggregatorSettings(String stateName) {
    Map<String, String> m = new HashMap<>();
    m.put("bootstrap.servers", fixture.bootstrap());
    m.put("application.id", appId);
    m.put("conf.dir", fixture.confDir().toString());
    m.put("state.dir", dir.resolve(stateName).toString());
    m.put("topic.points", points);
    m.put("topic.archives", archives);
    m.put("topic.rejects", rejects);
    m.put("rules.reload.interval.seconds", "0");
    // Every run writes fresh files: new series are rolled up in the aggregator, as an installation
    // whose files are all its own sets it. (With the default, a new series' first points go to the
    // sink one record each, interleaved across series, so the first write batch would touch every
    // file at once, and the full-disk scenario could not stall in the middle of the stream.)
    m.put("new.series.files.empty", "true");
    // No session timeout is shortened: an instance restarted on the same state directory is the
    // same static group member, and takes its partitions back at once.
    return m;
  }

  Map<String, String> sinkSettings() {
    Map<String, String> m = new HashMap<>();
    m.put("bootstrap.servers", fixture.bootstrap());
    m.put("data.dir", dataDir.toString());
    m.put("group.id", sinkGroup);
    m.put("topic.archives", archives);
    m.put("topic.rejects", rejects);
    m.put("topic.points", points);
    m.put("retry.backoff.max.ms", "1000");
    return m;
  }

  Service gateway(String instance) throws Exception {
    return services.start(name + "-" + instance, "gateway", gatewaySettings());
  }

  Service aggregator(String instance) throws Exception {
    return services.start(
        name + "-" + instance, "aggregator", aggregatorSettings("state-" + instance));
  }

  Service sink(String instance) throws Exception {
    return services.start(name + "-" + instance, "sink", sinkSettings());
  }

  /** The plaintext port a gateway printed in its ready line. */
  int carbonPort(Service gateway) {
    String ready = services.linesOf(gateway.name(), "gateway ready").get(0);
    return Integer.parseInt(ready.substring(ready.lastIndexOf(' ') + 1).trim());
  }

  /** A Carbon client sending bytes over one connection at about {@code linesPerSecond}. */
  static final class Sender {
    final AtomicLong linesWritten = new AtomicLong();
    final CompletableFuture<Long> done = new CompletableFuture<>();

    Sender(int port, List<Workload.Point> lines, int linesPerSecond) {
      Thread t =
          new Thread(
              () -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                  OutputStream out = socket.getOutputStream();
                  int chunk = Math.max(1, linesPerSecond / 20);
                  long started = System.nanoTime();
                  for (int i = 0; i < lines.size(); i += chunk) {
                    List<Workload.Point> part = lines.subList(i, Math.min(lines.size(), i + chunk));
                    out.write(Workload.lines(part));
                    out.flush();
                    linesWritten.addAndGet(part.size());
                    long due = started + (long) ((i + part.size()) * 1e9 / linesPerSecond);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                      Thread.sleep(wait / 1_000_000);
                    }
                  }
                  socket.shutdownOutput();
                  done.complete(linesWritten.get());
                } catch (IOException e) {
                  done.complete(
                      linesWritten.get()); // the gateway went away: a real client would reconnect
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  done.completeExceptionally(e);
                }
              },
              "carbon-client");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * Waits until {@code expectedPoints} points are in the points topic, the aggregator has committed
   * all of them, and its output has stopped changing for four seconds (every dirty slot emitted and
   * its transaction committed).
   */
  void awaitAggregated(long expectedPoints) throws Exception {
    Await.until(
        expectedPoints + " points in " + points,
        WAIT,
        Await.quietly(() -> KafkaProbe.sum(kafka.endOffsets(points, false)) >= expectedPoints),
        () -> state() + "\n" + services.log());
    assertThat(KafkaProbe.sum(kafka.endOffsets(points, false)))
        .as("points in " + points)
        .isEqualTo(expectedPoints);
    Map<Integer, Long> ends = kafka.endOffsets(points, false);
    Await.until(
        "the aggregator committed all of " + points,
        WAIT,
        Await.quietly(() -> kafka.committed(appId, points).equals(ends)),
        () -> state() + "\n" + services.log());
    Map<Integer, Long> last = kafka.endOffsets(archives, true);
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() - stableSince < Duration.ofSeconds(4).toNanos()) {
      Thread.sleep(250);
      Map<Integer, Long> now = kafka.endOffsets(archives, true);
      if (!now.equals(last)) {
        last = now;
        stableSince = System.nanoTime();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(archives + " never stopped growing\n" + services.log());
      }
    }
  }

  /** Offsets of this run's topics and groups, for failure messages. */
  String state() {
    try {
      return "points end "
          + kafka.endOffsets(points, false)
          + ", aggregator committed "
          + kafka.committed(appId, points)
          + ", archives end "
          + kafka.endOffsets(archives, false)
          + " (stable "
          + kafka.endOffsets(archives, true)
          + "), sink committed "
          + kafka.committed(sinkGroup, archives);
    } catch (Exception e) {
      return "offsets unavailable: " + e;
    }
  }

  /** Waits until {@code group} has committed, on {@code topic}, every record up to now. */
  List<Rec> awaitSunk(String group, String topic) throws Exception {
    List<Rec> all = kafka.readAll(topic, true);
    Map<Integer, Long> target = KafkaProbe.afterLastRecord(all);
    Await.until(
        group + " committed all of " + topic + " " + target,
        WAIT,
        Await.quietly(
            () -> {
              Map<Integer, Long> c = kafka.committed(group, topic);
              for (Map.Entry<Integer, Long> e : target.entrySet()) {
                if (c.getOrDefault(e.getKey(), 0L) < e.getValue()) {
                  return false;
                }
              }
              return true;
            }),
        () -> state() + "\n" + services.log());
    return all;
  }

  /** Asserts the data directory's files equal the reference run's byte for byte. */
  void assertSameFilesAsReference() throws IOException {
    assertSameFiles(fixture.referenceFiles(), dataDir);
  }

  static void assertSameFiles(Map<String, byte[]> reference, Path dataDir) throws IOException {
    Map<String, byte[]> here = WhisperTrees.read(dataDir);
    List<String> diff = WhisperTrees.differences(reference, here, 20);
    assertThat(diff)
        .as(
            "differences from the uninterrupted run (%d files there, %d here)",
            reference.size(), here.size())
        .isEmpty();
  }
}

package io.graphitekafka.standalone.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.standalone.faults.Services.Service;
import io.graphitekafka.testing.KafkaProbe;
import io.graphitekafka.testing.KafkaProbe.Rec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * What the fault suites share, made once per test JVM: a real broker (restartable, so not the
 * shared one of {@code EmbeddedKafkaExtension}), the retention files, the input, and the
 * uninterrupted reference run of that input through separate gateway, aggregator and sink
 * processes, whose files every scenario is compared with. Injected as a test parameter; closed by
 * JUnit at the end of the run.
 */
final class FaultsFixture implements AutoCloseable {

  /** Partitions of every topic of the fault suites. */
  static final int PARTITIONS = 4;

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(FaultsFixture.class);

  /** The JUnit side: injects the fixture, creating it on first use. */
  static final class Extension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
      return p.getParameter().getType() == FaultsFixture.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
      return c.getRoot()
          .getStore(NAMESPACE)
          .getOrComputeIfAbsent("fixture", k -> create(), FaultsFixture.class);
    }
  }

  private final EmbeddedKafkaBroker broker;
  private final KafkaProbe kafka;
  private final Path work;
  private final Path confDir;
  private final List<Workload.Point> input;
  private Map<String, byte[]> referenceFiles;
  private List<Rec> referencePoints;
  private List<Rec> referenceArchives;

  private FaultsFixture(EmbeddedKafkaBroker broker, Path work) throws IOException {
    this.broker = broker;
    this.kafka = new KafkaProbe(broker.bootstrapServers());
    this.work = work;
    this.confDir = Workload.writeConf(work.resolve("conf"));
    this.input = Workload.points();
  }

  private static FaultsFixture create() {
    EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder().build();
    FaultsFixture f = null;
    try {
      broker.start();
      f = new FaultsFixture(broker, Files.createTempDirectory("graphite-kafka-faults"));
      f.runReference();
      return f;
    } catch (Exception e) {
      if (f != null) {
        f.close();
      } else {
        broker.close();
      }
      throw new IllegalStateException("the reference run failed", e);
    }
  }

  private void runReference() throws Exception {
    long started = System.nanoTime();
    try (Services services = new Services(work)) {
      Pipeline ref = new Pipeline(this, "reference", work.resolve("reference"), services);
      Service gateway =
          Services.together(
                  List.of(
                      () -> ref.gateway("gateway"),
                      () -> ref.aggregator("aggregator"),
                      () -> ref.sink("sink")))
              .get(0);
      try (Socket socket = new Socket("127.0.0.1", ref.carbonPort(gateway))) {
        OutputStream out = socket.getOutputStream();
        out.write(Workload.lines(input));
        out.flush();
      }
      ref.awaitAggregated(input.size());
      referenceArchives = ref.awaitSunk(ref.sinkGroup, ref.archives);
      referencePoints = kafka.readAll(ref.points, false);
      referenceFiles = WhisperTrees.read(ref.dataDir);
    }
    assertThat(referenceFiles)
        .as("one file per series in the reference run")
        .hasSize(Workload.SERIES);
    System.out.printf(
        "faults reference run: %d points, %d archive points, %d files, %.1f s%n",
        input.size(),
        referenceArchives.size(),
        referenceFiles.size(),
        (System.nanoTime() - started) / 1e9);
  }

  EmbeddedKafkaBroker broker() {
    return broker;
  }

  KafkaProbe kafka() {
    return kafka;
  }

  String bootstrap() {
    return broker.bootstrapServers();
  }

  Path confDir() {
    return confDir;
  }

  List<Workload.Point> input() {
    return input;
  }

  /** Every file of the uninterrupted run, by path below {@code whisper/}. */
  Map<String, byte[]> referenceFiles() {
    return referenceFiles;
  }

  /** The points the reference gateway produced, as stored in its topic. */
  List<Rec> referencePoints() {
    return referencePoints;
  }

  /** The archive points the reference aggregator committed, as stored in its topic. */
  List<Rec> referenceArchives() {
    return referenceArchives;
  }

  @Override
  public void close() {
    kafka.close();
    broker.close();
    try (Stream<Path> s = Files.walk(work)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory; left behind
    }
  }
}

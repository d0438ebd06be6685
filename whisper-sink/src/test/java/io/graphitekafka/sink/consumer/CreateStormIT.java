package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.awaitCommitted;
import static io.graphitekafka.sink.consumer.SinkTestSupport.point;
import static io.graphitekafka.sink.consumer.SinkTestSupport.produce;
import static io.graphitekafka.sink.consumer.SinkTestSupport.props;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.embedded.EmbeddedKafkaBroker;
import io.graphitekafka.embedded.EmbeddedKafkaExtension;
import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.sink.Sink;
import io.graphitekafka.sink.config.SinkConfig;
import io.graphitekafka.sink.consumer.SinkTestSupport.Names;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50,000 new series at once against a create budget far below the arrival rate: no point is lost.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class CreateStormIT {

  private static final SeriesLayout TINY =
      new SeriesLayout(List.of(new ArchiveSpec(60, 10)), AggregationMethod.LAST, 0f);
  private static final int SERIES = 50_000;
  private static final int CREATES_PER_SECOND = 4_000;

  @TempDir Path dataDir;

  @Test
  void pausesPartitionsForCreateBudgetAndLosesNoPointOfFiftyThousandNewSeries(
      EmbeddedKafkaBroker kafka) throws Exception {
    Names names = Names.create(kafka, 4);
    long now = System.currentTimeMillis() / 1000;
    long t = now - Math.floorMod(now, 60) - 120;
    // two points per series; the second half of the stream only reaches files created meanwhile
    List<ArchivePoint> points = new ArrayList<>(2 * SERIES);
    for (int pass = 0; pass < 2; pass++) {
      for (int s = 0; s < SERIES; s++) {
        points.add(point("storm.g" + (s % 100) + ".s" + s, TINY, 0, t + 60L * pass, s + pass));
      }
    }
    produce(kafka, names.archives(), points);

    String group = "storm-" + names.suffix();
    Map<String, Object> props = props(kafka, names, dataDir, group);
    props.put(SinkConfig.MAX_CREATES_PER_MINUTE, String.valueOf(CREATES_PER_SECOND * 60));
    long started = System.nanoTime();
    try (Sink sink = new Sink(new SinkConfig(props))) {
      sink.start();
      awaitCommitted(kafka, group, names.archives(), points.size(), Duration.ofSeconds(150));
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(sink.stats().creates.sum()).isEqualTo(SERIES);
      SinkTestSupport.awaitCounted(sink, 2L * SERIES);
      assertThat(sink.stats().committedPoints.sum()).isEqualTo(2L * SERIES);
      assertThat(sink.stats().createPauses.sum()).isPositive();
      // one second's burst, then the budget: the creates cannot have gone faster than that
      assertThat(seconds)
          .isGreaterThan((SERIES - CREATES_PER_SECOND) / (double) CREATES_PER_SECOND);
    }

    // every file holds both of its points: read the single archive's slots straight from the bytes
    for (int s = 0; s < SERIES; s++) {
      Path file = dataDir.resolve("whisper/storm/g" + (s % 100) + "/s" + s + ".wsp");
      ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file));
      int data = 16 + 12;
      assertThat(bytes.getInt(data)).as(file.toString()).isEqualTo((int) t);
      assertThat(bytes.getDouble(data + 4)).isEqualTo(s);
      assertThat(bytes.getInt(data + 12)).isEqualTo((int) (t + 60));
      assertThat(bytes.getDouble(data + 16)).isEqualTo(s + 1);
    }
  }
}

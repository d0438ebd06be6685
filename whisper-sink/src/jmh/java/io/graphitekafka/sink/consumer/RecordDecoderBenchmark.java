package io.graphitekafka.sink.consumer;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the sink's decode path, {@link RecordDecoder#decode(ByteBuffer)}, on archive points
 * of 10,000 known series as the consumer hands them over (slices of one fetched buffer), per
 * record.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@State(Scope.Benchmark)
public class RecordDecoderBenchmark {

  static final int RECORDS = 10_000;
  static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(
              new ArchiveSpec(60, 1440), new ArchiveSpec(300, 2016), new ArchiveSpec(3600, 8760)),
          AggregationMethod.AVERAGE,
          0.5f);

  ByteBuffer[] values;
  RecordDecoder decoder;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    AvroSerde<ArchivePoint> serde = AvroSerde.singleObject(ArchivePoint.class);
    byte[][] encoded = new byte[RECORDS][];
    int total = 0;
    for (int i = 0; i < RECORDS; i++) {
      ArchivePoint point =
          new ArchivePoint(
              "servers.host" + (i % 1000) + ".cpu.core" + (i / 1000),
              i % 3,
              1_800_000_000L + 60L * i,
              i * 0.5,
              Layouts.toAvro(LAYOUT),
              null);
      encoded[i] = serde.encode(point);
      total += encoded[i].length + 16; // record framing between values in a fetched batch
    }
    byte[] fetched = new byte[total];
    values = new ByteBuffer[RECORDS];
    int at = 0;
    for (int i = 0; i < RECORDS; i++) {
      at += 16;
      System.arraycopy(encoded[i], 0, fetched, at, encoded[i].length);
      values[i] = ByteBuffer.wrap(fetched, at, encoded[i].length).slice();
      at += encoded[i].length;
    }
    decoder = new RecordDecoder(Path.of("/data/whisper"), true);
    for (ByteBuffer value : values) {
      decoder.decode(value); // the caches hold every series, as in a steady state
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public long decodeKnownSeries() throws BadRecordException {
    long sum = 0;
    for (ByteBuffer value : values) {
      sum += decoder.decode(value).interval();
    }
    return sum;
  }
}

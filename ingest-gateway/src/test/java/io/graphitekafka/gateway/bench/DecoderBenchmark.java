package io.graphitekafka.gateway.bench;

import io.graphitekafka.gateway.carbon.CarbonLineDecoder;
import io.graphitekafka.gateway.carbon.DecodeResult;
import io.graphitekafka.gateway.carbon.PickleDecoder;
import io.graphitekafka.gateway.carbon.PickleResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH throughput of the pure codecs, in lines (points) per second: plaintext lines as the load
 * generator writes them, tagged lines, and a 2,500-point protocol-2 pickle frame as carbon-relay
 * sends it. Not part of the build's tests; see the module README for the command.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecoderBenchmark {

  private static final int LINES = 1000;
  private static final int PICKLE_POINTS = 2500;

  private final CarbonLineDecoder lineDecoder = new CarbonLineDecoder(1);
  private final PickleDecoder pickleDecoder = new PickleDecoder(1);
  private byte[][] plain;
  private byte[][] tagged;
  private byte[] pickle;

  @Setup
  public void setUp() throws IOException {
    plain = new byte[LINES][];
    tagged = new byte[LINES][];
    for (int i = 0; i < LINES; i++) {
      // the lines bin/graphite-kafka loadgen sends by default
      // the load generator's shape: loadgen.h<s % 100>.s<s>, integer values, a step of 10 s
      plain[i] =
          ("loadgen.h"
                  + (i % 100)
                  + ".s"
                  + (i % 100)
                  + " "
                  + (i * 7919 % 100_000)
                  + " "
                  + (1_700_000_000L + i / 100 * 10))
              .getBytes(StandardCharsets.US_ASCII);
      tagged[i] =
          ("disk.used;host=web" + (i % 50) + ";dc=ams;env=prod " + i + ".25 1700000000")
              .getBytes(StandardCharsets.US_ASCII);
    }
    try (InputStream in =
        getClass().getResourceAsStream("/carbon/pickles/relay-batch-2500-p2.pickle")) {
      pickle = in.readAllBytes();
    }
  }

  @Benchmark
  @OperationsPerInvocation(LINES)
  public void plaintextLines(Blackhole bh) {
    for (byte[] line : plain) {
      DecodeResult r = lineDecoder.decode(line, 0, line.length, 1_700_000_000_000L);
      bh.consume(r);
    }
  }

  @Benchmark
  @OperationsPerInvocation(LINES)
  public void taggedLines(Blackhole bh) {
    for (byte[] line : tagged) {
      bh.consume(lineDecoder.decode(line, 0, line.length, 1_700_000_000_000L));
    }
  }

  @Benchmark
  @OperationsPerInvocation(PICKLE_POINTS)
  public void pickleFramePoints(Blackhole bh) {
    PickleResult r = pickleDecoder.decode(pickle, 0, pickle.length, 1_700_000_000_000L);
    bh.consume(r);
  }
}

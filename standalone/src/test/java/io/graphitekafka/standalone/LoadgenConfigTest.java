package io.graphitekafka.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.tools.load.LoadGenerator;
import io.graphitekafka.tools.load.LoadGenerator.Protocol;
import io.graphitekafka.tools.load.LoadGenerator.Timestamps;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code graphite-kafka loadgen}'s flags, as the command line hands them to the generator. */
class LoadgenConfigTest {

  private static LoadGenerator.Spec spec(String... args) throws Exception {
    Map<String, String> props = Main.options(args);
    return new LoadgenConfig(props).spec();
  }

  @Test
  void defaultsSendFixedPlaintextToPort2003AsFastAsPossible() throws Exception {
    LoadGenerator.Spec spec = spec("loadgen");
    assertThat(spec.protocol()).isEqualTo(Protocol.PLAINTEXT);
    assertThat(spec.port()).isEqualTo(2003);
    assertThat(spec.rate()).isZero();
    assertThat(spec.timestamps()).isEqualTo(Timestamps.FIXED);
    assertThat(spec.totalPoints()).isEqualTo(10_000L * 100);
  }

  @Test
  void flagsSetProtocolRateTimestampsAndShape() throws Exception {
    LoadGenerator.Spec spec =
        spec(
            "loadgen",
            "--protocol",
            "pickle",
            "--connections",
            "8",
            "--series",
            "100000",
            "--points-per-series",
            "60",
            "--rate",
            "100000",
            "--timestamps",
            "now",
            "--seed",
            "7",
            "--prefix",
            "fresh",
            "--step",
            "60");
    assertThat(spec.protocol()).isEqualTo(Protocol.PICKLE);
    assertThat(spec.port()).isEqualTo(2004);
    assertThat(spec.connections()).isEqualTo(8);
    assertThat(spec.totalPoints()).isEqualTo(6_000_000L);
    assertThat(spec.rate()).isEqualTo(100_000L);
    assertThat(spec.timestamps()).isEqualTo(Timestamps.NOW);
    assertThat(spec.seed()).isEqualTo(7L);
    assertThat(spec.prefix()).isEqualTo("fresh");
    assertThat(spec.step()).isEqualTo(60);
    assertThat(spec("loadgen", "--protocol", "pickle", "--port", "2103").port()).isEqualTo(2103);
  }

  @Test
  void rejectsAnUnknownProtocolOrTimestampMode() {
    assertThatThrownBy(() -> spec("loadgen", "--protocol", "udp"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--protocol")
        .hasMessageContaining("'udp'")
        .hasMessageContaining("plaintext, pickle");
    assertThatThrownBy(() -> spec("loadgen", "--timestamps", "later"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--timestamps")
        .hasMessageContaining("'later'");
    assertThatThrownBy(() -> new LoadgenConfig(Map.of(LoadgenConfig.PROTOCOL, "udp")))
        .isInstanceOf(ConfigException.class);
  }
}

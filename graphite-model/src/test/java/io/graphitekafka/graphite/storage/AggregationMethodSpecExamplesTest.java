package io.graphitekafka.graphite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * A worked example of whisper.py 1.1.4's aggregate(): known values (−3, 3, null, 1, null, null).
 */
class AggregationMethodSpecExamplesTest {

  private static final double[] KNOWN = {-3, 3, 1};

  private static double of(AggregationMethod m) {
    return m.aggregate(KNOWN, 3, 6);
  }

  @Test
  void matchesWhisperForEachOfTheEightMethods() {
    assertThat(of(AggregationMethod.AVERAGE)).isEqualTo(1.0 / 3.0);
    assertThat(of(AggregationMethod.SUM)).isEqualTo(1.0);
    assertThat(of(AggregationMethod.LAST)).isEqualTo(1.0);
    assertThat(of(AggregationMethod.MAX)).isEqualTo(3.0);
    assertThat(of(AggregationMethod.MIN)).isEqualTo(-3.0);
    assertThat(of(AggregationMethod.AVG_ZERO)).isEqualTo(1.0 / 6.0);
    assertThat(of(AggregationMethod.ABSMAX)).isEqualTo(-3.0);
    assertThat(of(AggregationMethod.ABSMIN)).isEqualTo(1.0);
  }

  @Test
  void absTiesKeepTheEarliestSlot() {
    assertThat(AggregationMethod.ABSMAX.aggregate(new double[] {2, -2}, 2, 2)).isEqualTo(2.0);
    assertThat(AggregationMethod.ABSMAX.aggregate(new double[] {-2, 2}, 2, 2)).isEqualTo(-2.0);
    assertThat(AggregationMethod.ABSMIN.aggregate(new double[] {-1, 1, 5}, 3, 3)).isEqualTo(-1.0);
  }

  @Test
  void maxAndMinIgnoreANanThatComesLaterButKeepOneThatComesFirst() {
    assertThat(AggregationMethod.MAX.aggregate(new double[] {1, Double.NaN}, 2, 2)).isEqualTo(1.0);
    assertThat(AggregationMethod.MAX.aggregate(new double[] {Double.NaN, 1}, 2, 2)).isNaN();
    assertThat(AggregationMethod.MIN.aggregate(new double[] {1, Double.NaN}, 2, 2)).isEqualTo(1.0);
  }

  @Test
  void sumsLeftToRightAsCpython311Does() {
    // 1e16 + 1 + 1 loses both ones left to right; a compensated sum would give
    // 1.0000000000000002e16.
    assertThat(AggregationMethod.SUM.aggregate(new double[] {1e16, 1, 1}, 3, 3)).isEqualTo(1e16);
  }

  @Test
  void codesAndNamesRoundTrip() {
    for (AggregationMethod m : AggregationMethod.values()) {
      assertThat(AggregationMethod.fromCode(m.code())).isEqualTo(m);
      assertThat(AggregationMethod.fromName(m.carbonName())).isEqualTo(m);
    }
    assertThat(AggregationMethod.AVG_ZERO.code()).isEqualTo(6);
    assertThatThrownBy(() -> AggregationMethod.fromCode(9)).hasMessageContaining("9");
    assertThatThrownBy(() -> AggregationMethod.fromName("median")).hasMessageContaining("median");
  }
}

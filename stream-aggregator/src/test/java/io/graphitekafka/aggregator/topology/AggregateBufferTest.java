package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.graphitekafka.graphite.rules.RuleMethod;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AggregateBufferTest {

  @Test
  void everyMethodEqualsTheRuleMethodOverTheValuesInArrivalOrder() {
    Random random = new Random(7);
    for (RuleMethod method : RuleMethod.values()) {
      for (int round = 0; round < 200; round++) {
        AggregateBuffer buffer = new AggregateBuffer(60, method);
        int n = 1 + random.nextInt(30);
        double[] values = new double[n];
        for (int i = 0; i < n; i++) {
          values[i] = random.nextInt(4) == 0 ? -0.0 : random.nextGaussian() * 1e6;
          buffer.add(600, values[i], 0);
        }
        // through the store's form, as after a commit and a restore
        AggregateBuffer restored = AggregateBuffer.fromBytes(buffer.toBytes());
        assertThat(Double.doubleToRawLongBits(restored.aggregate(0)))
            .as("%s over %s", method, Arrays.toString(values))
            .isEqualTo(Double.doubleToRawLongBits(method.apply(values, n)));
      }
    }
  }

  @Test
  void anIntervalIsDroppedOnceSentFarEnoughBehindAndIdleAndThenItsPointsAreTooLate() {
    AggregateBuffer buffer = new AggregateBuffer(60, RuleMethod.SUM);
    assertThat(buffer.intervalOf(659)).isEqualTo(600);
    assertThat(buffer.intervalOf(-1)).isEqualTo(-60);
    buffer.add(600, 1, 1_000);
    buffer.add(480, 2, 1_000);
    buffer.add(900, 3, 50_000);
    assertThat(buffer.intervalAt(0)).isEqualTo(480);
    assertThat(buffer.intervalAt(2)).isEqualTo(900);
    // not sent yet: nothing expires
    assertThat(buffer.expire(2, 1_000_000)).isZero();
    for (int i = 0; i < buffer.size(); i++) {
      buffer.markSent(i);
    }
    // 480 and 600 are more than 2 intervals behind 900, but got a value 120 s ago only at 121,000
    assertThat(buffer.expire(2, 120_999)).isZero();
    assertThat(buffer.tooLate(480)).isFalse();
    assertThat(buffer.expire(2, 121_000)).isEqualTo(2);
    assertThat(buffer.size()).isEqualTo(1);
    assertThat(buffer.bufferedValues()).isEqualTo(1);
    // dropped intervals are too late; one never seen behind them is not, nor one kept
    assertThat(buffer.tooLate(600)).isTrue();
    assertThat(buffer.tooLate(420)).isTrue();
    assertThat(buffer.tooLate(660)).isFalse();
    assertThat(buffer.tooLate(900)).isFalse();
    assertThat(AggregateBuffer.fromBytes(buffer.toBytes()).tooLate(600)).isTrue();
  }

  @Test
  void corruptStoreBytesAreRefusedNotMisread() {
    AggregateBuffer buffer = new AggregateBuffer(10, RuleMethod.P90);
    buffer.add(0, 1, 0);
    buffer.add(0, 2, 0);
    byte[] good = buffer.toBytes();
    assertThatThrownBy(() -> AggregateBuffer.fromBytes(Arrays.copyOf(good, good.length - 3)))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] extended = Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> AggregateBuffer.fromBytes(extended))
        .hasMessageContaining("after the buffer");
    byte[] format = good.clone();
    format[0] = 9;
    assertThatThrownBy(() -> AggregateBuffer.fromBytes(format)).hasMessageContaining("format");
    byte[] hugeCount = good.clone();
    // the first interval's value count: format 1, frequency 4, method 1, newest 8, dropped 8,
    // size 4, interval 8, touched 8, dirty 1
    int countAt = 1 + 4 + 1 + 8 + 8 + 4 + 8 + 8 + 1;
    hugeCount[countAt] = 0x7f;
    assertThatThrownBy(() -> AggregateBuffer.fromBytes(hugeCount)).hasMessageContaining("values");
  }
}

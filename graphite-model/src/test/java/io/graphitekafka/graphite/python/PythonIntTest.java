package io.graphitekafka.graphite.python;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PythonIntTest {

  @Test
  void acceptsWhatPythonsIntAccepts() {
    assertThat(PythonInt.parse(" 42\n")).isEqualTo(42);
    assertThat(PythonInt.parse("-1_000")).isEqualTo(-1000);
    assertThat(PythonInt.parse("+007")).isEqualTo(7);
    assertThat(PythonInt.parse("\u0661\u0662")).isEqualTo(12);
  }

  @Test
  void refusesWhatPythonsIntRefuses() {
    for (String bad : new String[] {"", "-", "1__0", "_1", "1_", "0x10", "1.0", "1e3", "1 2"}) {
      assertThatThrownBy(() -> PythonInt.parse(bad))
          .as(bad)
          .isInstanceOf(NumberFormatException.class)
          .hasMessageContaining("int()");
    }
    assertThatThrownBy(() -> PythonInt.parse("99999999999999999999"))
        .isInstanceOf(NumberFormatException.class);
  }
}

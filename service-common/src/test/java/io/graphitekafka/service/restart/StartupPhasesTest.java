package io.graphitekafka.service.restart;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StartupPhasesTest {

  @Test
  void eachPhaseCountsTheFirstTimeItIsReachedTimedFromTheOrigin() {
    AtomicLong now = new AtomicLong(10_000);
    StartupPhases phases = new StartupPhases("sink", now::get, 10_000);

    now.set(12_400);
    phases.reached(StartupPhases.GROUP_JOINED, "4 partitions");
    now.set(13_000);
    phases.reached(StartupPhases.GROUP_JOINED, "a later rebalance");
    phases.reached(StartupPhases.FIRST_COMMIT);

    assertThat(phases.has(StartupPhases.GROUP_JOINED)).isTrue();
    assertThat(phases.has(StartupPhases.CAUGHT_UP)).isFalse();
    assertThat(phases.summary())
        .containsExactly("group joined after 2.4 s (4 partitions)", "first commit after 3.0 s");
  }

  @Test
  void caughtUpEndsTheSummary() {
    AtomicLong now = new AtomicLong(0);
    StartupPhases phases = new StartupPhases("aggregator", now::get, 0);
    now.set(5_050);
    phases.reached(StartupPhases.CAUGHT_UP);
    now.set(9_000);
    phases.reached(StartupPhases.CAUGHT_UP);
    assertThat(phases.summary()).containsExactly("caught up after 5.1 s");
    assertThat(StartupPhases.seconds(1_250_000_000L)).isEqualTo("1.3 s");
  }
}

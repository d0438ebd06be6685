package io.graphitekafka.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Remembers the first broker any test class was given, so later classes can check they got the
 * same.
 */
final class SharedBrokerWitness {

  private static final AtomicReference<EmbeddedKafkaBroker> FIRST_SEEN = new AtomicReference<>();

  private SharedBrokerWitness() {}

  static void assertSameAsFirstSeen(EmbeddedKafkaBroker kafka) {
    FIRST_SEEN.compareAndSet(null, kafka);
    assertThat(kafka).isSameAs(FIRST_SEEN.get());
    assertThat(kafka.isRunning()).isTrue();
  }
}

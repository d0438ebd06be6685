package io.graphitekafka.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The gateway producer's settings: what an override may change, and what it may not. */
class PointProducerSettingsTest {

  @Test
  void idempotentWithAcksAllAndNoDeliveryTimeoutByDefault() {
    assertThat(PointProducer.producerProperties("k:9092", Map.of()))
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5)
        .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
  }

  @Test
  void overridesWinWhereTheyKeepThePointsInOrder() {
    assertThat(
            PointProducer.producerProperties(
                "k:9092", Map.of("linger.ms", "50", "acks", "-1", "enable.idempotence", "TRUE")))
        .containsEntry(ProducerConfig.LINGER_MS_CONFIG, "50")
        .containsEntry(ProducerConfig.ACKS_CONFIG, "-1");
  }

  @Test
  void turningIdempotenceOrAcksAllOffIsRefusedWithTheReason() {
    assertThatThrownBy(
            () -> PointProducer.producerProperties("k:9092", Map.of("enable.idempotence", "false")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.enable.idempotence")
        .hasMessageContaining("written twice");
    for (String acks : new String[] {"1", "0"}) {
      assertThatThrownBy(() -> PointProducer.producerProperties("k:9092", Map.of("acks", acks)))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("kafka.acks")
          .hasMessageContaining("must be all");
    }
  }
}

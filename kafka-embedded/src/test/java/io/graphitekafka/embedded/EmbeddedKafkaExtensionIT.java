package io.graphitekafka.embedded;

import static io.graphitekafka.testing.KafkaRecords.readStringsFromStart;
import static io.graphitekafka.testing.KafkaRecords.sendStrings;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedKafkaExtension.class)
class EmbeddedKafkaExtensionIT {

  @Test
  void givesThisClassTheSameRunningBrokerAsTheOtherClasses(EmbeddedKafkaBroker kafka)
      throws Exception {
    SharedBrokerWitness.assertSameAsFirstSeen(kafka);

    String topic = "extension-" + UUID.randomUUID();
    kafka.createTopics(1, topic);
    kafka.createTopics(1, topic);
    sendStrings(kafka.bootstrapServers(), topic, "hello");
    assertThat(readStringsFromStart(kafka.bootstrapServers(), topic, 1, Map.of()))
        .containsExactly("hello");
  }
}

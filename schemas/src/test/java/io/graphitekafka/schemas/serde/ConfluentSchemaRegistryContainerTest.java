package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.schemas.avro.MetricPoint;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The client and the Confluent wire format against the real confluentinc/cp-schema-registry image
 * (with a Kafka broker for its store). Skipped where no Docker engine runs; the stub-based tests in
 * {@link ConfluentWireFormatTest} cover the same calls everywhere.
 */
class ConfluentSchemaRegistryContainerTest {

  @Test
  void registersLooksUpAndRoundTripsAgainstTheRealRegistry() {
    Assumptions.assumeTrue(dockerAvailable(), "no Docker engine: skipping the container test");
    try (Network network = Network.newNetwork();
        GenericContainer<?> kafka =
            new GenericContainer<>("apache/kafka:3.9.1")
                .withNetwork(network)
                .withNetworkAliases("kafka")
                .withEnv("KAFKA_NODE_ID", "1")
                .withEnv("KAFKA_PROCESS_ROLES", "broker,controller")
                .withEnv("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
                .withEnv("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://kafka:9092")
                .withEnv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka:9093")
                .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .waitingFor(Wait.forLogMessage(".*Kafka Server started.*", 1));
        GenericContainer<?> registry =
            new GenericContainer<>("confluentinc/cp-schema-registry:7.9.0")
                .withNetwork(network)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:9092")
                .withExposedPorts(8081)
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200))
                .withStartupTimeout(Duration.ofMinutes(3))) {
      kafka.start();
      registry.start();
      String url = "http://" + registry.getHost() + ":" + registry.getMappedPort(8081);
      MetricPoint point = new MetricPoint("servers.web01.cpu", 1700000000L, 1.5);

      byte[] bytes =
          AvroSerde.confluent(MetricPoint.class, new SchemaRegistryClient(url, null))
              .encode("carbon.points", point);
      int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
      SchemaRegistryClient fresh = new SchemaRegistryClient(url, null);

      assertThat(bytes[0]).isZero();
      assertThat(fresh.register("carbon.points-value", MetricPoint.getClassSchema())).isEqualTo(id);
      assertThat(fresh.schemaById(id)).isEqualTo(MetricPoint.getClassSchema());
      assertThat(AvroSerde.confluent(MetricPoint.class, fresh).decode(bytes)).isEqualTo(point);
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | Error e) {
      return false;
    }
  }
}

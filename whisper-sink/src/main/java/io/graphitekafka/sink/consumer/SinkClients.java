package io.graphitekafka.sink.consumer;

import io.graphitekafka.service.restart.StaticMember;
import io.graphitekafka.sink.config.SinkConfig;
import java.nio.ByteBuffer;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Builds the real Kafka clients that the service hands to {@link SinkLoop}; the loop only sees the
 * {@link Consumer} and {@link Producer} interfaces, so its commit protocol can be driven without a
 * broker.
 */
public final class SinkClients {

  private SinkClients() {}

  /**
   * The archives consumer. Keys (the series name, for partitioning) are never read: skipped without
   * copying them. Values are the record's own slice of the fetched (or decompressed) buffer, not a
   * copy; the client allocates those buffers per fetch and never reuses them, so a slice stays
   * valid in a write batch across polls.
   *
   * @param member the derived {@code group.instance.id} when the setting is {@code auto}, or null
   */
  public static Consumer<Void, ByteBuffer> consumer(SinkConfig config, StaticMember member) {
    return new KafkaConsumer<>(
        SinkClientConfig.consumer(config, member), new SkipKey(), new ByteBufferDeserializer());
  }

  /** The producer of the rejects topic, whose records the sink serializes itself. */
  public static Producer<byte[], byte[]> rejectsProducer(SinkConfig config) {
    return new KafkaProducer<>(
        SinkClientConfig.rejectsProducer(config),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** A key deserializer that skips the key's bytes. */
  private static final class SkipKey implements Deserializer<Void> {
    @Override
    public Void deserialize(String topic, byte[] data) {
      return null;
    }

    @Override
    public Void deserialize(String topic, Headers headers, ByteBuffer data) {
      return null;
    }
  }
}

package io.graphitekafka.schemas.topic;

import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The pipeline's topics. {@code carbon.points} and {@code carbon.archives} share their key (the
 * normalized series name as a UTF-8 string) and their partition count, so a series lands in the
 * same partition number in both.
 */
public final class Topics {

  public static final String DEFAULT_POINTS = "carbon.points";
  public static final String DEFAULT_ARCHIVES = "carbon.archives";
  public static final String DEFAULT_LINES = "carbon.lines";
  public static final String DEFAULT_REJECTS = "carbon.rejects";

  /**
   * The aggregator's own topic of points re-keyed by its carbon rules: aggregate inputs under the
   * aggregate's name, renamed series under their new name. Same format and partition count as the
   * points topic.
   */
  public static final String DEFAULT_RULES = "carbon.rules";

  private Topics() {}

  public static Topic<String, MetricPoint> points(String name) {
    return points(name, null);
  }

  /**
   * The points topic: with a registry, values are written in Confluent's wire format and read in
   * either format; without one (null), written and read in Avro single-object encoding.
   */
  public static Topic<String, MetricPoint> points(String name, SchemaRegistryClient registry) {
    return new Topic<>(name, Serdes.String(), serde(MetricPoint.class, registry));
  }

  public static Topic<String, ArchivePoint> archives(String name) {
    return archives(name, null);
  }

  /** The archives topic, in the format {@link #points(String, SchemaRegistryClient)} describes. */
  public static Topic<String, ArchivePoint> archives(String name, SchemaRegistryClient registry) {
    return new Topic<>(name, Serdes.String(), serde(ArchivePoint.class, registry));
  }

  /** Raw Carbon plaintext lines as values, as Telegraf's graphite output or kcat write them. */
  public static Topic<byte[], byte[]> lines(String name) {
    return new Topic<>(name, Serdes.ByteArray(), Serdes.ByteArray());
  }

  /** Rejected input, keyed by the reason code. */
  public static Topic<String, Reject> rejects(String name) {
    return rejects(name, null);
  }

  /** The rejects topic, in the format {@link #points(String, SchemaRegistryClient)} describes. */
  public static Topic<String, Reject> rejects(String name, SchemaRegistryClient registry) {
    return new Topic<>(name, Serdes.String(), serde(Reject.class, registry));
  }

  private static <T extends SpecificRecord> AvroSerde<T> serde(
      Class<T> type, SchemaRegistryClient registry) {
    return registry == null ? AvroSerde.singleObject(type) : AvroSerde.confluent(type, registry);
  }
}

package io.graphitekafka.schemas.topic;

import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.MetricPoint;
import io.graphitekafka.schemas.avro.Reject;
import io.graphitekafka.schemas.serde.AvroSerde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The pipeline's topics. {@code carbon.points} and {@code carbon.archives} share their key (the normalized
 * series name as a UTF-8 string) and their partition count, so a series lands in the same partition number
 * in both.
 */
public final class Topics {

  public static final String DEFAULT_POINTS = "carbon.points";
  public static final String DEFAULT_ARCHIVES = "carbon.archives";
  public static final String DEFAULT_LINES = "carbon.lines";
  public static final String DEFAULT_REJECTS = "carbon.rejects";

  private Topics() {}

  public static Topic<String, MetricPoint> points(String name) {
    return new Topic<>(name, Serdes.String(), AvroSerde.singleObject(MetricPoint.class));
  }

  public static Topic<String, ArchivePoint> archives(String name) {
    return new Topic<>(name, Serdes.String(), AvroSerde.singleObject(ArchivePoint.class));
  }

  /** Raw Carbon plaintext lines as values, as Telegraf's graphite output or kcat write them. */
  public static Topic<byte[], byte[]> lines(String name) {
    return new Topic<>(name, Serdes.ByteArray(), Serdes.ByteArray());
  }

  /** Rejected input, keyed by the reason code. */
  public static Topic<String, Reject> rejects(String name) {
    return new Topic<>(name, Serdes.String(), AvroSerde.singleObject(Reject.class));
  }
}

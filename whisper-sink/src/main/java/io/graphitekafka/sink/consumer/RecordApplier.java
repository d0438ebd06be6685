package io.graphitekafka.sink.consumer;

import io.graphitekafka.sink.metrics.SinkStats;
import io.graphitekafka.whisper.FillMode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sink's write path without Kafka: archive record values, in topic order, decoded and written
 * into the Whisper files under a root exactly as the consumer loop writes a batch (slot writes and
 * raw points of a series in order, files created from the records' layout). For tools and tests
 * that hold records already, such as a differential test of the aggregator's output.
 */
public final class RecordApplier implements AutoCloseable {

  private final RecordDecoder decoder;
  private final ArchiveWriter writer;

  /**
   * @param clock the sink's clock, which decides which slots are too old to write
   */
  public RecordApplier(Path whisperRoot, Clock clock) {
    this.decoder = new RecordDecoder(whisperRoot, true);
    this.writer = new ArchiveWriter(FillMode.ZERO, false, 1024, SinkStats.create(), clock);
  }

  /**
   * Writes the records as one batch and flushes the files.
   *
   * @throws IllegalArgumentException naming the first record the sink would reject, before anything
   *     is written
   */
  public void apply(List<byte[]> values) throws IOException {
    Map<String, SeriesBatch> batch = new LinkedHashMap<>();
    for (byte[] value : values) {
      DecodedPoint point;
      try {
        point = decoder.decode(value);
      } catch (BadRecordException e) {
        throw new IllegalArgumentException(e.reason() + ": " + e.getMessage(), e);
      }
      batch
          .computeIfAbsent(
              point.metric(), m -> new SeriesBatch(m, point.path(), point.layout(), false))
          .add(point);
    }
    for (SeriesBatch series : batch.values()) {
      writer.write(series);
    }
    writer.flush();
  }

  @Override
  public void close() throws IOException {
    writer.close();
  }
}

package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.naming.InvalidSeriesNameException;
import io.graphitekafka.schemas.naming.SeriesPaths;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.storage.ArchiveSpec;
import io.graphitekafka.schemas.storage.SeriesLayout;
import io.graphitekafka.sink.whisper.WhisperHeader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.message.MissingSchemaException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Turns a record value into a {@link DecodedPoint}, or says why it cannot be written: undecodable bytes,
 * an unknown schema fingerprint, an invalid layout, an archive index outside it, a slot outside
 * Whisper's u32 timestamps, or a name that cannot be a file inside the whisper root.
 */
final class RecordDecoder {

  static final String UNDECODABLE = "undecodable";
  static final String UNKNOWN_SCHEMA = "unknown_schema";
  static final String INVALID_LAYOUT = "invalid_layout";
  static final String BAD_ARCHIVE_INDEX = "bad_archive_index";
  static final String BAD_TIMESTAMP = "bad_timestamp";
  static final String INVALID_NAME = "invalid_name";

  private static final long MAX_U32 = 0xFFFF_FFFFL;
  private static final int CACHE_LIMIT = 100_000;

  private final AvroSerde<ArchivePoint> serde = AvroSerde.singleObject(ArchivePoint.class);
  private final Path whisperRoot;
  private final boolean hashTaggedNames;
  // Layouts and paths repeat across records; both caches are cleared when they grow past the limit.
  private final Map<ArchiveLayout, Object> layouts = new HashMap<>();
  private final Map<String, Object> paths = new HashMap<>();

  RecordDecoder(Path whisperRoot, boolean hashTaggedNames) {
    this.whisperRoot = whisperRoot.toAbsolutePath().normalize();
    this.hashTaggedNames = hashTaggedNames;
  }

  DecodedPoint decode(byte[] value) throws BadRecordException {
    ArchivePoint point;
    try {
      point = serde.decode(value);
    } catch (SerializationException e) {
      boolean unknown = e.getCause() instanceof MissingSchemaException;
      throw new BadRecordException(unknown ? UNKNOWN_SCHEMA : UNDECODABLE, e.getMessage());
    }
    SeriesLayout layout = layout(point.getLayout());
    int archive = point.getArchive();
    if (archive < 0 || archive >= layout.archives().size()) {
      throw new BadRecordException(BAD_ARCHIVE_INDEX, "archive index " + archive + " outside the "
          + layout.archives().size() + " archives of " + layout.archives());
    }
    int step = layout.archives().get(archive).secondsPerPoint();
    long timestamp = point.getTimestamp();
    if (timestamp < 0 || timestamp > MAX_U32) {
      throw new BadRecordException(BAD_TIMESTAMP,
          "timestamp " + timestamp + " does not fit Whisper's unsigned 32-bit timestamps");
    }
    long interval = timestamp - Math.floorMod(timestamp, step);
    String metric = point.getMetric();
    return new DecodedPoint(metric, path(metric), layout, step, interval, point.getValue());
  }

  private SeriesLayout layout(ArchiveLayout avro) throws BadRecordException {
    Object cached = layouts.get(avro);
    if (cached == null) {
      cached = validate(avro);
      if (layouts.size() >= CACHE_LIMIT) {
        layouts.clear();
      }
      layouts.put(avro, cached);
    }
    if (cached instanceof String problem) {
      throw new BadRecordException(INVALID_LAYOUT, problem);
    }
    return (SeriesLayout) cached;
  }

  // The layout, or a String saying what is wrong with it.
  private static Object validate(ArchiveLayout avro) {
    try {
      SeriesLayout layout = Layouts.fromAvro(avro);
      List<ArchiveSpec> archives = layout.archives();
      for (int i = 1; i < archives.size(); i++) {
        if (archives.get(i).secondsPerPoint() <= archives.get(i - 1).secondsPerPoint()) {
          return "archives " + archives + " are not ordered finest first";
        }
      }
      WhisperHeader.forLayout(layout); // whisper's validateArchiveList and the u32 limits
      return layout;
    } catch (IllegalArgumentException | NullPointerException e) {
      return "invalid layout " + avro + ": " + e.getMessage();
    }
  }

  private Path path(String metric) throws BadRecordException {
    Object cached = paths.get(metric);
    if (cached == null) {
      try {
        cached = SeriesPaths.resolve(whisperRoot, metric, hashTaggedNames);
      } catch (InvalidSeriesNameException e) {
        cached = e.getMessage();
      }
      if (paths.size() >= CACHE_LIMIT) {
        paths.clear();
      }
      paths.put(metric, cached);
    }
    if (cached instanceof String problem) {
      throw new BadRecordException(INVALID_NAME, problem);
    }
    return (Path) cached;
  }
}

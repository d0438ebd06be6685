package io.graphitekafka.sink.consumer;

import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.ArchivePointReader;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.whisper.WhisperHeader;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;

/**
 * Turns a record value into a {@link DecodedPoint}, or says why it cannot be written: undecodable
 * bytes, an unknown schema, an invalid layout, an archive index outside it, a slot outside
 * Whisper's u32 timestamps, or a name that cannot be a file inside the whisper root.
 *
 * <p>The sink's hot path. The wire format is read by the topic's {@link ArchivePointReader}, in
 * place; the series name and the embedded layout, which repeat from record to record, are looked up
 * here by their raw bytes, so a record of a known series with a known layout is decoded without
 * building a String, an Avro object or a layout. A layout seen for the first time is read with
 * Avro's own datum reader and validated as whisper would. {@code RecordDecoderDifferentialTest}
 * checks it against Avro's decoder followed by the same checks.
 */
final class RecordDecoder {

  static final String UNDECODABLE = "undecodable";
  static final String UNKNOWN_SCHEMA = "unknown_schema";
  static final String INVALID_LAYOUT = "invalid_layout";
  static final String BAD_ARCHIVE_INDEX = "bad_archive_index";
  static final String BAD_TIMESTAMP = "bad_timestamp";
  static final String INVALID_NAME = "invalid_name";

  private static final long MAX_U32 = 0xFFFF_FFFFL;

  /** The {@code archive} field of a raw point. */
  static final int RAW_ARCHIVE = -1;

  private static final int CACHE_LIMIT = 100_000;

  private final Path whisperRoot;
  private final boolean hashTaggedNames;
  private final ArchivePointReader reader;
  // Both caches are keyed by raw bytes and cleared when they grow past the limit. A layout maps to
  // its SeriesLayout or to a String saying what is wrong with it (the last one found is also kept
  // aside);
  // a name to its Series.
  private final Map<Bytes, CachedLayout> layouts = new HashMap<>();
  private final Map<Bytes, Series> names = new HashMap<>();
  private final Bytes probe = new Bytes();
  private CachedLayout lastLayout;

  /** A layout's bytes and its SeriesLayout, or a String saying what is wrong with it. */
  private record CachedLayout(Bytes key, Object layoutOrProblem) {}

  /** A series name as decoded, with its file or the reason it cannot have one. */
  record Series(String metric, Path path, String problem) {}

  RecordDecoder(Path whisperRoot, boolean hashTaggedNames) {
    this(whisperRoot, hashTaggedNames, AvroSerde.singleObject(ArchivePoint.class));
  }

  /**
   * @param valueSerde the archives topic's value serde, whose wire formats are read:
   *     Confluent-framed values only if it has a Schema Registry (they are undecodable otherwise)
   */
  RecordDecoder(Path whisperRoot, boolean hashTaggedNames, Serde<ArchivePoint> valueSerde) {
    this.whisperRoot = whisperRoot.toAbsolutePath().normalize();
    this.hashTaggedNames = hashTaggedNames;
    this.reader = ArchivePointReader.of(valueSerde);
  }

  DecodedPoint decode(byte[] value) throws BadRecordException {
    return value == null ? decode((ByteBuffer) null) : decode(ByteBuffer.wrap(value));
  }

  /**
   * Decodes the value between the buffer's position and limit, in place when the buffer has an
   * array (as the consumer's fetched records do); the buffer's position is not changed.
   *
   * @throws RegistryUnavailableException if its schema id is new and no registry answered: not the
   *     record's fault, so the caller retries rather than rejecting it
   */
  DecodedPoint decode(ByteBuffer value) throws BadRecordException {
    ArchivePointReader r = reader;
    Object layoutOrProblem;
    try {
      r.read(value);
      layoutOrProblem = layout(r);
    } catch (RegistryUnavailableException e) {
      throw e;
    } catch (SerializationException e) {
      throw new BadRecordException(
          ArchivePointReader.isUnknownSchema(e) ? UNKNOWN_SCHEMA : UNDECODABLE, e.getMessage());
    }
    Series series = series(r.buffer(), r.metricOffset(), r.metricLength());
    if (layoutOrProblem instanceof String problem) {
      throw new BadRecordException(INVALID_LAYOUT, problem);
    }
    SeriesLayout layout = (SeriesLayout) layoutOrProblem;
    int archive = r.archive();
    long timestamp = r.timestamp();
    if (r.hasNow()) {
      return raw(series, layout, archive, timestamp, r.value(), r.now());
    }
    if (archive < 0 || archive >= layout.archives().size()) {
      throw new BadRecordException(
          BAD_ARCHIVE_INDEX,
          "archive index "
              + archive
              + " outside the "
              + layout.archives().size()
              + " archives of "
              + layout.archives());
    }
    int step = layout.archives().get(archive).secondsPerPoint();
    if (timestamp < 0 || timestamp > MAX_U32) {
      throw new BadRecordException(
          BAD_TIMESTAMP,
          "timestamp " + timestamp + " does not fit Whisper's unsigned 32-bit timestamps");
    }
    if (series.problem() != null) {
      throw new BadRecordException(INVALID_NAME, series.problem());
    }
    long interval = timestamp - Math.floorMod(timestamp, step);
    return new DecodedPoint(
        series.metric(), series.path(), layout, step, interval, r.value(), DecodedPoint.NOT_RAW);
  }

  /** A raw point, which the sink applies with whisper's {@code update_many} at {@code now}. */
  private static DecodedPoint raw(
      Series series, SeriesLayout layout, int archive, long timestamp, double value, long now)
      throws BadRecordException {
    if (archive != RAW_ARCHIVE) {
      throw new BadRecordException(
          BAD_ARCHIVE_INDEX,
          "a raw point (now set) has archive " + archive + " instead of " + RAW_ARCHIVE);
    }
    if (timestamp < 0 || timestamp > MAX_U32 || now < 0 || now > MAX_U32) {
      throw new BadRecordException(
          BAD_TIMESTAMP,
          "raw point at "
              + timestamp
              + " with now "
              + now
              + ": does not fit Whisper's unsigned 32-bit timestamps");
    }
    if (series.problem() != null) {
      throw new BadRecordException(INVALID_NAME, series.problem());
    }
    return new DecodedPoint(series.metric(), series.path(), layout, 0, timestamp, value, now);
  }

  // --- cached parts ----------------------------------------------------------------------------

  private Series series(byte[] buf, int offset, int length) {
    probe.set(buf, offset, length);
    Series cached = names.get(probe);
    if (cached == null) {
      String metric = new String(buf, offset, length, StandardCharsets.UTF_8);
      try {
        cached =
            new Series(metric, SeriesPaths.resolve(whisperRoot, metric, hashTaggedNames), null);
      } catch (InvalidSeriesNameException e) {
        cached = new Series(metric, null, e.getMessage());
      }
      if (names.size() >= CACHE_LIMIT) {
        names.clear();
      }
      names.put(probe.copy(), cached);
    }
    return cached;
  }

  /** Looks the layout's bytes up; a new layout is read by Avro and validated. */
  private Object layout(ArchivePointReader r) {
    byte[] buf = r.buffer();
    int start = r.layoutOffset();
    int length = r.layoutLength();
    // consecutive records nearly always carry the same layout: compare with the last one first
    if (lastLayout != null && lastLayout.key().sameBytes(buf, start, length)) {
      return lastLayout.layoutOrProblem();
    }
    probe.set(buf, start, length);
    CachedLayout cached = layouts.get(probe);
    if (cached == null) {
      Bytes key = probe.copy();
      cached = new CachedLayout(key, validate(r.layout()));
      if (layouts.size() >= CACHE_LIMIT) {
        layouts.clear();
      }
      layouts.put(key, cached);
    }
    lastLayout = cached;
    return cached.layoutOrProblem();
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

  /** A slice of bytes as a map key; the probe is re-pointed per lookup, stored keys own a copy. */
  private static final class Bytes {
    private static final VarHandle LONGS =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] array;
    private int offset;
    private int length;
    private int hash;

    void set(byte[] array, int offset, int length) {
      this.array = array;
      this.offset = offset;
      this.length = length;
      // eight bytes at a time: a name is hashed for every record
      long h = length;
      int i = offset;
      for (int e = offset + length - 7; i < e; i += 8) {
        h = (h ^ (long) LONGS.get(array, i)) * 0x9E3779B97F4A7C15L;
      }
      for (int e = offset + length; i < e; i++) {
        h = (h ^ array[i]) * 0x9E3779B97F4A7C15L;
      }
      this.hash = (int) (h ^ (h >>> 32));
    }

    Bytes copy() {
      Bytes b = new Bytes();
      b.array = Arrays.copyOfRange(array, offset, offset + length);
      b.length = length;
      b.hash = hash;
      return b;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    boolean sameBytes(byte[] other, int otherOffset, int otherLength) {
      return Arrays.equals(
          array, offset, offset + length, other, otherOffset, otherOffset + otherLength);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && b.hash == hash && sameBytes(b.array, b.offset, b.length);
    }
  }
}

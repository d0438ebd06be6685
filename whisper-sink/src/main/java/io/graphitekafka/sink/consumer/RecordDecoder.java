package io.graphitekafka.sink.consumer;

import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesPaths;
import io.graphitekafka.schemas.serde.AvroSerde;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.serde.RegistryUnavailableException;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.whisper.WhisperHeader;
import java.io.IOException;
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
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Turns a record value into a {@link DecodedPoint}, or says why it cannot be written: undecodable bytes,
 * an unknown schema fingerprint, an invalid layout, an archive index outside it, a slot outside
 * Whisper's u32 timestamps, or a name that cannot be a file inside the whisper root.
 *
 * <p>The sink's hot path. Values are Avro single-object encoded {@code ArchivePoint}s (0xC3 0x01, the
 * schema's CRC-64-AVRO fingerprint, then Avro binary) or, with a Schema Registry, Confluent-framed ones
 * (magic 0 and a 4-byte schema id; the body is read here too when the id's schema is the current one,
 * and through Avro's schema resolution otherwise). The fixed fields are read in place; the series
 * name and the embedded layout, which repeat from record to record, are looked up by their raw bytes,
 * so a record of a known series with a known layout is decoded without building a String, an Avro
 * object or a layout. A layout seen for the first time is read with Avro's own datum reader. It
 * accepts and refuses what {@code AvroSerde.singleObject(ArchivePoint.class)} does (bytes after the
 * record are ignored, as there); {@code RecordDecoderTest} checks the two against each other.
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
  private static final int HEADER = 10;
  private static final AvroSerde<ArchivePoint> CURRENT = AvroSerde.singleObject(ArchivePoint.class);
  private static final long FINGERPRINT =
      SchemaNormalization.parsingFingerprint64(ArchivePoint.getClassSchema());

  private final Path whisperRoot;
  private final boolean hashTaggedNames;
  private final AvroSerde<ArchivePoint> confluent;
  private final SpecificDatumReader<ArchiveLayout> layoutReader =
      new SpecificDatumReader<>(ArchiveLayout.class);
  private BinaryDecoder layoutDecoder;
  // Both caches are keyed by raw bytes and cleared when they grow past the limit. A layout maps to its
  // SeriesLayout or to a String saying what is wrong with it (the last one found is also kept aside);
  // a name to its Series.
  private final Map<Bytes, CachedLayout> layouts = new HashMap<>();
  private final Map<Bytes, Series> names = new HashMap<>();
  private final Bytes probe = new Bytes();
  private CachedLayout lastLayout;

  // the read position in the value being decoded
  private byte[] buf;
  private int pos;
  private int end;

  /** A layout's bytes and its SeriesLayout, or a String saying what is wrong with it. */
  private record CachedLayout(Bytes key, Object layoutOrProblem) {}

  /** A series name as decoded, with its file or the reason it cannot have one. */
  record Series(String metric, Path path, String problem) {}

  RecordDecoder(Path whisperRoot, boolean hashTaggedNames) {
    this(whisperRoot, hashTaggedNames, null);
  }

  /**
   * @param confluent reads Confluent-framed values through a Schema Registry, or null when none is
   *     configured (such values are then undecodable)
   */
  RecordDecoder(Path whisperRoot, boolean hashTaggedNames, AvroSerde<ArchivePoint> confluent) {
    this.whisperRoot = whisperRoot.toAbsolutePath().normalize();
    this.hashTaggedNames = hashTaggedNames;
    this.confluent = confluent;
  }

  DecodedPoint decode(byte[] value) throws BadRecordException {
    return value == null ? decode(new byte[0], 0, 0) : decode(value, 0, value.length);
  }

  /**
   * Decodes the value between the buffer's position and limit, in place when the buffer has an array
   * (as the consumer's fetched records do); the buffer's position is not changed.
   */
  DecodedPoint decode(ByteBuffer value) throws BadRecordException {
    if (value == null) {
      return decode(new byte[0], 0, 0);
    }
    if (value.hasArray()) {
      return decode(value.array(), value.arrayOffset() + value.position(), value.remaining());
    }
    byte[] copy = new byte[value.remaining()];
    value.duplicate().get(copy);
    return decode(copy, 0, copy.length);
  }

  private DecodedPoint decode(byte[] value, int offset, int length) throws BadRecordException {
    if (length == 0) {
      throw new BadRecordException(UNDECODABLE, "empty ArchivePoint value");
    }
    int header;
    if (value[offset] == 0) {
      header = confluentBody(value, offset, length);
      if (header < 0) {
        return decode(resolved(Arrays.copyOfRange(value, offset, offset + length)));
      }
    } else {
      if (length < HEADER || value[offset] != (byte) 0xC3 || value[offset + 1] != 0x01) {
        throw new BadRecordException(UNDECODABLE,
            "not Avro single-object encoding (expected 0xC3 0x01 header and an 8-byte fingerprint)");
      }
      long fingerprint = 0;
      for (int i = 9; i >= 2; i--) {
        fingerprint = (fingerprint << 8) | (value[offset + i] & 0xff);
      }
      if (fingerprint != FINGERPRINT) {
        // an earlier version of the schema (values written before an upgrade), or an unknown one
        return decode(earlierVersion(Arrays.copyOfRange(value, offset, offset + length)));
      }
      header = HEADER;
    }
    buf = value;
    pos = offset + header;
    end = offset + length;
    Series series;
    int archive;
    long timestamp;
    double pointValue;
    Object layoutOrProblem;
    boolean raw = false;
    long now = 0;
    try {
      int nameLength = readLength();
      series = series(pos, nameLength);
      pos += nameLength;
      archive = readInt();
      timestamp = readLong();
      need(8);
      pointValue = Double.longBitsToDouble(readLittleEndianLong());
      layoutOrProblem = layout();
      long branch = readLong();
      if (branch == 1) {
        raw = true;
        now = readLong();
      } else if (branch != 0) {
        throw new IOException("union branch " + branch + " of now outside [0, 1]");
      }
    } catch (IOException e) {
      throw new BadRecordException(UNDECODABLE,
          "corrupt ArchivePoint value (" + length + " bytes): " + e);
    } finally {
      buf = null;
    }
    if (layoutOrProblem instanceof String problem) {
      throw new BadRecordException(INVALID_LAYOUT, problem);
    }
    SeriesLayout layout = (SeriesLayout) layoutOrProblem;
    if (raw) {
      return raw(series, layout, archive, timestamp, pointValue, now);
    }
    if (archive < 0 || archive >= layout.archives().size()) {
      throw new BadRecordException(BAD_ARCHIVE_INDEX, "archive index " + archive + " outside the "
          + layout.archives().size() + " archives of " + layout.archives());
    }
    int step = layout.archives().get(archive).secondsPerPoint();
    if (timestamp < 0 || timestamp > MAX_U32) {
      throw new BadRecordException(BAD_TIMESTAMP,
          "timestamp " + timestamp + " does not fit Whisper's unsigned 32-bit timestamps");
    }
    if (series.problem() != null) {
      throw new BadRecordException(INVALID_NAME, series.problem());
    }
    long interval = timestamp - Math.floorMod(timestamp, step);
    return new DecodedPoint(series.metric(), series.path(), layout, step, interval, pointValue,
        DecodedPoint.NOT_RAW);
  }

  /** A raw point, which the sink applies with whisper's {@code update_many} at {@code now}. */
  private static DecodedPoint raw(Series series, SeriesLayout layout, int archive, long timestamp,
      double value, long now) throws BadRecordException {
    if (archive != RAW_ARCHIVE) {
      throw new BadRecordException(BAD_ARCHIVE_INDEX,
          "a raw point (now set) has archive " + archive + " instead of " + RAW_ARCHIVE);
    }
    if (timestamp < 0 || timestamp > MAX_U32 || now < 0 || now > MAX_U32) {
      throw new BadRecordException(BAD_TIMESTAMP, "raw point at " + timestamp + " with now " + now
          + ": does not fit Whisper's unsigned 32-bit timestamps");
    }
    if (series.problem() != null) {
      throw new BadRecordException(INVALID_NAME, series.problem());
    }
    return new DecodedPoint(series.metric(), series.path(), layout, 0, timestamp, value, now);
  }

  /**
   * A single-object value with another fingerprint: an earlier version of the schema is read with
   * Avro's schema resolution and encoded again in the current one; any other fingerprint is unknown.
   */
  private static byte[] earlierVersion(byte[] value) throws BadRecordException {
    try {
      return CURRENT.encode(CURRENT.decode(value));
    } catch (SerializationException e) {
      throw new BadRecordException(e.getCause() instanceof MissingSchemaException
          ? UNKNOWN_SCHEMA : UNDECODABLE, e.getMessage());
    }
  }

  /**
   * Where the body of a Confluent-framed value in the current schema starts (5), or -1 if it was written
   * with another registered version of the schema.
   *
   * @throws RegistryUnavailableException if its schema id is new and no registry answered: not the
   *     record's fault, so the caller retries rather than rejecting it
   */
  private int confluentBody(byte[] value, int offset, int length) throws BadRecordException {
    if (confluent == null) {
      throw new BadRecordException(UNDECODABLE, "value is in Confluent Schema Registry framing"
          + " (magic byte 0), which needs schema.registry.url");
    }
    return confluent.currentSchemaBodyOffset(value, offset, length);
  }

  /**
   * A value in another version of the schema (or an unknown id), read with Avro's schema resolution and
   * written again as single-object encoding in the current one; rare, so not worth a fast path.
   */
  private byte[] resolved(byte[] value) throws BadRecordException {
    ArchivePoint point;
    try {
      point = confluent.decode(value);
    } catch (RegistryUnavailableException e) {
      throw e;
    } catch (SerializationException e) {
      throw new BadRecordException(e.getCause() instanceof MissingSchemaException
          ? UNKNOWN_SCHEMA : UNDECODABLE, e.getMessage());
    }
    return CURRENT.encode(point);
  }

  // --- cached parts ----------------------------------------------------------------------------

  private Series series(int offset, int length) {
    probe.set(buf, offset, length);
    Series cached = names.get(probe);
    if (cached == null) {
      String metric = new String(buf, offset, length, StandardCharsets.UTF_8);
      try {
        cached = new Series(metric, SeriesPaths.resolve(whisperRoot, metric, hashTaggedNames), null);
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

  /** Skips over the layout's bytes, then looks them up; a new layout is read by Avro and validated. */
  private Object layout() throws IOException {
    int start = pos;
    while (true) {
      long count = readLong();
      if (count == 0) {
        break;
      }
      if (count < 0) {
        count = -count;
        readLong(); // the block's size in bytes
      }
      for (long i = 0; i < count; i++) {
        readInt();
        readInt();
      }
    }
    int methodLength = readLength();
    pos += methodLength;
    need(4);
    pos += 4;
    // consecutive records nearly always carry the same layout: compare with the last one first
    if (lastLayout != null && lastLayout.key().sameBytes(buf, start, pos - start)) {
      return lastLayout.layoutOrProblem();
    }
    probe.set(buf, start, pos - start);
    CachedLayout cached = layouts.get(probe);
    if (cached == null) {
      Bytes key = probe.copy();
      layoutDecoder = DecoderFactory.get().binaryDecoder(key.array, layoutDecoder);
      ArchiveLayout avro;
      try {
        avro = layoutReader.read(null, layoutDecoder);
      } catch (RuntimeException e) {
        throw new IOException(e.toString(), e);
      }
      cached = new CachedLayout(key, validate(avro));
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

  // --- Avro binary, as org.apache.avro.io.BinaryDecoder reads it ---------------------------------

  private void need(int n) throws IOException {
    if (end - pos < n) {
      throw new IOException("truncated at byte " + pos);
    }
  }

  /** A string's or bytes' length: a non-negative int with at least that many bytes left. */
  private int readLength() throws IOException {
    int n = readInt();
    if (n < 0) {
      throw new IOException("malformed data: length is negative: " + n);
    }
    need(n);
    return n;
  }

  /** Zig-zag varint of at most 5 bytes; higher bits of the fifth byte are dropped, as Avro does. */
  private int readInt() throws IOException {
    int n = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      need(1);
      int b = buf[pos++] & 0xff;
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (n >>> 1) ^ -(n & 1);
      }
    }
    throw new IOException("invalid int encoding");
  }

  /** Zig-zag varint of at most 10 bytes. */
  private long readLong() throws IOException {
    long n = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      need(1);
      long b = buf[pos++] & 0xff;
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (n >>> 1) ^ -(n & 1);
      }
    }
    throw new IOException("invalid long encoding");
  }

  private long readLittleEndianLong() {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (buf[pos + i] & 0xff);
    }
    pos += 8;
    return v;
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
      return Arrays.equals(array, offset, offset + length, other, otherOffset,
          otherOffset + otherLength);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && b.hash == hash && sameBytes(b.array, b.offset, b.length);
    }
  }
}

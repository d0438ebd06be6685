package io.graphitekafka.sink.consumer;

import static io.graphitekafka.sink.consumer.SinkTestSupport.SERDE;
import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.avro.ArchiveRetention;
import io.graphitekafka.schemas.serde.Layouts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {

  private static final SeriesLayout LAYOUT =
      new SeriesLayout(
          List.of(new ArchiveSpec(10, 360), new ArchiveSpec(60, 120)), AggregationMethod.MAX, 0.1f);
  private static final ArchiveLayout GOOD = Layouts.toAvro(LAYOUT);
  private static final Path ROOT = Path.of("/data/whisper");

  private final RecordDecoder decoder = new RecordDecoder(ROOT, true);

  private static byte[] encode(String metric, ArchiveLayout layout, int archive, long timestamp) {
    return SERDE.encode(new ArchivePoint(metric, archive, timestamp, 4.5, layout, null));
  }

  private String reasonFor(byte[] value) {
    try {
      decoder.decode(value);
    } catch (BadRecordException e) {
      assertThat(e.getMessage()).isNotBlank();
      return e.reason();
    }
    throw new AssertionError("accepted");
  }

  @Test
  void decodesAValidPointWithItsAlignedSlotAndFile() throws Exception {
    DecodedPoint p = decoder.decode(encode("servers.web01.cpu", GOOD, 1, 1_800_000_059L));
    assertThat(p)
        .isEqualTo(
            new DecodedPoint(
                "servers.web01.cpu",
                ROOT.resolve("servers/web01/cpu.wsp"),
                LAYOUT,
                60,
                1_800_000_000L,
                4.5,
                DecodedPoint.NOT_RAW));
  }

  @Test
  void putsTaggedSeriesUnderTaggedByHash() throws Exception {
    DecodedPoint p = decoder.decode(encode("cpu;host=a", GOOD, 0, 1_800_000_000L));
    assertThat(ROOT.relativize(p.path()).toString()).startsWith("_tagged/").endsWith(".wsp");
  }

  @Test
  void rejectsBytesThatAreNotAnArchivePoint() {
    assertThat(reasonFor("junk".getBytes(StandardCharsets.UTF_8))).isEqualTo("undecodable");
    assertThat(reasonFor(new byte[0])).isEqualTo("undecodable");
    assertThat(reasonFor(null)).isEqualTo("undecodable");
    byte[] truncated = encode("a.b", GOOD, 0, 1_800_000_000L);
    assertThat(reasonFor(Arrays.copyOf(truncated, 14))).isEqualTo("undecodable");
  }

  @Test
  void rejectsAnUnknownSchemaFingerprint() {
    byte[] value = encode("a.b", GOOD, 0, 1_800_000_000L);
    value[5] ^= 0x11;
    assertThat(reasonFor(value)).isEqualTo("unknown_schema");
  }

  @Test
  void rejectsInvalidLayouts() {
    List<ArchiveLayout> bad =
        List.of(
            new ArchiveLayout(GOOD.getArchives(), "median", 0.5f),
            new ArchiveLayout(
                List.of(new ArchiveRetention(60, 120), new ArchiveRetention(10, 360)),
                "average",
                0.5f),
            new ArchiveLayout(
                List.of(new ArchiveRetention(10, 360), new ArchiveRetention(15, 360)),
                "average",
                0.5f), // 15 is not a multiple of 10: whisper refuses it
            new ArchiveLayout(GOOD.getArchives(), "average", 1.5f),
            new ArchiveLayout(GOOD.getArchives(), "average", -0.1f),
            new ArchiveLayout(GOOD.getArchives(), "average", Float.NaN),
            new ArchiveLayout(List.of(), "average", 0.5f),
            new ArchiveLayout(List.of(new ArchiveRetention(0, 10)), "average", 0.5f));
    for (ArchiveLayout layout : bad) {
      assertThat(reasonFor(encode("a.b", layout, 0, 1_800_000_000L)))
          .as(layout.toString())
          .isEqualTo("invalid_layout");
    }
  }

  @Test
  void rejectsAnArchiveIndexOutsideTheLayout() {
    assertThat(reasonFor(encode("a.b", GOOD, 2, 1_800_000_000L))).isEqualTo("bad_archive_index");
    assertThat(reasonFor(encode("a.b", GOOD, -1, 1_800_000_000L))).isEqualTo("bad_archive_index");
  }

  @Test
  void rejectsSlotsOutsideWhispersUnsignedThirtyTwoBitTimestamps() throws Exception {
    assertThat(reasonFor(encode("a.b", GOOD, 0, 1L << 32))).isEqualTo("bad_timestamp");
    assertThat(reasonFor(encode("a.b", GOOD, 0, -1))).isEqualTo("bad_timestamp");
    assertThat(decoder.decode(encode("a.b", GOOD, 0, 0xFFFF_FFFFL)).interval())
        .isEqualTo(0xFFFF_FFFAL);
  }

  @Test
  void rejectsNamesThatCannotBeAFileInsideTheWhisperDirectory() {
    for (String name :
        List.of(
            "a..b", "a/b", "../x", "a/../../etc/passwd", ".hidden", "x.", "a.\0.b", "", "a. .b")) {
      assertThat(reasonFor(encode(name, GOOD, 0, 1_800_000_000L)))
          .as(name)
          .isEqualTo("invalid_name");
    }
  }

  private static byte[] encodeRaw(int archive, long timestamp, long now) {
    return SERDE.encode(new ArchivePoint("servers.web01.cpu", archive, timestamp, 4.5, GOOD, now));
  }

  @Test
  void decodesARawPointWithItsOwnTimestampAndNow() throws Exception {
    DecodedPoint p = decoder.decode(encodeRaw(-1, 1_800_000_059L, 1_800_000_100L));
    assertThat(p.raw()).isTrue();
    assertThat(p)
        .isEqualTo(
            new DecodedPoint(
                "servers.web01.cpu",
                ROOT.resolve("servers/web01/cpu.wsp"),
                LAYOUT,
                0,
                1_800_000_059L,
                4.5,
                1_800_000_100L));
  }

  @Test
  void rejectsARawPointWithAnArchiveIndexOrOutOfRangeTimes() {
    assertThat(reasonFor(encodeRaw(0, 1_800_000_059L, 1_800_000_100L)))
        .isEqualTo("bad_archive_index");
    assertThat(reasonFor(encodeRaw(-1, 1L << 32, 1_800_000_100L))).isEqualTo("bad_timestamp");
    assertThat(reasonFor(encodeRaw(-1, 1_800_000_059L, -1))).isEqualTo("bad_timestamp");
    assertThat(reasonFor(encodeRaw(-1, 1_800_000_059L, Long.MIN_VALUE))).isEqualTo("bad_timestamp");
  }

  @Test
  void readsValuesWrittenWithTheSchemaBeforeItHadNow() throws Exception {
    // The first version of the record, as the services wrote it before raw points existed.
    org.apache.avro.Schema v1;
    try (var in =
        getClass().getResourceAsStream("/io/graphitekafka/schemas/history/ArchivePoint-v1.avsc")) {
      v1 = new org.apache.avro.Schema.Parser().parse(in);
    }
    var record = new org.apache.avro.generic.GenericData.Record(v1);
    record.put("metric", "servers.web01.cpu");
    record.put("archive", 1);
    record.put("timestamp", 1_800_000_059L);
    record.put("value", 4.5);
    record.put(
        "layout",
        org.apache.avro.generic.GenericData.get().deepCopy(ArchiveLayout.getClassSchema(), GOOD));
    var encoder =
        new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
            org.apache.avro.generic.GenericData.get(), v1);
    java.nio.ByteBuffer encoded = encoder.encode(record);
    byte[] value =
        Arrays.copyOfRange(
            encoded.array(),
            encoded.arrayOffset() + encoded.position(),
            encoded.arrayOffset() + encoded.limit());

    DecodedPoint p = decoder.decode(value);
    assertThat(p)
        .isEqualTo(
            new DecodedPoint(
                "servers.web01.cpu",
                ROOT.resolve("servers/web01/cpu.wsp"),
                LAYOUT,
                60,
                1_800_000_000L,
                4.5,
                DecodedPoint.NOT_RAW));
    byte[] unknown = value.clone();
    unknown[3] ^= 0x21;
    assertThat(reasonFor(unknown)).isEqualTo("unknown_schema");
  }
}

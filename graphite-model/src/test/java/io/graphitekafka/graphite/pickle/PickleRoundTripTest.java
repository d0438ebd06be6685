package io.graphitekafka.graphite.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.graphitekafka.graphite.pickle.PickleWriter.Tuple;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pickle reader against Python's own pickler (every protocol, 0 to 5), the writer against
 * Python's unpickler restricted as graphite-web restricts it, and the reader against hostile
 * pickles.
 */
class PickleRoundTripTest {

  private static final Path PYTHON = Path.of("/usr/bin/python3");

  @TempDir Path dir;

  @Test
  void readsWhatPythonPicklesWithEveryProtocol() throws Exception {
    assumeTrue(Files.isExecutable(PYTHON), "skipped: /usr/bin/python3 is missing");
    String script =
        """
        import pickle, sys, base64
        values = [
            {'type': 'cache-query', 'metric': 'servers.web01.cpu'},
            {'type': 'get-metadata', 'metric': 'a.b', 'key': 'aggregationMethod'},
            {'type': 'cache-query', 'metric': 'disk.used;dc=\\u00e9u;host=h\\U0001f600'},
            {'type': 'cache-query-bulk', 'metrics': ['a', 'b' * 300, 'c']},
            [1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**63 - 1, -2**63, 2**64, -2**100],
            (1.5, -0.0, float('inf'), 1e300, None, True, False, (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)),
            {'nested': [{'x': [1, [2, [3]]]}], 7: 'int key'},
            ['shared', 'shared'] * 3,
        ]
        shared = ['x']
        values.append([shared, shared])
        for protocol in range(6):
            for v in values:
                print(protocol, base64.b64encode(pickle.dumps(v, protocol=protocol)).decode())
        """;
    List<String> lines = python(script, "");
    assertThat(lines).hasSize(6 * 9);
    for (String line : lines) {
      String[] parts = line.split(" ");
      byte[] pickle = Base64.getDecoder().decode(parts[1]);
      Object value = PickleReader.read(pickle);
      assertThat(value).as("protocol %s: %s", parts[0], parts[1]).isNotNull();
    }
    // the values, checked once each, from protocol 0 and protocol 5
    for (int protocol : new int[] {0, 2, 5}) {
      List<Object> read = new ArrayList<>();
      for (String line : lines) {
        if (line.startsWith(protocol + " ")) {
          read.add(PickleReader.read(Base64.getDecoder().decode(line.split(" ")[1])));
        }
      }
      assertThat(read.get(0))
          .isEqualTo(Map.of("type", "cache-query", "metric", "servers.web01.cpu"));
      assertThat(read.get(1))
          .isEqualTo(Map.of("type", "get-metadata", "metric", "a.b", "key", "aggregationMethod"));
      assertThat(((Map<?, ?>) read.get(2)).get("metric"))
          .isEqualTo("disk.used;dc=\u00e9u;host=h\uD83D\uDE00");
      assertThat(list(((Map<?, ?>) read.get(3)).get("metrics")))
          .containsExactly("a", "b".repeat(300), "c");
      assertThat(list(read.get(4)))
          .containsExactly(
              1L,
              -1L,
              255L,
              256L,
              65535L,
              65536L,
              -2147483648L,
              2147483648L,
              Long.MAX_VALUE,
              Long.MIN_VALUE,
              BigInteger.TWO.pow(64),
              BigInteger.TWO.pow(100).negate());
      List<Object> floats = list(read.get(5));
      assertThat(floats.subList(0, 7))
          .containsExactly(1.5, -0.0, Double.POSITIVE_INFINITY, 1e300, null, true, false);
      assertThat(floats.subList(7, 12))
          .containsExactly(
              List.of(),
              List.of(1L),
              List.of(1L, 2L),
              List.of(1L, 2L, 3L),
              List.of(1L, 2L, 3L, 4L));
      Map<?, ?> mixed = (Map<?, ?>) read.get(6);
      assertThat(mixed.get("nested"))
          .isEqualTo(List.of(Map.of("x", List.of(1L, List.of(2L, List.of(3L))))));
      assertThat(mixed.get(7L)).isEqualTo("int key");
      List<?> shared = (List<?>) read.get(8);
      assertThat(shared.get(0)).isSameAs(shared.get(1));
    }
    // bytes (protocol 3 on; before, Python pickles them through a global, which is refused)
    assertThat(PickleReader.read(new byte[] {(byte) 0x80, 3, 'C', 2, 'h', 'i', '.'}))
        .isEqualTo("hi".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void pythonReadsWhatTheWriterWritesWithoutAnyGlobal() throws Exception {
    assumeTrue(Files.isExecutable(PYTHON), "skipped: /usr/bin/python3 is missing");
    Map<String, Object> reply = new LinkedHashMap<>();
    List<Object> points = new ArrayList<>();
    for (int i = 0; i < 2_500; i++) { // more than one APPENDS batch
      points.add(Tuple.of(1_700_000_000.0 + 10 * i, i * 0.5));
    }
    reply.put("datapoints", points);
    Map<Object, Object> other = new LinkedHashMap<>();
    other.put("error", "unknown request type 'x' \u00e9");
    other.put(
        "values",
        List.of(
            0L, 255L, 256L, 65536L, -1L, Integer.MIN_VALUE, 1L << 40, Long.MIN_VALUE, true, false));
    other.put("nothing", null);
    other.put("t", Tuple.of(1L, 2L, 3L, 4L));
    other.put("empty", Tuple.of());
    String script =
        """
        import pickle, sys, io
        class Restricted(pickle.Unpickler):
            def find_class(self, module, name):
                raise pickle.UnpicklingError('global %s.%s' % (module, name))
        for hex in sys.stdin.read().split():
            v = Restricted(io.BytesIO(bytes.fromhex(hex))).load()
            if 'datapoints' in v:
                d = v['datapoints']
                print(len(d), d[0], d[-1], type(d[0]).__name__, type(d[0][0]).__name__)
            else:
                print(repr(v))
        """;
    String input =
        HexFormat.of().formatHex(PickleWriter.write(reply))
            + "\n"
            + HexFormat.of().formatHex(PickleWriter.write(other));
    List<String> out = python(script, input);
    assertThat(out.get(0)).isEqualTo("2500 (1700000000.0, 0.0) (1700024990.0, 1249.5) tuple float");
    assertThat(out.get(1))
        .isEqualTo(
            "{'error': \"unknown request type 'x' \u00e9\", 'values': [0, 255, 256, 65536, -1,"
                + " -2147483648, 1099511627776, -9223372036854775808, True, False], 'nothing':"
                + " None, 't': (1, 2, 3, 4), 'empty': ()}");
  }

  @Test
  void refusesAnythingButPlainContainersNamingTheOpcode() {
    // pickle.dumps of os.system('id') through __reduce__, protocol 2
    byte[] reduce =
        HexFormat.of().parseHex("8002636f730a73797374656d0a71005802000000696471018571025271032e");
    assertThatThrownBy(() -> PickleReader.read(reduce))
        .isInstanceOf(PickleException.class)
        .hasMessageContaining("GLOBAL");
    // protocol 4's STACK_GLOBAL
    byte[] stackGlobal = HexFormat.of().parseHex("80048c026f73948c0673797374656d9493942e");
    assertThatThrownBy(() -> PickleReader.read(stackGlobal))
        .isInstanceOf(PickleException.class)
        .hasMessageContaining("STACK_GLOBAL");
    for (int op : new int[] {'R', 'b', 'i', 'o', 0x81, 0x92, 'P', 'Q', 0x82, 0x8f, 0x96, 0x97}) {
      byte[] p = {(byte) 0x80, 5, (byte) op, '.'};
      assertThatThrownBy(() -> PickleReader.read(p))
          .as("opcode 0x%02x", op)
          .isInstanceOf(PickleException.class)
          .hasMessageContaining("not allowed");
    }
  }

  @Test
  void boundsWhatAHostilePickleCanMake() {
    // a 2 GiB string declared in a 10-byte pickle
    byte[] huge = {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a', 'b', '.'};
    assertThatThrownBy(() -> PickleReader.read(huge)).hasMessageContaining("exceeds");
    // 100 nested MARKs
    byte[] marks = new byte[102];
    marks[0] = (byte) 0x80;
    marks[1] = 2;
    java.util.Arrays.fill(marks, 2, 102, (byte) '(');
    assertThatThrownBy(() -> PickleReader.read(marks)).hasMessageContaining("nested");
    // a list appended to itself until it would be huge: bounded by items
    StringBuilder hex = new StringBuilder("8002" + "5d" + "7100"); // EMPTY_LIST, BINPUT 0
    hex.append("28"); // MARK
    for (int i = 0; i < 70_000; i++) {
      hex.append("6800"); // BINGET 0
    }
    hex.append("652e"); // APPENDS, STOP
    byte[] selfList = HexFormat.of().parseHex(hex);
    assertThatThrownBy(() -> PickleReader.read(selfList)).hasMessageContaining("items");
    // truncated, empty, never stopped, stack left over, a str that is not UTF-8
    assertThatThrownBy(() -> PickleReader.read(new byte[0])).hasMessageContaining("truncated");
    assertThatThrownBy(() -> PickleReader.read(new byte[] {(byte) 0x80, 2, ']'}))
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> PickleReader.read(new byte[] {(byte) 0x80, 2, ']', ']', '.'}))
        .hasMessageContaining("STOP with 2 values");
    assertThatThrownBy(() -> PickleReader.read(new byte[] {(byte) 0x80, 6, 'N', '.'}))
        .hasMessageContaining("protocol 6");
    assertThatThrownBy(() -> PickleReader.read(new byte[] {(byte) 0x8c, 2, (byte) 0xc3, 0x28, '.'}))
        .hasMessageContaining("UTF-8");
    assertThatThrownBy(() -> PickleReader.read(new byte[] {'h', 5, '.'}))
        .hasMessageContaining("never put");
    assertThatThrownBy(() -> PickleReader.read(new byte[] {'s', '.'}))
        .hasMessageContaining("underflow");
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  private List<String> python(String script, String stdin)
      throws IOException, InterruptedException {
    Path file = dir.resolve("script.py");
    Files.writeString(file, script);
    Process p =
        new ProcessBuilder(PYTHON.toString(), file.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("python exit status; output:\n" + out).isZero();
    return out.lines().toList();
  }
}

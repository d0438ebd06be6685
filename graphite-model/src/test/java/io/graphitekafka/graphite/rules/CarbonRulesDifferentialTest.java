package io.graphitekafka.graphite.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random rules, names and values, answered by carbon 1.1.7's own {@code aggregator/rules.py} and
 * {@code rewrite.py} (Debian's graphite-carbon under {@code /usr/bin/python3}) and by this package:
 * the answers must be equal, bit for bit for the methods.
 */
class CarbonRulesDifferentialTest {

  private static final String US = "\u001f";
  private static final String NONE = "\u0000NONE";
  private static final String ERR = "\u0000ERR";
  private static final int CASES = 1500;

  @TempDir static Path dir;
  private static Process oracle;
  private static Writer toOracle;
  private static BufferedReader fromOracle;

  @BeforeAll
  static void startCarbon() throws IOException, InterruptedException {
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python), "skipped: /usr/bin/python3 is missing");
    Process probe =
        new ProcessBuilder(
                python.toString(), "-c", "import carbon.aggregator.rules, carbon.rewrite")
            .redirectErrorStream(true)
            .start();
    assumeTrue(
        probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0,
        "skipped: carbon 1.1.7 is not importable (apt-get install graphite-carbon)");
    Path script = dir.resolve("carbon_rules_oracle.py");
    try (InputStream in =
        CarbonRulesDifferentialTest.class.getResourceAsStream("/rules/carbon_rules_oracle.py")) {
      Files.copy(in, script);
    }
    oracle =
        new ProcessBuilder(python.toString(), script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    toOracle = new OutputStreamWriter(oracle.getOutputStream(), StandardCharsets.UTF_8);
    fromOracle =
        new BufferedReader(new InputStreamReader(oracle.getInputStream(), StandardCharsets.UTF_8));
  }

  @AfterAll
  static void stopCarbon() throws IOException {
    if (oracle != null) {
      toOracle.close();
      oracle.destroy();
    }
  }

  private static String ask(String... fields) throws IOException {
    toOracle.write(String.join("\t", fields) + "\n");
    toOracle.flush();
    String answer = fromOracle.readLine();
    assertThat(answer).as("carbon's answer to %s", String.join(" | ", fields)).isNotNull();
    return answer;
  }

  @Test
  void everyMethodEqualsCarbonsBitForBit() throws IOException {
    Random random = new Random(18);
    for (int i = 0; i < CASES; i++) {
      RuleMethod method = RuleMethod.values()[random.nextInt(RuleMethod.values().length)];
      double[] values = randomValues(random);
      String hex =
          java.util.Arrays.stream(values)
              .mapToObj(Double::toHexString)
              .collect(Collectors.joining(US));
      double carbon = parseHex(ask("method", method.carbonName(), hex));
      double ours = method.apply(values, values.length);
      assertThat(Double.doubleToRawLongBits(ours))
          .as("%s over %s: carbon %s, ours %s", method, hex, carbon, ours)
          .isEqualTo(Double.doubleToRawLongBits(carbon));
    }
  }

  @Test
  void aggregateOutputsEqualCarbons() throws IOException {
    Random random = new Random(1887);
    int accepted = 0;
    int matched = 0;
    for (int i = 0; i < CASES; i++) {
      List<String> names = randomNames(random, 6);
      String input = randomInputPattern(random, names);
      String output = randomTemplate(random, input);
      RuleMethod method = RuleMethod.values()[random.nextInt(RuleMethod.values().length)];
      String[] carbon =
          ask("rule", output, method.carbonName(), input, String.join(US, names)).split(US, -1);
      AggregateRule rule;
      try {
        rule = AggregateRule.parse(output + " (60) = " + method.carbonName() + " " + input);
      } catch (IllegalArgumentException refused) {
        // Refused here: carbon either cannot build it or fails on every name it matches.
        for (String answer : carbon) {
          assertThat(answer)
              .as("%s <- %s refused: %s", output, input, refused.getMessage())
              .isIn(ERR, NONE);
        }
        continue;
      }
      accepted++;
      for (int n = 0; n < names.size(); n++) {
        String ours = rule.outputFor(names.get(n));
        matched += ours == null ? 0 : 1;
        assertThat(ours == null ? NONE : ours)
            .as("%s <- %s on %s", output, input, names.get(n))
            .isEqualTo(carbon[n]);
      }
    }
    assertThat(accepted).as("rules accepted").isGreaterThan(CASES / 3);
    assertThat(matched).as("names matched").isGreaterThan(CASES / 2);
  }

  @Test
  void rewritesEqualCarbons() throws IOException {
    Random random = new Random(751);
    int accepted = 0;
    for (int i = 0; i < CASES; i++) {
      String pattern = randomRewritePattern(random);
      String replacement = randomReplacement(random);
      List<String> names = randomNames(random, 4);
      String[] carbon = ask("rewrite", pattern, replacement, String.join(US, names)).split(US, -1);
      RewriteRule rule;
      try {
        rule = RewriteRule.of(pattern, replacement);
      } catch (IllegalArgumentException refused) {
        for (String answer : carbon) {
          assertThat(answer)
              .as("%s = %s refused: %s", pattern, replacement, refused.getMessage())
              .isEqualTo(ERR);
        }
        continue;
      }
      accepted++;
      for (int n = 0; n < names.size(); n++) {
        assertThat(escape(rule.apply(names.get(n))))
            .as("%s = %s on %s", pattern, replacement, names.get(n))
            .isEqualTo(carbon[n]);
      }
    }
    assertThat(accepted).as("rewrites accepted").isGreaterThan(CASES / 3);
  }

  /** The oracle's escaping of its answer lines. */
  private static String escape(String text) {
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n");
  }

  private static double parseHex(String hex) {
    return switch (hex) {
      case "inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> Double.parseDouble(hex);
    };
  }

  private static double[] randomValues(Random random) {
    double[] values = new double[1 + random.nextInt(random.nextBoolean() ? 5 : 60)];
    for (int i = 0; i < values.length; i++) {
      values[i] =
          switch (random.nextInt(8)) {
            case 0 -> random.nextInt(100);
            case 1 -> -0.0;
            case 2 -> 0.0;
            case 3 -> random.nextGaussian() * 1e17;
            case 4 -> random.nextDouble() * 1e-300;
            case 5 -> random.nextInt(20) == 0 ? Double.POSITIVE_INFINITY : 0.1 * random.nextInt(10);
            default -> random.nextGaussian() * 1000;
          };
    }
    return values;
  }

  private static final String[] WORDS = {"prod", "web", "db", "host1", "host22", "requests", "a_b"};

  private static List<String> randomNames(Random random, int count) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int parts = 1 + random.nextInt(4);
      StringBuilder name = new StringBuilder();
      for (int p = 0; p < parts; p++) {
        name.append(p == 0 ? "" : ".").append(WORDS[random.nextInt(WORDS.length)]);
      }
      if (random.nextInt(10) == 0) {
        name.append(";dc=").append(WORDS[random.nextInt(WORDS.length)]);
      }
      names.add(name.toString());
    }
    return names;
  }

  private static final String[] SEGMENTS = {
    "prod",
    "web",
    "*",
    "host*",
    "<app>",
    "<<rest>>",
    "host<n>",
    "<x_y>",
    "\\w+",
    "(db|web)",
    "h[0-9]+",
    "<a>x<b>",
    "pr<<p>>",
    "req*s",
    "*s",
    "<",
    ">>x<<y",
    "web|db",
    "hos?t1"
  };

  /** For each of {@link #SEGMENTS}, a name segment it matches, or null. */
  private static final String[] SEGMENT_EXAMPLES = {
    "prod",
    "web",
    "db",
    "host7",
    "web",
    "a.b",
    "host42",
    "db",
    "h_1",
    "db",
    "h12",
    "axb",
    "prod.x",
    "reqs",
    "requests",
    null,
    null,
    "db",
    "hot1"
  };

  /** An input pattern, with names it should match in {@code examples}. */
  private static String randomInputPattern(Random random, List<String> examples) {
    int parts = 1 + random.nextInt(4);
    List<String> segments = new ArrayList<>();
    List<String> example = new ArrayList<>();
    for (int p = 0; p < parts; p++) {
      int pick = random.nextInt(SEGMENTS.length);
      segments.add(SEGMENTS[pick]);
      example.add(SEGMENT_EXAMPLES[pick]);
    }
    if (!example.contains(null)) {
      examples.add(String.join(".", example));
      examples.add(String.join(".", example) + ";dc=web");
    }
    return String.join(".", segments);
  }

  private static String randomTemplate(Random random, String input) {
    List<String> fields = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<<?([a-z_]*)>").matcher(input);
    while (m.find()) {
      fields.add(m.group(1));
    }
    StringBuilder out = new StringBuilder("agg");
    int parts = 1 + random.nextInt(3);
    for (int p = 0; p < parts; p++) {
      out.append('.');
      int pick = random.nextInt(10);
      if (pick < 6 && !fields.isEmpty()) {
        out.append('<').append(fields.get(random.nextInt(fields.size()))).append('>');
      } else if (pick == 6) {
        out.append("<missing>");
      } else if (pick == 7) {
        out.append(random.nextBoolean() ? "100%" : "<<").append("x");
      } else {
        out.append("all");
      }
    }
    return out.toString();
  }

  private static final String[] REWRITE_PATTERNS = {
    "\\.",
    "^prod\\.",
    "host(\\d+)",
    "(?P<word>[a-z]+)",
    "(a)|(b)",
    "x*",
    "\\d",
    "[",
    "_",
    "(?i)WEB",
    "$",
    "^"
  };

  private static String randomRewritePattern(Random random) {
    return REWRITE_PATTERNS[random.nextInt(REWRITE_PATTERNS.length)];
  }

  private static final String[] REPLACEMENT_PIECES = {
    "_",
    "n",
    "\\1",
    "\\2",
    "\\g<0>",
    "\\g<word>",
    "\\g<1>",
    "\\g< 1>",
    "\\n",
    "\\.",
    "\\\\",
    "\\012",
    "\\0",
    "\\q",
    "\\g<x",
    "\\9",
    "\\18",
    "\\g<nope>",
    "%",
    "$1"
  };

  private static String randomReplacement(Random random) {
    StringBuilder out = new StringBuilder();
    int parts = random.nextInt(4);
    for (int p = 0; p < parts; p++) {
      out.append(REPLACEMENT_PIECES[random.nextInt(REPLACEMENT_PIECES.length)]);
    }
    return out.toString();
  }
}

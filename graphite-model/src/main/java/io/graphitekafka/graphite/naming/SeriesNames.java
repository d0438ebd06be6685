package io.graphitekafka.graphite.naming;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates series names and normalizes tagged ones the way carbon-cache does before storing them
 * (carbon util.py {@code TaggedSeries.parse(...).path}): tags sorted as {@code ;tag=value} strings
 * in code-point order, the last duplicate winning, leading {@code ~} dropped from the name.
 *
 * <p>Departures from carbon, which stores almost anything: names with {@code /}, NUL, whitespace,
 * control characters or unpaired surrogates, an empty dot-separated component in the metric part,
 * more than {@value #MAX_NAME_BYTES} UTF-8 bytes in all, or a component over {@value
 * #MAX_COMPONENT_BYTES} bytes (255 minus {@code .wsp}) are rejected; a tag section carbon cannot
 * parse (carbon logs it and stores the raw name) is rejected as {@code bad_tag}; so are an
 * OpenMetrics name containing {@code ;} and a result that carbon would re-read as OpenMetrics,
 * since neither survives a second normalization. As in carbon, a tag called {@code name} is
 * replaced by the metric name, so {@code a.b;name=x} normalizes to {@code a.b}.
 */
public final class SeriesNames {

  /** Longest normalized name, in UTF-8 bytes. */
  public static final int MAX_NAME_BYTES = 1024;

  /**
   * Longest dot-separated component of the metric part, in UTF-8 bytes, leaving room for ".wsp".
   */
  public static final int MAX_COMPONENT_BYTES = 251;

  /** Orders strings by Unicode code point, as Python compares {@code str}. */
  public static final Comparator<String> CODE_POINT_ORDER = SeriesNames::compareCodePoints;

  private SeriesNames() {}

  /**
   * Returns the normalized form of a raw series name: a plain name unchanged (after validation), a
   * tagged name ({@code name;tag=value;...} or {@code name{tag="value",...}}) in carbon's
   * normalized form.
   *
   * @throws InvalidSeriesNameException with a stable {@link InvalidSeriesNameException#reason()}
   */
  public static String normalize(String raw) {
    if (raw == null || raw.isEmpty()) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.EMPTY_NAME, raw, "empty name");
    }
    if (raw.length() > 4 * MAX_NAME_BYTES) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.TOO_LONG, raw, "longer than " + MAX_NAME_BYTES + " bytes");
    }
    checkCharacters(raw);
    String metric;
    Map<String, String> tags = new LinkedHashMap<>();
    // carbon util.py TaggedSeries.parse: the OpenMetrics form is chosen by its last two characters.
    if (raw.endsWith("\"}") && raw.indexOf('{') >= 0) {
      metric = parseOpenMetrics(raw, tags);
    } else {
      metric = parseCarbon(raw, tags);
    }
    // carbon util.py sanitize_name_as_tag_value: lstrip('~').
    int start = 0;
    while (start < metric.length() && metric.charAt(start) == '~') {
      start++;
    }
    String name = metric.substring(start);
    if (name.isEmpty()) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.EMPTY_NAME, raw, "the metric name is empty or only '~'");
    }
    checkComponents(raw, name);
    // carbon util.py TaggedSeries: tags['name'] is overwritten by the metric and left out of the
    // tags.
    tags.remove("name");
    List<String> segments = new ArrayList<>(tags.size());
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      segments.add(";" + tag.getKey() + "=" + tag.getValue());
    }
    segments.sort(CODE_POINT_ORDER);
    StringBuilder sb = new StringBuilder(name);
    segments.forEach(sb::append);
    String normalized = sb.toString();
    if (normalized.endsWith("\"}") && normalized.indexOf('{') >= 0) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.BAD_TAG,
          raw,
          "the normalized name " + normalized + " would be read back as the OpenMetrics form");
    }
    int bytes = normalized.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_NAME_BYTES) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.TOO_LONG,
          raw,
          "the normalized name has " + bytes + " UTF-8 bytes, over " + MAX_NAME_BYTES);
    }
    return normalized;
  }

  /** Whether a normalized name is tagged, so that it is stored under {@code _tagged}. */
  public static boolean isTagged(String normalizedName) {
    return normalizedName.indexOf(';') >= 0;
  }

  private static void checkCharacters(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      String problem = null;
      if (c == '/') {
        problem = "'/'";
      } else if (c == 0) {
        problem = "NUL";
      } else if (Character.isISOControl(c)) {
        problem = String.format("control character U+%04X", (int) c);
      } else if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        problem = String.format("whitespace U+%04X", (int) c);
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 < raw.length() && Character.isLowSurrogate(raw.charAt(i + 1))) {
          i++;
        } else {
          problem = "an unpaired surrogate";
        }
      } else if (Character.isLowSurrogate(c)) {
        problem = "an unpaired surrogate";
      }
      if (problem != null) {
        throw new InvalidSeriesNameException(
            InvalidSeriesNameException.BAD_CHARACTER, raw, problem + " at index " + i);
      }
    }
  }

  private static void checkComponents(String raw, String name) {
    int start = 0;
    while (true) {
      int dot = name.indexOf('.', start);
      int end = dot < 0 ? name.length() : dot;
      if (end == start) {
        throw new InvalidSeriesNameException(
            InvalidSeriesNameException.EMPTY_COMPONENT,
            raw,
            "empty component at index "
                + start
                + " of the metric name (carbon would make '//' or '.wsp')");
      }
      int bytes = name.substring(start, end).getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_COMPONENT_BYTES) {
        throw new InvalidSeriesNameException(
            InvalidSeriesNameException.TOO_LONG,
            raw,
            "a component has " + bytes + " UTF-8 bytes, over " + MAX_COMPONENT_BYTES);
      }
      if (dot < 0) {
        return;
      }
      start = dot + 1;
    }
  }

  // carbon util.py TaggedSeries.parse_carbon
  private static String parseCarbon(String raw, Map<String, String> tags) {
    String[] segments = raw.split(";", -1);
    for (int i = 1; i < segments.length; i++) {
      String segment = segments[i];
      int eq = segment.indexOf('=');
      if (eq <= 0) {
        throw new InvalidSeriesNameException(
            InvalidSeriesNameException.BAD_TAG,
            raw,
            "tag segment '" + segment + "' is not tag=value with a non-empty tag");
      }
      String tag = segment.substring(0, eq);
      String value = segment.substring(eq + 1);
      validateTag(raw, tag, value);
      tags.put(tag, value);
    }
    return segments[0];
  }

  // carbon util.py TaggedSeries.parse_openmetrics and its pattern
  // ([^=]+)="((?:[\\]["\\]|[^"\\])+)"(:?,|$) applied repeatedly to the text between the braces.
  private static String parseOpenMetrics(String raw, Map<String, String> tags) {
    int brace = raw.indexOf('{');
    String metric = raw.substring(0, brace);
    String rest = raw.substring(brace + 1, raw.length() - 1);
    if (rest.indexOf('{') >= 0) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.BAD_TAG, raw, "more than one '{' in the OpenMetrics form");
    }
    if (metric.isEmpty()) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.EMPTY_NAME, raw, "no metric name before '{'");
    }
    if (metric.indexOf(';') >= 0) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.BAD_TAG,
          raw,
          "';' in the metric name of the OpenMetrics form");
    }
    int i = 0;
    while (i < rest.length()) {
      int eq = rest.indexOf('=', i);
      if (eq <= i || eq + 1 >= rest.length() || rest.charAt(eq + 1) != '"') {
        throw badSegment(raw, rest.substring(i));
      }
      String tag = rest.substring(i, eq);
      StringBuilder value = new StringBuilder();
      int j = eq + 2;
      while (j < rest.length() && rest.charAt(j) != '"') {
        char c = rest.charAt(j);
        if (c == '\\') {
          if (j + 1 < rest.length() && (rest.charAt(j + 1) == '"' || rest.charAt(j + 1) == '\\')) {
            value.append(rest.charAt(j + 1));
            j += 2;
            continue;
          }
          throw badSegment(raw, rest.substring(i));
        }
        value.append(c);
        j++;
      }
      if (j >= rest.length() || value.length() == 0) {
        throw badSegment(raw, rest.substring(i));
      }
      j++; // closing quote
      if (j < rest.length()) {
        if (rest.charAt(j) == ',') {
          j++;
        } else if (rest.startsWith(":,", j)) {
          j += 2;
        } else {
          throw badSegment(raw, rest.substring(i));
        }
      }
      validateTag(raw, tag, value.toString());
      tags.put(tag, value.toString());
      i = j;
    }
    return metric;
  }

  private static InvalidSeriesNameException badSegment(String raw, String segment) {
    return new InvalidSeriesNameException(
        InvalidSeriesNameException.BAD_TAG,
        raw,
        "invalid OpenMetrics segment '" + segment + "' (expected tag=\"value\")");
  }

  // carbon util.py TaggedSeries.validateTagAndValue
  private static void validateTag(String raw, String tag, String value) {
    if (value.isEmpty()) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.BAD_TAG, raw, "empty value for tag '" + tag + "'");
    }
    for (char c : new char[] {';', '!', '^', '='}) {
      if (tag.indexOf(c) >= 0) {
        throw new InvalidSeriesNameException(
            InvalidSeriesNameException.BAD_TAG,
            raw,
            "'" + c + "' is not allowed in tag '" + tag + "'");
      }
    }
    if (value.indexOf(';') >= 0) {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.BAD_TAG,
          raw,
          "';' is not allowed in the value of tag '" + tag + "'");
    }
    if (value.charAt(0) == '~') {
      throw new InvalidSeriesNameException(
          InvalidSeriesNameException.BAD_TAG,
          raw,
          "the value of tag '" + tag + "' starts with '~'");
    }
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}

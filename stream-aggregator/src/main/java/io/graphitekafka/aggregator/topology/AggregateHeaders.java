package io.graphitekafka.aggregator.topology;

import io.graphitekafka.graphite.rules.AggregateRule;
import io.graphitekafka.graphite.rules.RuleMethod;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The headers that say what a point on the rules topic is for. A point with {@code
 * aggregate.method} is an input of the aggregate its key names, with the rule's method and
 * frequency, and {@code aggregate.input} names the series it came from; a point without is a series
 * renamed by the rewrite rules, passed on under its new name. Between processors of one task,
 * {@code reject.reason} and {@code reject.detail} send a point to the rejects.
 */
final class AggregateHeaders {

  static final String METHOD = "aggregate.method";
  static final String FREQUENCY = "aggregate.frequency";
  static final String INPUT = "aggregate.input";
  static final String REJECT_REASON = "reject.reason";
  static final String REJECT_DETAIL = "reject.detail";

  private AggregateHeaders() {}

  /** Marks a record as an input of {@code rule}'s aggregate, from the series {@code input}. */
  static void aggregateInput(Headers headers, AggregateRule rule, String input) {
    headers.add(METHOD, utf8(rule.method().carbonName()));
    headers.add(FREQUENCY, utf8(Integer.toString(rule.frequency())));
    headers.add(INPUT, utf8(input));
  }

  /** A copy of {@code record}, without its headers, marked for the rejects with a reason. */
  static <V> Record<String, V> rejected(Record<String, V> record, String reason, String detail) {
    Record<String, V> rejected = new Record<>(record.key(), record.value(), record.timestamp());
    rejected.headers().add(REJECT_REASON, utf8(reason));
    rejected.headers().add(REJECT_DETAIL, utf8(detail));
    return rejected;
  }

  /** The method of an aggregate input, or null for a renamed series. */
  static RuleMethod method(Headers headers) {
    String name = text(headers, METHOD);
    return name == null ? null : RuleMethod.fromName(name);
  }

  static int frequency(Headers headers) {
    return Integer.parseInt(text(headers, FREQUENCY));
  }

  /** A header's value as text, or null if the record has none. */
  static String text(Headers headers, String key) {
    Header h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

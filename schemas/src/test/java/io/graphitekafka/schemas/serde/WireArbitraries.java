package io.graphitekafka.schemas.serde;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/** Field values for the wire-format properties, weighted towards the edges of their encodings. */
final class WireArbitraries {

  private WireArbitraries() {}

  static Arbitrary<String> names() {
    return Arbitraries.frequencyOf(
        Tuple.of(
            6,
            Arbitraries.strings().withChars("abcxyz._-0123456789").ofMinLength(1).ofMaxLength(80)),
        Tuple.of(
            2, Arbitraries.strings().all().ofMaxLength(40)), // any char, lone surrogates included
        Tuple.of(1, Arbitraries.strings().withChars("é€😀;=~ ").ofMaxLength(200)),
        Tuple.of(1, Arbitraries.just("")));
  }

  static Arbitrary<Long> longs() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.longs().between(0, 0xFFFF_FFFFL)),
        Tuple.of(2, Arbitraries.longs()),
        Tuple.of(
            1,
            Arbitraries.of(
                0L,
                -1L,
                63L,
                64L,
                -64L,
                -65L,
                Long.MIN_VALUE,
                Long.MAX_VALUE,
                (long) Integer.MAX_VALUE,
                (long) Integer.MIN_VALUE)));
  }

  static Arbitrary<Double> doubles() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.doubles()),
        Tuple.of(1, Arbitraries.longs().map(Double::longBitsToDouble)), // every NaN payload too
        Tuple.of(
            1,
            Arbitraries.of(
                0.0,
                -0.0,
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY,
                Double.MIN_VALUE,
                Double.MAX_VALUE)));
  }
}

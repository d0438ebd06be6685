package io.graphitekafka.graphite.storage;

/** The aggregation method and xFilesFactor a new Whisper file gets. */
public record AggregationRule(AggregationMethod method, float xFilesFactor) {

  /** whisper.create's defaults, used when nothing in storage-aggregation.conf says otherwise. */
  public static final AggregationRule DEFAULT =
      new AggregationRule(AggregationMethod.AVERAGE, 0.5f);

  public AggregationRule {
    if (method == null) {
      throw new IllegalArgumentException("method must not be null");
    }
    if (!(xFilesFactor >= 0f && xFilesFactor <= 1f)) {
      throw new IllegalArgumentException("xFilesFactor must be within [0, 1], was " + xFilesFactor);
    }
  }
}

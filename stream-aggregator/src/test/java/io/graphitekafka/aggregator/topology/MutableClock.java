package io.graphitekafka.aggregator.topology;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests set by hand, in whole seconds. */
public final class MutableClock extends Clock {

  private volatile long epochSecond;

  public MutableClock(long epochSecond) {
    this.epochSecond = epochSecond;
  }

  public void set(long epochSecond) {
    this.epochSecond = epochSecond;
  }

  public long now() {
    return epochSecond;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochSecond(epochSecond);
  }
}

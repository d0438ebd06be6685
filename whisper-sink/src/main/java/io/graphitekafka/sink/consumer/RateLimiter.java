package io.graphitekafka.sink.consumer;

import java.util.function.LongSupplier;

/**
 * A token bucket (carbon's {@code TokenBucket}): tokens refill at a steady rate up to a burst
 * capacity. Callers either take one token if there is one, or take many at once and run into debt,
 * which they then wait out; an infinite rate never limits.
 */
final class RateLimiter {

  private final double perNano;
  private final double capacity;
  private final LongSupplier nanoClock;
  private double tokens;
  private long last;

  /**
   * @param perSecond tokens added per second; {@link Double#POSITIVE_INFINITY} for no limit
   * @param capacity the most tokens the bucket holds (the burst), at least 1
   */
  RateLimiter(double perSecond, double capacity, LongSupplier nanoClock) {
    this.perNano = perSecond / 1e9;
    this.capacity = Math.max(1, capacity);
    this.nanoClock = nanoClock;
    this.tokens = this.capacity;
    this.last = nanoClock.getAsLong();
  }

  /** A bucket that holds one second's worth of tokens. */
  static RateLimiter perSecond(double perSecond, LongSupplier nanoClock) {
    return new RateLimiter(perSecond, perSecond, nanoClock);
  }

  boolean unlimited() {
    return Double.isInfinite(perNano);
  }

  /** Takes one token if there is one. */
  boolean tryAcquire() {
    if (unlimited()) {
      return true;
    }
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Takes {@code n} tokens whether or not there are enough; the bucket may go into debt. */
  void consume(long n) {
    if (unlimited()) {
      return;
    }
    refill();
    tokens -= n;
  }

  /** Whether a token can be taken now (at least one whole token in the bucket). */
  boolean hasToken() {
    if (unlimited()) {
      return true;
    }
    refill();
    return tokens >= 1;
  }

  /** The tokens in the bucket now, negative in debt; infinite without a limit. */
  double available() {
    if (unlimited()) {
      return Double.POSITIVE_INFINITY;
    }
    refill();
    return tokens;
  }

  /** Whether more tokens were taken than the bucket has had. */
  boolean inDebt() {
    if (unlimited()) {
      return false;
    }
    refill();
    return tokens < 0;
  }

  /** Nanoseconds until the bucket holds at least {@code level} tokens; 0 if it does now. */
  long nanosUntil(double level) {
    if (unlimited()) {
      return 0;
    }
    refill();
    return tokens >= level ? 0 : (long) Math.ceil((level - tokens) / perNano);
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(capacity, tokens + (now - last) * perNano);
    last = now;
  }
}

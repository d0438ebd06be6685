package io.graphitekafka.sink.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private final AtomicLong nanos = new AtomicLong();

  @Test
  void allowsABurstOfOneSecondThenRefillsAtTheRate() {
    RateLimiter limiter = RateLimiter.perSecond(10, nanos::get);
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.tryAcquire()).as("token " + i).isTrue();
    }
    assertThat(limiter.tryAcquire()).isFalse();
    assertThat(limiter.nanosUntil(1)).isEqualTo(100_000_000L);
    nanos.addAndGet(250_000_000L);
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isTrue();
    assertThat(limiter.tryAcquire()).isFalse();
    nanos.addAndGet(60_000_000_000L);
    assertThat(limiter.nanosUntil(10)).isZero(); // never more than the burst
    for (int i = 0; i < 10; i++) {
      limiter.tryAcquire();
    }
    assertThat(limiter.hasToken()).isFalse();
  }

  @Test
  void goesIntoDebtForBulkUseAndStaysThereUntilRepaid() {
    RateLimiter limiter = RateLimiter.perSecond(20, nanos::get);
    limiter.consume(60);
    assertThat(limiter.inDebt()).isTrue();
    assertThat(limiter.nanosUntil(0)).isEqualTo(2_000_000_000L);
    nanos.addAndGet(1_900_000_000L);
    assertThat(limiter.inDebt()).isTrue();
    nanos.addAndGet(100_000_000L);
    assertThat(limiter.inDebt()).isFalse();
  }

  @Test
  void anInfiniteRateNeverLimits() {
    RateLimiter limiter = RateLimiter.perSecond(Double.POSITIVE_INFINITY, nanos::get);
    limiter.consume(Long.MAX_VALUE / 2);
    assertThat(limiter.inDebt()).isFalse();
    for (int i = 0; i < 1000; i++) {
      assertThat(limiter.tryAcquire()).isTrue();
    }
  }
}

package io.graphitekafka.aggregator.carbonlink;

import static org.assertj.core.api.Assertions.assertThat;

import io.graphitekafka.aggregator.carbonlink.RecentPoints.Point;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentPointsTest {

  private final AtomicLong clock = new AtomicLong(0);
  private final RecentPoints recent = new RecentPoints(Duration.ofSeconds(10), clock::get);

  @Test
  void keepsEachSeriesPointsInArrivalOrderForTheWindow() {
    recent.add("a", 100, 1);
    recent.add("b", 100, 5);
    clock.set(Duration.ofSeconds(6).toNanos());
    recent.add("a", 90, 2); // late: kept in arrival order, as carbon-cache's cache keeps it
    recent.add("a", 110, 3);

    assertThat(recent.get("a"))
        .containsExactly(new Point(100, 1), new Point(90, 2), new Point(110, 3));
    assertThat(recent.pointCount()).isEqualTo(4);

    clock.set(Duration.ofSeconds(12).toNanos());
    assertThat(recent.get("a")).containsExactly(new Point(90, 2), new Point(110, 3));
    assertThat(recent.get("b")).isEmpty();
    assertThat(recent.expireIdle()).as("series b forgotten").isEqualTo(1);
    assertThat(recent.seriesCount()).isEqualTo(1);
    assertThat(recent.pointCount()).isEqualTo(2);
    assertThat(recent.get("never")).isEmpty();
  }

  @Test
  void keepsPointsLongerWhileTheSinksAreBehind() {
    recent.add("a", 100, 1);
    recent.hold(Duration.ofSeconds(30).toNanos());
    clock.set(Duration.ofSeconds(39).toNanos());
    recent.add("a", 110, 2);
    assertThat(recent.get("a")).containsExactly(new Point(100, 1), new Point(110, 2));
    assertThat(recent.expireIdle()).isZero();

    clock.set(Duration.ofSeconds(41).toNanos());
    assertThat(recent.get("a")).containsExactly(new Point(110, 2));
    recent.hold(0); // the sinks caught up: back to the window alone
    clock.set(Duration.ofSeconds(50).toNanos());
    assertThat(recent.get("a")).isEmpty();
    assertThat(recent.expireIdle()).isEqualTo(1);
  }

  @Test
  void holdsAtMostMaxPerSeriesDroppingTheOldest() {
    for (int i = 0; i < RecentPoints.MAX_PER_SERIES + 10; i++) {
      recent.add("busy", i, i);
    }
    List<Point> points = recent.get("busy");
    assertThat(points).hasSize(RecentPoints.MAX_PER_SERIES);
    assertThat(points.get(0)).isEqualTo(new Point(10, 10));
    assertThat(recent.pointCount()).isEqualTo(RecentPoints.MAX_PER_SERIES);
  }

  @Test
  void aSeriesForgottenWhileAPointArrivesKeepsThePoint() throws Exception {
    clock.set(0);
    recent.add("s", 1, 1);
    clock.set(Duration.ofSeconds(20).toNanos());
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int base = t * 1000;
      threads.add(
          new Thread(
              () -> {
                for (int i = 0; i < 1000; i++) {
                  recent.add("s", base + i, i);
                  if (i % 50 == 0) {
                    recent.expireIdle();
                  }
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    assertThat(recent.get("s")).hasSize(4000);
    assertThat(recent.pointCount()).isEqualTo(4000);
  }

  @Test
  void noneKeepsNothing() {
    RecentPoints.NONE.add("a", 1, 1);
    assertThat(RecentPoints.NONE.get("a")).isEmpty();
    assertThat(RecentPoints.NONE.enabled()).isFalse();
  }
}

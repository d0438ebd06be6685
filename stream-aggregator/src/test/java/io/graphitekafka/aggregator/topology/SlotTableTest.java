package io.graphitekafka.aggregator.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link SlotTable}'s lookups and trimming against plain list operations. */
class SlotTableTest {

  /** One operation: a put of (interval index, value), or a markClean when the index is negative. */
  record Op(int index, double value) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> put =
        Arbitraries.integers()
            .between(0, 40)
            .flatMap(i -> Arbitraries.integers().between(-3, 3).map(v -> new Op(i, v)));
    Arbitrary<Op> clean = Arbitraries.just(new Op(-1, 0));
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(8, put), net.jqwik.api.Tuple.of(1, clean))
        .list()
        .ofMaxSize(60);
  }

  private record Entry(long interval, double value, boolean dirty) {}

  private static List<Entry> entries(SlotTable t) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < t.size(); i++) {
      out.add(new Entry(t.intervalAt(i), t.valueAt(i), t.dirtyAt(i)));
    }
    return out;
  }

  @Property(tries = 2000)
  void trimmingKeepsEntriesFromTheBoundAndEveryDirtyOne(
      @ForAll("ops") List<Op> ops, @ForAll("bounds") long keepFrom) {
    SlotTable table = new SlotTable();
    for (Op op : ops) {
      if (op.index() < 0) {
        table.markClean();
      } else {
        table.put(1_000_000L + 10L * op.index(), op.value(), 10L * 1000);
      }
    }
    List<Entry> before = entries(table);
    List<Entry> expected = new ArrayList<>();
    for (Entry e : before) {
      if (e.interval() >= keepFrom || e.dirty()) {
        expected.add(e);
      }
    }
    int dirtyBefore = table.dirtyCount();
    table.trimCleanBefore(keepFrom);
    assertThat(entries(table)).isEqualTo(expected);
    assertThat(table.dirtyCount()).isEqualTo(dirtyBefore);
    for (long probe = 999_990L; probe <= 1_000_420L; probe += 5) {
      assertThat(table.lowerBoundFromEnd(probe)).isEqualTo(table.lowerBound(probe));
    }
  }

  @Provide
  Arbitrary<Long> bounds() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, Arbitraries.longs().between(999_990L, 1_000_420L)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE)));
  }

  @Property(tries = 2000)
  void forgettingDropsTheIntervalAndItsOtherLapsAndNothingElse(
      @ForAll("ops") List<Op> ops, @ForAll("forgotten") int index, @ForAll("laps") int lapSlots) {
    SlotTable table = new SlotTable();
    long retention = 10L * lapSlots;
    for (Op op : ops) {
      if (op.index() < 0) {
        table.markClean();
      } else {
        table.put(1_000_000L + 10L * op.index(), op.value(), retention);
      }
    }
    long interval = 1_000_000L + 10L * index;
    List<Entry> expected = new ArrayList<>();
    long latest = interval;
    int dirty = 0;
    for (Entry e : entries(table)) {
      if (Math.floorMod(e.interval() - interval, retention) == 0) {
        latest = Math.max(latest, e.interval());
      } else {
        expected.add(e);
        dirty += e.dirty() ? 1 : 0;
      }
    }
    assertThat(table.forget(interval, retention)).isEqualTo(latest);
    assertThat(entries(table)).isEqualTo(expected);
    assertThat(table.dirtyCount()).isEqualTo(dirty);
  }

  @Provide
  Arbitrary<Integer> forgotten() {
    return Arbitraries.integers().between(-5, 45);
  }

  @Provide
  Arbitrary<Integer> laps() {
    return Arbitraries.of(3, 7, 20, 1000);
  }
}

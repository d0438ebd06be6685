package io.graphitekafka.whisper;

/**
 * Reproduces the iteration order of a CPython 3.11 {@code set} built from a list of non-negative
 * ints below 2^61 - 1 (for which {@code hash(i) == i}). whisper.py's {@code __archive_update_many}
 * propagates the distinct lower intervals in that order, and the first successful propagation into
 * an empty lower archive fixes the archive's base, so the order decides where points land.
 */
final class PythonSetOrder {

  // Objects/setobject.c: LINEAR_PROBES, PERTURB_SHIFT and PySet_MINSIZE.
  private static final int LINEAR_PROBES = 9;
  private static final int PERTURB_SHIFT = 5;
  private static final int MIN_SIZE = 8;

  private PythonSetOrder() {}

  /**
   * The distinct values of {@code values[0..count)} in the order {@code iter(set(values))} yields
   * them.
   */
  static long[] distinct(long[] values, int count) {
    long[] table = new long[MIN_SIZE];
    boolean[] used = new boolean[MIN_SIZE];
    int fill = 0;
    for (int k = 0; k < count; k++) {
      long v = values[k];
      if (v < 0) {
        throw new IllegalArgumentException("only non-negative ints hash to themselves: " + v);
      }
      int mask = table.length - 1;
      int slot = probe(table, used, mask, v, true);
      if (used[slot]) {
        continue;
      }
      used[slot] = true;
      table[slot] = v;
      fill++;
      // set_add_entry: grow once the table is 60% full, to 4x the entries (2x above 50000).
      if ((long) fill * 5 >= (long) mask * 3) {
        int minUsed = fill > 50000 ? fill * 2 : fill * 4;
        int newSize = MIN_SIZE;
        while (newSize <= minUsed) {
          newSize <<= 1;
        }
        long[] newTable = new long[newSize];
        boolean[] newUsed = new boolean[newSize];
        for (int i = 0; i < table.length; i++) {
          if (used[i]) {
            int s = probe(newTable, newUsed, newSize - 1, table[i], false);
            newUsed[s] = true;
            newTable[s] = table[i];
          }
        }
        table = newTable;
        used = newUsed;
      }
    }
    long[] out = new long[fill];
    int n = 0;
    for (int i = 0; i < table.length; i++) {
      if (used[i]) {
        out[n++] = table[i];
      }
    }
    return out;
  }

  // Returns the slot holding v (when matchKey) or the first free slot on v's probe sequence.
  private static int probe(long[] table, boolean[] used, int mask, long hash, boolean matchKey) {
    long perturb = hash;
    int i = (int) (hash & mask);
    while (true) {
      int probes = (i + LINEAR_PROBES <= mask) ? LINEAR_PROBES : 0;
      for (int j = 0; j <= probes; j++) {
        int s = i + j;
        if (!used[s] || (matchKey && table[s] == hash)) {
          return s;
        }
      }
      perturb >>>= PERTURB_SHIFT;
      i = (int) ((i * 5L + 1 + perturb) & mask);
    }
  }
}

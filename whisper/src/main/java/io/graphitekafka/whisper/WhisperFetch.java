package io.graphitekafka.whisper;

import static io.graphitekafka.whisper.ArchiveInfo.POINT_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * whisper.py's {@code fetch}: the slots of one archive between two times, as whisper returns them.
 */
final class WhisperFetch {

  private WhisperFetch() {}

  /**
   * Reads {@code (from, until]} as whisper.py's {@code fetch} does: from the archive whose
   * precision is {@code secondsPerPoint} (whisper's {@code archiveToSelect}), or with 0 from the
   * finest archive covering {@code now - from}; times are clamped to the retention and to {@code
   * now}, and the slot holding {@code from} is left out.
   *
   * @return the slots, or {@code null} where whisper returns {@code None}
   * @throws IllegalArgumentException if {@code from > until} or no archive has that precision
   */
  static FetchResult fetch(SlotStore store, long from, long until, long now, int secondsPerPoint)
      throws IOException {
    if (from > until) {
      throw new IllegalArgumentException(
          "invalid time interval: from " + from + " is after until " + until);
    }
    long oldest = now - store.header().maxRetention();
    if (from > now || until < oldest) {
      return null;
    }
    from = Math.max(from, oldest);
    until = Math.min(until, now);
    List<ArchiveInfo> archives = store.header().archives();
    int index;
    if (secondsPerPoint != 0) {
      index = store.header().indexOfPrecision(secondsPerPoint);
      if (index < 0) {
        throw new IllegalArgumentException(
            "invalid granularity "
                + secondsPerPoint
                + "s for "
                + store.path()
                + " (archives "
                + store.header().layout().archives()
                + ")");
      }
    } else {
      long age = now - from;
      index = 0;
      // file_fetch keeps the last archive when none covers the age.
      while (index < archives.size() - 1 && archives.get(index).retention() < age) {
        index++;
      }
    }
    ArchiveInfo archive = archives.get(index);
    int step = archive.secondsPerPoint();
    long fromInterval = archive.interval(from) + step;
    long untilInterval = archive.interval(until) + step;
    if (fromInterval == untilInterval) {
      untilInterval += step;
    }
    long base = store.base(index);
    if (base == 0) {
      return new FetchResult(
          fromInterval,
          untilInterval,
          step,
          new Double[(int) Math.floorDiv(untilInterval - fromInterval, (long) step)]);
    }
    // __archive_fetch reads from the from-slot up to the until-slot, wrapping at the archive's end;
    // the same slot for both means a full lap.
    long fromRel = SlotStore.slotOffset(archive, base, fromInterval) - archive.offset();
    long untilRel = SlotStore.slotOffset(archive, base, untilInterval) - archive.offset();
    long bytes = fromRel < untilRel ? untilRel - fromRel : archive.size() - fromRel + untilRel;
    int n = (int) (bytes / POINT_SIZE);
    ByteBuffer buf = store.readSlots(archive, fromRel, n);
    Double[] values = new Double[n];
    long expected = fromInterval;
    for (int i = 0; i < n; i++) {
      long ts = Integer.toUnsignedLong(buf.getInt());
      double value = buf.getDouble();
      if (ts == expected) {
        values[i] = value;
      }
      expected += step;
    }
    return new FetchResult(fromInterval, untilInterval, step, values);
  }
}

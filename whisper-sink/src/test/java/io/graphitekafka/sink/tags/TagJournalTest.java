package io.graphitekafka.sink.tags;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal of names waiting for graphite-web: the registrar sees only what was published, reads
 * from the acknowledged offset however the names fall on its read buffer, and after a restart
 * resumes from the offset it kept; a line cut short by a crash is dropped and the lines before it
 * are kept; once every name is acknowledged past {@link TagJournal#COMPACT_AT} bytes the file is
 * emptied and appending goes on.
 */
class TagJournalTest {

  @TempDir Path dir;

  @Test
  void namesAreReadableOnlyOncePublishedAndStayUntilAcknowledged() throws Exception {
    try (TagJournal journal = new TagJournal(dir)) {
      journal.append("disk.used;host=a");
      journal.append("disk.used;host=b");
      assertThat(journal.await(50, TimeUnit.MILLISECONDS)).as("nothing published yet").isFalse();
      assertThat(journal.next(10).names()).isEmpty();
      assertThat(journal.pending()).isZero();

      journal.publish(true);
      journal.append("disk.used;host=c"); // appended after the publish: not readable yet
      assertThat(journal.await(50, TimeUnit.MILLISECONDS)).isTrue();
      assertThat(journal.pending()).isEqualTo(2);
      TagJournal.Batch first = journal.next(1);
      assertThat(first.names()).containsExactly("disk.used;host=a");
      assertThat(journal.next(10).names())
          .as("read again until acknowledged")
          .containsExactly("disk.used;host=a", "disk.used;host=b");

      journal.acknowledge(first);
      assertThat(journal.pending()).isEqualTo(1);
      assertThat(offset()).isEqualTo("disk.used;host=a\n".length());
      TagJournal.Batch second = journal.next(10);
      assertThat(second.names()).containsExactly("disk.used;host=b");
      journal.acknowledge(second);
      assertThat(journal.await(50, TimeUnit.MILLISECONDS)).isFalse();

      journal.publish(false);
      assertThat(journal.next(10).names()).containsExactly("disk.used;host=c");
    }
    // reopened: everything in the file counts as published, and reading resumes at the offset
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.pending()).isEqualTo(1);
      assertThat(journal.next(10).names()).containsExactly("disk.used;host=c");
    }
  }

  @Test
  void aPublishWakesAWaitingReader() throws Exception {
    try (TagJournal journal = new TagJournal(dir)) {
      Thread writer =
          new Thread(
              () -> {
                try {
                  Thread.sleep(200);
                  journal.append("late;x=1");
                  journal.publish(false);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      writer.start();
      long start = System.nanoTime();
      assertThat(journal.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(System.nanoTime() - start)
          .as("woken, not timed out")
          .isLessThan(TimeUnit.SECONDS.toNanos(5));
      writer.join();
    }
  }

  @Test
  void namesAcrossReadBuffersAndLongerThanOneComeBackWhole() throws Exception {
    List<String> names = new ArrayList<>();
    names.add("long;tag=" + "v".repeat(70_000)); // longer than the 64 KiB read buffer
    for (int i = 0; i < 20_000; i++) {
      names.add("série.n" + i + ";host=h" + (i % 17));
    }
    names.add("also.long;tag=" + "w".repeat(100_000));
    try (TagJournal journal = new TagJournal(dir)) {
      for (String name : names) {
        journal.append(name);
      }
      journal.publish(false);
      assertThat(journal.pending()).isEqualTo(names.size());
      List<String> read = new ArrayList<>();
      while (journal.await(0, TimeUnit.MILLISECONDS)) {
        TagJournal.Batch batch = journal.next(777);
        assertThat(batch.names()).isNotEmpty().hasSizeLessThanOrEqualTo(777);
        read.addAll(batch.names());
        journal.acknowledge(batch);
      }
      assertThat(read).isEqualTo(names);
      assertThat(journal.pending()).isZero();
    }
  }

  @Test
  void aLineCutShortByACrashIsDroppedAndTheRestKept() throws Exception {
    Files.writeString(
        dir.resolve("pending"), "cpu;host=a\ncpu;host=b\ncpu;host=", StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("pending.offset"), "0", StandardCharsets.US_ASCII);
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(Files.size(dir.resolve("pending"))).isEqualTo("cpu;host=a\ncpu;host=b\n".length());
      assertThat(journal.pending()).isEqualTo(2);
      journal.append("cpu;host=c");
      journal.publish(false);
      // the next name starts its own line: nothing is glued to the remains of the cut one
      assertThat(journal.next(10).names())
          .containsExactly("cpu;host=a", "cpu;host=b", "cpu;host=c");
    }
    assertThat(Files.readString(dir.resolve("pending")))
        .isEqualTo("cpu;host=a\ncpu;host=b\ncpu;host=c\n");
  }

  @Test
  void aJournalHoldingOnlyACutLineIsEmptied() throws Exception {
    Files.writeString(dir.resolve("pending"), "cpu;host=", StandardCharsets.UTF_8);
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.pending()).isZero();
      assertThat(journal.await(10, TimeUnit.MILLISECONDS)).isFalse();
    }
    assertThat(Files.size(dir.resolve("pending"))).isZero();
  }

  @Test
  void anUnreadableOrOutOfRangeOffsetRegistersEverythingAgainRatherThanLosingNames()
      throws Exception {
    Files.writeString(dir.resolve("pending"), "a;x=1\nb;x=2\n", StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("pending.offset"), "garbage", StandardCharsets.US_ASCII);
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.next(10).names()).containsExactly("a;x=1", "b;x=2");
    }
    // the journal lost its tail (written without fsync) while the offset was kept
    Files.writeString(dir.resolve("pending.offset"), "9999", StandardCharsets.US_ASCII);
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.pending()).isEqualTo(2);
      assertThat(journal.next(10).names()).containsExactly("a;x=1", "b;x=2");
    }
    Files.writeString(dir.resolve("pending.offset"), "6\n", StandardCharsets.US_ASCII);
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.next(10).names()).containsExactly("b;x=2");
    }
    // half-written over another value: a number, but in the middle of a name
    Files.writeString(dir.resolve("pending.offset"), "3", StandardCharsets.US_ASCII);
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.next(10).names()).containsExactly("a;x=1", "b;x=2");
    }
    // bytes that are not text at all
    Files.write(dir.resolve("pending.offset"), new byte[] {(byte) 0xff, 0, (byte) 0x80});
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.next(10).names()).containsExactly("a;x=1", "b;x=2");
    }
  }

  @Test
  void theJournalIsEmptiedOnceEverythingPastCompactAtIsAcknowledged() throws Exception {
    Path file = dir.resolve("pending");
    try (TagJournal journal = new TagJournal(dir)) {
      long bytes = 0;
      int count = 0;
      while (bytes <= TagJournal.COMPACT_AT) {
        String name = "compact.me;n=" + count++;
        journal.append(name);
        bytes += name.length() + 1;
      }
      journal.publish(false);
      journal.append("unpublished;n=1"); // appended, not yet published: holds the compaction back

      TagJournal.Batch all = journal.next(count - 1);
      journal.acknowledge(all);
      assertThat(Files.size(file))
          .as("one name left: not compacted")
          .isGreaterThan(TagJournal.COMPACT_AT);
      TagJournal.Batch last = journal.next(count);
      assertThat(last.names()).containsExactly("compact.me;n=" + (count - 1));
      journal.acknowledge(last);
      assertThat(Files.size(file))
          .as("a name appended since the publish: not compacted")
          .isGreaterThan(TagJournal.COMPACT_AT);
      assertThat(offset()).isEqualTo(bytes);

      journal.publish(false);
      TagJournal.Batch rest = journal.next(count);
      assertThat(rest.names()).containsExactly("unpublished;n=1");
      journal.acknowledge(rest);
      assertThat(Files.size(file)).as("compacted").isZero();
      assertThat(offset()).isZero();
      assertThat(journal.pending()).isZero();
      assertThat(journal.await(10, TimeUnit.MILLISECONDS)).isFalse();

      journal.append("after.compaction;n=1");
      journal.publish(false);
      assertThat(journal.next(10).names()).containsExactly("after.compaction;n=1");
    }
    try (TagJournal journal = new TagJournal(dir)) {
      assertThat(journal.next(10).names()).containsExactly("after.compaction;n=1");
    }
  }

  @Test
  void aSmallJournalIsNotCompacted() throws Exception {
    try (TagJournal journal = new TagJournal(dir)) {
      journal.append("small;x=1");
      journal.publish(false);
      journal.acknowledge(journal.next(10));
      assertThat(Files.size(dir.resolve("pending"))).isEqualTo("small;x=1\n".length());
      assertThat(offset()).isEqualTo("small;x=1\n".length());
    }
  }

  private long offset() throws Exception {
    return Long.parseLong(Files.readString(dir.resolve("pending.offset")).trim());
  }
}

package io.graphitekafka.sink.tags;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The series names waiting to be registered with graphite-web's TagDB, kept in a file so that none
 * is lost to a restart, a crash or a graphite-web that is down for hours, while memory holds only
 * one batch. The sink thread appends a name (one line of UTF-8) before it creates the series' file,
 * and publishes what it appended when it flushes its files, before it commits their offsets; the
 * registrar reads published names from its acknowledged offset and acknowledges them once
 * graphite-web has taken them. The offset is kept in a file beside the journal; once every name is
 * acknowledged and the journal has grown past {@link #COMPACT_AT} bytes, it is emptied.
 *
 * <p>After a restart everything in the file counts as published: a name whose file creation never
 * completed is registered anyway, which costs graphite-web one idempotent upsert.
 */
final class TagJournal implements Closeable {

  private static final Logger log = LoggerFactory.getLogger(TagJournal.class);

  static final long COMPACT_AT = 1 << 20;
  private static final String JOURNAL = "pending";
  private static final String OFFSET = "pending.offset";

  private final Path journal;
  private final Path offsetFile;
  private final FileChannel channel;

  /** Bytes of the journal, appended so far. */
  private long length;

  /** Bytes the registrar may read: appended before the last publish. */
  private long published;

  /** Bytes registered with graphite-web. */
  private long acknowledged;

  private long appendedNames;
  private long pendingNames;

  TagJournal(Path dir) throws IOException {
    Files.createDirectories(dir);
    this.journal = dir.resolve(JOURNAL);
    this.offsetFile = dir.resolve(OFFSET);
    this.channel =
        FileChannel.open(
            journal, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long size = channel.size();
    // a line cut short by a crash is dropped: its series' file was not created yet either
    long end = size;
    while (end > 0 && readByte(end - 1) != '\n') {
      end--;
    }
    if (end < size) {
      channel.truncate(end);
    }
    this.length = end;
    this.published = end;
    this.acknowledged = readOffset(end);
    this.pendingNames = countLines(acknowledged, end);
  }

  /**
   * The acknowledged offset kept beside a journal of {@code end} bytes, or 0 when it is missing,
   * unreadable, out of range, or not at the start of a line: registering names again is harmless,
   * losing them is not. Anything but a missing file is named in the log.
   */
  private long readOffset(long end) throws IOException {
    if (!Files.exists(offsetFile)) {
      return 0;
    }
    String problem;
    try {
      String text = Files.readString(offsetFile, StandardCharsets.US_ASCII).trim();
      long offset = Long.parseLong(text);
      if (offset < 0 || offset > end) {
        problem = "offset " + offset + " is outside the journal's " + end + " bytes";
      } else if (offset > 0 && readByte(offset - 1) != '\n') {
        problem = "offset " + offset + " is not at the start of a name";
      } else {
        return offset;
      }
    } catch (NumberFormatException | CharacterCodingException e) {
      problem = "not a number";
    }
    log.warn(
        "{} is corrupt ({}); every name in {} is registered with graphite-web again",
        offsetFile,
        problem,
        journal);
    return 0;
  }

  /** Appends a name; the registrar sees it after the next {@link #publish}. */
  synchronized void append(String name) throws IOException {
    byte[] line = (name + "\n").getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.wrap(line);
    while (buf.hasRemaining()) {
      length += channel.write(buf, length);
    }
    appendedNames++;
  }

  /** Makes every name appended so far readable, after an fsync of the journal if asked. */
  synchronized void publish(boolean fsync) throws IOException {
    if (published == length) {
      return;
    }
    if (fsync) {
      channel.force(false);
    }
    pendingNames += appendedNames;
    appendedNames = 0;
    published = length;
    notifyAll();
  }

  /** Waits up to {@code timeout} for names to read; true if there are some. */
  synchronized boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (acknowledged == published) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  /** Up to {@code max} published names from the acknowledged offset, and the offset after them. */
  synchronized Batch next(int max) throws IOException {
    List<String> names = new ArrayList<>(max);
    long end = acknowledged;
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (long position = acknowledged; names.size() < max && position < published; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), published - position));
      int n = channel.read(buf, position);
      if (n <= 0) {
        break;
      }
      position += n;
      for (int i = 0; i < n && names.size() < max; i++) {
        byte b = buf.get(i);
        if (b == '\n') {
          end += line.size() + 1;
          names.add(line.toString(StandardCharsets.UTF_8));
          line.reset();
        } else {
          line.write(b);
        }
      }
    }
    return new Batch(names, end);
  }

  /** Marks the names up to {@code offset} registered; empties the journal when all are. */
  synchronized void acknowledge(Batch batch) throws IOException {
    acknowledged = batch.end();
    pendingNames = Math.max(0, pendingNames - batch.names().size());
    if (acknowledged == length && length >= COMPACT_AT) {
      // the offset first: a crash between the two registers names again, never loses one
      writeOffset(0);
      channel.truncate(0);
      length = 0;
      published = 0;
      acknowledged = 0;
    } else {
      writeOffset(acknowledged);
    }
  }

  /** Names published and not yet acknowledged. */
  synchronized long pending() {
    return pendingNames;
  }

  private void writeOffset(long offset) throws IOException {
    Path tmp = offsetFile.resolveSibling(OFFSET + ".tmp");
    Files.writeString(tmp, Long.toString(offset), StandardCharsets.US_ASCII);
    Files.move(
        tmp, offsetFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private byte readByte(long position) throws IOException {
    ByteBuffer one = ByteBuffer.allocate(1);
    channel.read(one, position);
    return one.get(0);
  }

  private long countLines(long from, long to) throws IOException {
    long lines = 0;
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    for (long position = from; position < to; ) {
      buf.clear().limit((int) Math.min(buf.capacity(), to - position));
      int n = channel.read(buf, position);
      if (n <= 0) {
        break;
      }
      for (int i = 0; i < n; i++) {
        if (buf.get(i) == '\n') {
          lines++;
        }
      }
      position += n;
    }
    return lines;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }

  /** Names read from the journal, and the offset that acknowledging them moves to. */
  record Batch(List<String> names, long end) {}
}

package io.graphitekafka.service.restart;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A default {@code group.instance.id} (static group membership) for a service instance: the same
 * after a restart of that instance, so that it takes its partitions back at once instead of after
 * the dead member's session timeout, and different for every instance running at the same time, so
 * that no instance fences another.
 *
 * <p>The id is {@code <role>-<host>-<hash>-<slot>}: the host name, the hash of the directory the
 * instance keeps its data in (the aggregator's state directory, the sink's data directory) and of
 * its group, and the first free slot of that directory and group. A slot is an exclusive lock on a
 * file {@code .<role>-<hash>-<slot>.lock} in the directory, held as long as the process lives and
 * released by the operating system when it dies, so a restarted instance gets its slot back and a
 * second instance on the same directory gets the next one. The group is part of the hash so that
 * instances of two groups sharing a directory (two aggregator applications on the default state
 * directory) never take each other's slots, whatever order they restart in.
 */
public final class StaticMember implements Closeable {

  /** The value of a {@code group.instance.id} setting that asks for the derived id. */
  public static final String AUTO = "auto";

  private static final int MAX_SLOTS = 64;

  private final String id;
  private final FileChannel channel;
  private final FileLock lock;

  private StaticMember(String id, FileChannel channel, FileLock lock) {
    this.id = id;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * The id for an instance of {@code role} in consumer group {@code group}, keeping its data in
   * {@code dir} (created if missing), holding the lock of its slot until {@link #close()}.
   */
  public static StaticMember claim(String role, Path dir, String group) {
    Path abs = dir.toAbsolutePath().normalize();
    String hash = hash(abs + "\n" + group);
    String prefix = role + "-" + hostName() + "-" + hash;
    try {
      Files.createDirectories(abs);
      for (int slot = 1; slot <= MAX_SLOTS; slot++) {
        Path file = abs.resolve("." + role + "-" + hash + "-" + slot + ".lock");
        FileChannel channel =
            FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = tryLock(channel);
        if (lock != null) {
          return new StaticMember(prefix + "-" + slot, channel, lock);
        }
        channel.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock a member slot in " + abs, e);
    }
    throw new IllegalStateException(
        MAX_SLOTS + " instances already hold a member slot in " + abs + "; set group.instance.id");
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by another instance in this same JVM
    }
  }

  /** The {@code group.instance.id}. */
  public String id() {
    return id;
  }

  /** Releases the slot. */
  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }

  /** This host's name, as a group member id may hold it. */
  static String hostName() {
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      name = System.getenv().getOrDefault("HOSTNAME", "localhost");
    }
    String safe = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
    return safe.isEmpty() ? "localhost" : safe;
  }

  /** Eight hex digits of the SHA-256 of {@code text}. */
  static String hash(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}

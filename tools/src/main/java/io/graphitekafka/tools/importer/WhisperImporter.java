package io.graphitekafka.tools.importer;

import io.graphitekafka.schemas.avro.ArchiveLayout;
import io.graphitekafka.schemas.avro.ArchivePoint;
import io.graphitekafka.schemas.serde.Layouts;
import io.graphitekafka.schemas.serde.RegistrySettings;
import io.graphitekafka.schemas.topic.Topic;
import io.graphitekafka.schemas.topic.Topics;
import io.graphitekafka.service.progress.Progress;
import io.graphitekafka.whisper.ArchiveInfo;
import io.graphitekafka.whisper.WhisperFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports an existing Whisper tree: every archive of every file, with the file's own layout, method
 * and xFilesFactor, becomes archive points on {@code carbon.archives}, so sinks recreate equivalent
 * files without re-aggregating. Finished files are recorded in a state file, so an interrupted
 * import resumes; importing a file twice rewrites the same slots.
 */
public final class WhisperImporter {

  private static final Logger log = LoggerFactory.getLogger(WhisperImporter.class);
  private static final int FILES_PER_CHECKPOINT = 500;
  private static final long CHECKPOINT_NANOS = 2_000_000_000L;

  /** What an import did: counts, and each file it could not import with the reason. */
  public record Summary(
      int files, int resumed, long points, List<String> failures, double seconds) {
    public String describe() {
      StringBuilder sb =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "imported %d files (%d points) in %.1f s; %d already done by an earlier run; %d failed",
                  files,
                  points,
                  seconds,
                  resumed,
                  failures.size()));
      for (String f : failures) {
        sb.append("\n  ").append(f);
      }
      return sb.toString();
    }
  }

  private final Path whisperDir;
  private final Path stateFile;
  private final long rate;
  private final Topic<String, ArchivePoint> topic;
  private final SeriesNameFromPath names;
  private final Producer<byte[], byte[]> producer;
  private final PrintStream progress;

  public WhisperImporter(ImportConfig config, PrintStream progress) throws IOException {
    this(config, newProducer(config), progress);
  }

  WhisperImporter(ImportConfig config, Producer<byte[], byte[]> producer, PrintStream progress)
      throws IOException {
    this.whisperDir = config.whisperDir().toAbsolutePath().normalize();
    this.stateFile = config.stateFile();
    this.rate = config.getLong(ImportConfig.RATE);
    this.topic =
        Topics.archives(
            config.getString(ImportConfig.ARCHIVES_TOPIC), RegistrySettings.client(config));
    String tagNames = config.getString(ImportConfig.TAG_NAMES_FILE);
    List<String> known =
        new java.util.ArrayList<>(
            tagNames.isEmpty()
                ? List.of()
                : Files.readAllLines(Path.of(tagNames), StandardCharsets.UTF_8));
    String tagNamesFrom = config.getString(ImportConfig.TAG_NAMES_FROM);
    if (!tagNamesFrom.isBlank()) {
      List<String> fromTagDb = TagDbNames.fetch(tagNamesFrom.trim());
      progress.printf(
          "%d series names from the TagDB at %s%n",
          fromTagDb.size(), TagDbNames.withoutCredentials(tagNamesFrom.trim()));
      known.addAll(fromTagDb);
    }
    this.names = new SeriesNameFromPath(known);
    this.producer = producer;
    this.progress = progress;
  }

  private static Producer<byte[], byte[]> newProducer(ImportConfig config) {
    java.util.Map<String, Object> props = new java.util.HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "graphite-kafka-import");
    props.putAll(config.kafkaOverrides());
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Runs the import to the end and closes the producer. */
  public Summary run() throws IOException {
    if (!Files.isDirectory(whisperDir)) {
      throw new IOException("no Whisper tree at " + whisperDir);
    }
    long start = System.nanoTime();
    Set<String> done = readState();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(whisperDir)) {
      files =
          walk.filter(p -> p.toString().endsWith(".wsp") && Files.isRegularFile(p))
              .sorted()
              .toList();
    }
    List<String> failures = new ArrayList<>();
    List<String> pending = new ArrayList<>();
    int imported = 0;
    int resumed = 0;
    long points = 0;
    long lastCheckpoint = System.nanoTime();
    Progress shown = Progress.of("import", "files", "points", progress);
    try (producer) {
      for (int i = 0; i < files.size(); i++) {
        Path file = files.get(i);
        Path relative = whisperDir.relativize(file);
        String stateKey = stateKey(relative, file);
        if (done.contains(stateKey)) {
          resumed++;
          continue;
        }
        Optional<String> name = names.nameOf(relative);
        if (name.isEmpty()) {
          failures.add(
              relative
                  + ": cannot tell the series name from the path"
                  + (relative.startsWith("_tagged")
                      ? " (hashed tagged file: name it with --tag-names-from"
                          + " or in "
                          + ImportConfig.TAG_NAMES_FILE
                          + ")"
                      : ""));
          continue;
        }
        try {
          points += importFile(file, name.get(), start, points);
          imported++;
          pending.add(stateKey);
        } catch (IOException | RuntimeException e) {
          failures.add(relative + ": " + e.getMessage());
          log.warn("skipping {}: {}", file, e.toString());
        }
        long now = System.nanoTime();
        if (pending.size() >= FILES_PER_CHECKPOINT || now - lastCheckpoint > CHECKPOINT_NANOS) {
          checkpoint(pending);
          lastCheckpoint = now;
        }
        shown.update(i + 1, files.size(), points, failures.size() + " failed");
      }
      checkpoint(pending);
      shown.finish(files.size(), files.size(), points, failures.size() + " failed");
    }
    return new Summary(imported, resumed, points, failures, (System.nanoTime() - start) / 1e9);
  }

  private long importFile(Path file, String metric, long start, long sentBefore)
      throws IOException {
    long sent = 0;
    try (WhisperFile whisper = WhisperFile.openReadOnly(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ArchiveLayout layout = Layouts.toAvro(whisper.layout());
      byte[] key = topic.keySerde().serializer().serialize(topic.name(), metric);
      List<ArchiveInfo> archives = whisper.header().archives();
      for (int a = 0; a < archives.size(); a++) {
        ArchiveSlots slots = ArchiveSlots.read(channel, file, archives.get(a));
        for (int i = 0; i < slots.count(); i++) {
          ArchivePoint point =
              new ArchivePoint(metric, a, slots.timestamps()[i], slots.values()[i], layout, null);
          producer.send(
              new ProducerRecord<>(
                  topic.name(),
                  key,
                  topic.valueSerde().serializer().serialize(topic.name(), point)));
          sent++;
          throttle(start, sentBefore + sent);
        }
      }
    }
    return sent;
  }

  private void throttle(long start, long sent) {
    if (rate <= 0) {
      return;
    }
    long due = start + (long) (sent * 1e9 / rate);
    long wait = due - System.nanoTime();
    if (wait > 1_000_000) {
      try {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("import interrupted", e);
      }
    }
  }

  /** Records files whose points Kafka has acknowledged; only then may a resumed run skip them. */
  private void checkpoint(List<String> pending) throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    producer.flush();
    Files.write(
        stateFile,
        (String.join("\n", pending) + "\n").getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    pending.clear();
  }

  private Set<String> readState() throws IOException {
    if (!Files.exists(stateFile)) {
      return Set.of();
    }
    return new HashSet<>(Files.readAllLines(stateFile, StandardCharsets.UTF_8));
  }

  /** A file is done only as it was: a changed size or mtime imports it again. */
  private static String stateKey(Path relative, Path file) throws IOException {
    BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
    return relative + "\t" + attrs.size() + "\t" + attrs.lastModifiedTime().toMillis();
  }
}

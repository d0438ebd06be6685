package io.graphitekafka.aggregator;

import io.graphitekafka.service.restart.StartupPhases;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the aggregator's start-up phases ({@link StartupPhases}) from Kafka Streams' public API:
 * the group joined once a stream thread holds active tasks, the state restored once the last
 * changelog restoration has ended (with the number of records it read), the first commit once a
 * task reports committed offsets, and caught up once the stream threads' consumers report a lag of
 * zero on every input partition of their tasks. A daemon thread looks every 200 ms until then.
 */
final class StreamsStartup implements StateRestoreListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StreamsStartup.class);
  private static final long LOOK_EVERY_MS = 200;

  private final StartupPhases phases = new StartupPhases("aggregator");
  private final KafkaStreams streams;
  private final AtomicInteger restoring = new AtomicInteger();
  private final AtomicLong restored = new AtomicLong();
  private volatile boolean closed;

  /** Watches {@code streams}, which must not have been started yet. */
  StreamsStartup(KafkaStreams streams) {
    this.streams = streams;
    streams.setGlobalStateRestoreListener(this);
  }

  /** Starts looking for the phases; call after {@link KafkaStreams#start()}. */
  void start() {
    Thread t = new Thread(this::watch, "aggregator-startup");
    t.setDaemon(true);
    t.start();
  }

  private void watch() {
    try {
      while (!closed && !phases.has(StartupPhases.CAUGHT_UP)) {
        Thread.sleep(LOOK_EVERY_MS);
        look();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.debug("start-up phases no longer watched: {}", e.toString());
    }
  }

  /** One look at the stream threads. */
  void look() {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      return;
    }
    Set<ThreadMetadata> threads = streams.metadataForLocalThreads();
    Set<TopicPartition> inputs = new HashSet<>();
    boolean committed = false;
    for (ThreadMetadata thread : threads) {
      for (TaskMetadata task : thread.activeTasks()) {
        inputs.addAll(task.topicPartitions());
        committed |= task.committedOffsets().values().stream().anyMatch(o -> o >= 0);
      }
    }
    if (inputs.isEmpty()) {
      return;
    }
    phases.reached(StartupPhases.GROUP_JOINED, inputs.size() + " input partitions");
    if (committed) {
      phases.reached(StartupPhases.FIRST_COMMIT);
    }
    if (restoring.get() == 0 && laggingPartitions(threads, inputs) == 0) {
      phases.reached(StartupPhases.STATE_RESTORED, restored.get() + " changelog records");
      phases.reached(StartupPhases.CAUGHT_UP);
    }
  }

  /**
   * Input partitions whose lag the stream threads' consumers report as anything but zero, or not
   * yet at all.
   */
  private int laggingPartitions(Set<ThreadMetadata> threads, Set<TopicPartition> inputs) {
    Set<String> consumers = new HashSet<>();
    threads.forEach(t -> consumers.add(t.consumerClientId()));
    Set<TopicPartition> caughtUp = new HashSet<>();
    for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
      MetricName name = e.getKey();
      Map<String, String> tags = name.tags();
      if (name.name().equals("records-lag")
          && name.group().equals("consumer-fetch-manager-metrics")
          && consumers.contains(tags.get("client-id"))
          && tags.containsKey("topic")
          && tags.containsKey("partition")
          && e.getValue().metricValue() instanceof Double lag
          && lag == 0.0) {
        caughtUp.add(
            new TopicPartition(tags.get("topic"), Integer.parseInt(tags.get("partition"))));
      }
    }
    Set<TopicPartition> lagging = new HashSet<>(inputs);
    lagging.removeAll(caughtUp);
    return lagging.size();
  }

  @Override
  public void onRestoreStart(
      TopicPartition partition, String store, long startingOffset, long endingOffset) {
    phases.reached(StartupPhases.GROUP_JOINED, "tasks assigned, restoring their state");
    restoring.incrementAndGet();
  }

  @Override
  public void onBatchRestored(
      TopicPartition partition, String store, long batchEndOffset, long numRestored) {
    restored.addAndGet(numRestored);
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
    if (restoring.decrementAndGet() == 0) {
      phases.reached(StartupPhases.STATE_RESTORED, restored.get() + " changelog records");
    }
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
    restoring.decrementAndGet();
  }

  /** The phases reached so far, as logged. */
  StartupPhases phases() {
    return phases;
  }

  @Override
  public void close() {
    closed = true;
  }
}

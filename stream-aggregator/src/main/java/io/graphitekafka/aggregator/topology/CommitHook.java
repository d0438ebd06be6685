package io.graphitekafka.aggregator.topology;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Runs a task's code inside each of its commits, before the transaction commits, with public API
 * only.
 *
 * <p>Kafka Streams flushes a store's record cache into the store beneath it in every commit, before
 * the transaction commits (or earlier, when the cache is full): that is what makes a cached store's
 * changelog writes part of the transaction of the input they came from. This store has a cache and
 * no changelog, and beneath the cache a store of its own ({@link KeyValueBytesStoreSupplier}) that
 * keeps nothing: a write reaching it runs the hook registered for its task. A task {@link #arm}s
 * the store with one write after it changes state it must persist; the next flush of the cache, at
 * the latest the one of the next commit, runs the hook, which may write to the task's other stores:
 * those writes, and their changelog records, are part of the commit. So the hook runs once per
 * commit in which the task armed it, instead of the task writing its state on every change.
 */
final class CommitHook implements KeyValueBytesStoreSupplier {

  private static final Bytes KEY = Bytes.wrap(new byte[] {0});
  private static final byte[] VALUE = {1};

  private final String name;
  private final Map<TaskId, Runnable> hooks = new ConcurrentHashMap<>();

  CommitHook(String name) {
    this.name = name;
  }

  /** The store to add to the topology: cached, not logged, over this supplier. */
  StoreBuilder<KeyValueStore<Bytes, byte[]>> builder() {
    return Stores.keyValueStoreBuilder(this, Serdes.Bytes(), Serdes.ByteArray())
        .withCachingEnabled()
        .withLoggingDisabled();
  }

  /** Runs {@code hook} when a write that {@code task} armed reaches the store, from now on. */
  void register(TaskId task, Runnable hook) {
    hooks.put(task, hook);
  }

  void unregister(TaskId task, Runnable hook) {
    hooks.remove(task, hook);
  }

  /**
   * Makes the next cache flush of the task's store, at the latest the one of its next commit, run
   * the task's hook. Arm only after the change the hook is to persist: with a cache too small to
   * hold the write, the hook runs within this call.
   *
   * @param store the task's store, as its processor context returns it
   */
  static void arm(KeyValueStore<Bytes, byte[]> store) {
    store.put(KEY, VALUE);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public KeyValueStore<Bytes, byte[]> get() {
    return new HookStore();
  }

  @Override
  public String metricsScope() {
    return "commit-hook";
  }

  /** The store beneath the cache: every write is the task's hook; it holds nothing. */
  private final class HookStore implements KeyValueStore<Bytes, byte[]> {

    private TaskId task;
    private volatile boolean open;

    @Override
    public void init(StateStoreContext context, StateStore root) {
      task = context.taskId();
      context.register(root, (key, value) -> {});
      open = true;
    }

    private void fire() {
      Runnable hook = hooks.get(task);
      if (hook == null) {
        // State was changed and is about to be committed, but nothing can persist it: fail the
        // task,
        // which then restarts from its last commit, rather than commit without it.
        throw new IllegalStateException(
            "store "
                + name
                + " of task "
                + task
                + " is flushed, but no processor of the task is open to persist its state");
      }
      hook.run();
    }

    @Override
    public void put(Bytes key, byte[] value) {
      fire();
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
      fire();
      return null;
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
      if (!entries.isEmpty()) {
        fire();
      }
    }

    @Override
    public byte[] delete(Bytes key) {
      return null;
    }

    @Override
    public byte[] get(Bytes key) {
      return null;
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
      return new Empty();
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
      return new Empty();
    }

    @Override
    public long approximateNumEntries() {
      return 0;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void close() {
      open = false;
    }

    @Override
    public boolean persistent() {
      return false;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public Position getPosition() {
      return Position.emptyPosition();
    }
  }

  private static final class Empty implements KeyValueIterator<Bytes, byte[]> {

    @Override
    public boolean hasNext() {
      return false;
    }

    @Override
    public KeyValue<Bytes, byte[]> next() {
      throw new NoSuchElementException();
    }

    @Override
    public Bytes peekNextKey() {
      throw new NoSuchElementException();
    }

    @Override
    public void close() {}
  }
}

package io.graphitekafka.sink.consumer;

import java.io.IOException;

/**
 * Told by the sink's writer what happens to series files, on the sink thread: for work that follows
 * the files, such as registering series with graphite-web's TagDB. A listener must not block on
 * anything but local files.
 */
public interface SeriesListener {

  /** Does nothing. */
  SeriesListener NONE = new SeriesListener() {};

  /** The series' file is about to be created. */
  default void creating(String metric) throws IOException {}

  /** The series' file was written (once per series per write batch). */
  default void updated(String metric) throws IOException {}

  /**
   * Every write so far is flushed (fsynced, with {@code fsync}); the offsets are committed next.
   */
  default void flushed(boolean fsync) throws IOException {}
}

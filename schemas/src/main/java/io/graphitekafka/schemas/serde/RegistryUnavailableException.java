package io.graphitekafka.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * No Schema Registry answered: every URL was unreachable, failed with a server error, or answered
 * with something that is not JSON (a proxy's page, not the registry). Unlike the other {@link
 * SerializationException}s the registry path throws (an unknown id, a refused schema), this says
 * nothing about the record, so callers retry instead of rejecting it.
 */
public final class RegistryUnavailableException extends SerializationException {

  private static final long serialVersionUID = 1L;

  public RegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether {@code e} or one of its causes is a {@link RegistryUnavailableException}. */
  public static boolean isCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RegistryUnavailableException) {
        return true;
      }
      if (t.getCause() == t) {
        return false;
      }
    }
    return false;
  }
}

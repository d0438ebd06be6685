package io.graphitekafka.graphite.pickle;

/** A pickle that is malformed, truncated, too large, or asks for more than plain containers. */
public final class PickleException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public PickleException(String message) {
    super(message);
  }
}

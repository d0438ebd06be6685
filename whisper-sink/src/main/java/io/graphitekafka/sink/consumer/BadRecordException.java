package io.graphitekafka.sink.consumer;

/** A record the sink cannot write, with the reason code it is counted and rejected under. */
final class BadRecordException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String reason;

  BadRecordException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  /** The reject reason code: a short snake_case word such as {@code invalid_layout}. */
  String reason() {
    return reason;
  }
}

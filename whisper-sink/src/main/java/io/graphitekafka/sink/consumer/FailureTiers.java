package io.graphitekafka.sink.consumer;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InconsistentGroupProtocolException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Which failures of a write or a commit stop the sink. The rest (a file that cannot be written, a
 * broker that is away, a commit that failed) are retried from the start of the batch with backoff,
 * and bad offsets are repositioned by the loop before they get here.
 */
final class FailureTiers {

  private FailureTiers() {}

  /**
   * The exception to stop the loop with, or null when a retry may help. Errors a retry cannot fix:
   * bad credentials or permissions, a fenced static member, bad config, a group id shared with
   * another kind of application.
   */
  static KafkaException fatal(Exception e, String groupId) {
    if (e instanceof InconsistentGroupProtocolException) {
      return new InconsistentGroupProtocolException(
          "group "
              + groupId
              + " is in use by a member with another protocol or assignor (a Kafka Streams"
              + " application id, or another consumer); give each storage replica a group.id of its"
              + " own",
          e);
    }
    boolean fatal =
        e instanceof AuthenticationException
            || e instanceof AuthorizationException
            || e instanceof FencedInstanceIdException
            || e instanceof UnsupportedVersionException
            || e instanceof InvalidGroupIdException
            || e instanceof InvalidTopicException
            || e instanceof InvalidConfigurationException
            || e instanceof InterruptException;
    return fatal ? (KafkaException) e : null;
  }
}

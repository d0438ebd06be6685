package io.graphitekafka.gateway.carbon;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of decoding one pickle frame: either one {@link DecodeResult} per element of the
 * frame's list, or a reject of the whole frame when it is malformed or unsafe.
 */
public sealed interface PickleResult permits PickleResult.Decoded, PickleResult.Rejected {

  /** The frame unpickled safely; one point or reject per element, in frame order. */
  record Decoded(List<DecodeResult> elements) implements PickleResult {
    public Decoded {
      elements = List.copyOf(elements);
    }
  }

  /** The whole frame was refused and nothing in it was used. */
  record Rejected(DecodeResult.Reject reject) implements PickleResult {
    public Rejected {
      Objects.requireNonNull(reject, "reject");
    }
  }
}

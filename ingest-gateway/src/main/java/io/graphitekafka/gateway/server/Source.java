package io.graphitekafka.gateway.server;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Where input came from, as written to the rejects topic.
 *
 * @param protocol plaintext-tcp, plaintext-udp, pickle or kafka-lines
 * @param address the peer's IP address, or topic-partition@offset for the lines topic; may be null
 * @param port the peer's port; null when there is none
 */
public record Source(String protocol, String address, Integer port) {

  public static Source of(String protocol, SocketAddress peer) {
    if (peer instanceof InetSocketAddress inet) {
      String address =
          inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
      return new Source(protocol, address, inet.getPort());
    }
    return new Source(protocol, peer == null ? null : peer.toString(), null);
  }

  @Override
  public String toString() {
    return protocol + " " + address + (port == null ? "" : ":" + port);
  }
}

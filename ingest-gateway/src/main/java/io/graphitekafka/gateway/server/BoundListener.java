package io.graphitekafka.gateway.server;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A Carbon listener bound to one Netty channel: binding it, its port, and closing it. */
abstract class BoundListener implements CarbonReceiver {

  private static final Logger log = LoggerFactory.getLogger(BoundListener.class);

  private final String name;
  private Channel channel;

  BoundListener(String name) {
    this.name = name;
  }

  /** Binds {@code bootstrap} to {@code address} and waits until it listens. */
  final void bind(AbstractBootstrap<?, ?> bootstrap, SocketAddress address)
      throws InterruptedException {
    channel = bootstrap.bind(address).sync().channel();
    log.info("{} listener on {}", name, channel.localAddress());
  }

  /** The bound port, useful when 0 was asked for. */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Closes the listening channel. */
  @Override
  public void close() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
  }
}

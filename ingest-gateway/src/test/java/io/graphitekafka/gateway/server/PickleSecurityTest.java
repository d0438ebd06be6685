package io.graphitekafka.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the pickle listener over a real socket: a frame whose unpickling would call
 * {@code os.system} is rejected, the command never runs, and the same connection goes on.
 */
class PickleSecurityTest {

  @Test
  void rejectsGlobalOsSystemFrameRunsNothingAndKeepsTheConnection(@TempDir Path dir)
      throws Exception {
    Path marker = dir.resolve("pwned");
    // protocol 0: GLOBAL 'os system', MARK, STRING 'touch <marker>', TUPLE, REDUCE, STOP
    byte[] evil =
        ("cos\nsystem\n(S'touch " + marker + "'\ntR.").getBytes(StandardCharsets.US_ASCII);
    // the same call spelt for protocol 2 with posix.system, as Python 3 pickles os.system
    byte[] evil2 =
        ("\u0080\u0002cposix\nsystem\nq\u0000X\u0005\u0000\u0000\u0000touch\u0085q\u0001Rq\u0002.")
            .getBytes(StandardCharsets.ISO_8859_1);
    byte[] good = CarbonReceiversTest.pickleResource("relay-p2.pickle");

    Harness h = new Harness();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    CarbonServer server = CarbonServer.pickle("127.0.0.1", 0, 1 << 20, h.connections, group, group);
    try {
      server.start();
      try (Socket socket = new Socket("127.0.0.1", server.port())) {
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        for (byte[] frame : new byte[][] {evil, evil2, good}) {
          out.writeInt(frame.length);
          out.write(frame);
        }
        out.flush();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (h.points().size() < 6 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(socket.isClosed()).isFalse();
      }
    } finally {
      server.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    assertThat(h.points()).hasSize(6);
    assertThat(h.rejectCount("pickle_forbidden_opcode")).isEqualTo(2);
    assertThat(h.rejects()).extracting(r -> r.getDetail()).allMatch(d -> d.contains("GLOBAL"));
    assertThat(marker).doesNotExist();
    assertThat(Files.list(dir)).isEmpty();
  }
}

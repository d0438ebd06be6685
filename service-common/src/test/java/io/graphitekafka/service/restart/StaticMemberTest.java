package io.graphitekafka.service.restart;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticMemberTest {

  @TempDir Path dir;

  @Test
  void aRestartedInstanceGetsTheSameIdAndASecondOneAnother() throws Exception {
    String first;
    try (StaticMember a = StaticMember.claim("sink", dir, "g")) {
      first = a.id();
      assertThat(first)
          .startsWith("sink-" + StaticMember.hostName() + "-")
          .endsWith("-1")
          .matches("[a-z0-9._-]+");
      try (StaticMember b = StaticMember.claim("sink", dir, "g")) {
        assertThat(b.id()).isNotEqualTo(first).endsWith("-2");
      }
    }
    try (StaticMember again = StaticMember.claim("sink", dir, "g")) {
      assertThat(again.id()).as("the slot is free again once released").isEqualTo(first);
    }
  }

  @Test
  void theIdDependsOnTheRoleAndTheDirectory() throws Exception {
    try (StaticMember sink = StaticMember.claim("sink", dir.resolve("a"), "g");
        StaticMember other = StaticMember.claim("sink", dir.resolve("b"), "g");
        StaticMember aggregator = StaticMember.claim("aggregator", dir.resolve("a"), "g")) {
      assertThat(sink.id()).isNotEqualTo(other.id());
      assertThat(aggregator.id()).startsWith("aggregator-").endsWith("-1");
      String hash = sink.id().split("-")[sink.id().split("-").length - 2];
      assertThat(dir.resolve("a").resolve(".sink-" + hash + "-1.lock")).exists();
    }
  }

  @Test
  void twoGroupsOnOneDirectoryKeepTheirOwnSlotsWhateverTheOrder() throws Exception {
    String first;
    try (StaticMember a = StaticMember.claim("aggregator", dir, "app-a");
        StaticMember b = StaticMember.claim("aggregator", dir, "app-b")) {
      first = a.id();
      assertThat(a.id()).endsWith("-1");
      assertThat(b.id()).endsWith("-1").isNotEqualTo(a.id());
    }
    try (StaticMember b = StaticMember.claim("aggregator", dir, "app-b");
        StaticMember a = StaticMember.claim("aggregator", dir, "app-a")) {
      assertThat(a.id()).isEqualTo(first);
    }
  }

  @Test
  void theHashIsStableAndShort() {
    assertThat(StaticMember.hash("/var/lib/graphite-kafka")).hasSize(8).matches("[0-9a-f]{8}");
    assertThat(StaticMember.hash("/var/lib/graphite-kafka"))
        .isEqualTo(StaticMember.hash("/var/lib/graphite-kafka"));
  }
}

package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void readsRegistryAnswers() {
    Map<String, Object> answer =
        Json.parseObject(
            "{\"subject\":\"t-value\",\"version\":3,\"id\":21,\"schema\":\"{\\\"type\\\":\\\"string\\\"}\","
                + "\"references\":[],\"deleted\":false,\"ratio\":1.5e0,\"none\":null}");

    assertThat(answer)
        .containsEntry("id", 21L)
        .containsEntry("schema", "{\"type\":\"string\"}")
        .containsEntry("references", List.of())
        .containsEntry("deleted", false)
        .containsEntry("ratio", 1.5)
        .containsEntry("none", null);
  }

  @Test
  void decodesUnicodeEscapes() {
    assertThat(Json.parse("\"caf\\u00e9 \\n\\t\\/\"")).isEqualTo("café \n\t/");
  }

  @Test
  void rejectsMalformedInput() {
    assertThatThrownBy(() -> Json.parse("{\"a\":1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.parse("{\"a\":1} x")).hasMessageContaining("trailing");
    assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("object");
  }

  @Property(tries = 300)
  void quoteThenParseGivesTheStringBack(@ForAll String s) {
    assertThat(Json.parse(Json.quote(s))).isEqualTo(s);
  }
}

package io.graphitekafka.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** How {@link SchemaRegistryClient} reads the registry's answers and writes its requests. */
class RegistryJsonTest {

  @Test
  void readsRegistryAnswers() {
    JsonNode answer =
        SchemaRegistryClient.parseObject(
            "{\"subject\":\"t-value\",\"version\":3,\"id\":21,\"schema\":\"{\\\"type\\\":\\\"string\\\"}\","
                + "\"references\":[],\"deleted\":false,\"ratio\":1.5e0,\"none\":null}");

    assertThat(answer.get("id").intValue()).isEqualTo(21);
    assertThat(answer.get("schema").textValue()).isEqualTo("{\"type\":\"string\"}");
    assertThat(answer.get("references").isArray()).isTrue();
    assertThat(answer.get("references")).isEmpty();
    assertThat(answer.get("deleted").booleanValue()).isFalse();
    assertThat(answer.get("ratio").doubleValue()).isEqualTo(1.5);
    assertThat(answer.get("none").isNull()).isTrue();
  }

  @Test
  void decodesUnicodeEscapes() {
    assertThat(
            SchemaRegistryClient.parseObject("{\"s\":\"caf\\u00e9 \\n\\t\\/\"}")
                .get("s")
                .textValue())
        .isEqualTo("café \n\t/");
  }

  @Test
  void rejectsMalformedInput() {
    assertThatThrownBy(() -> SchemaRegistryClient.parseObject("{\"a\":1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SchemaRegistryClient.parseObject("{\"a\":1} x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SchemaRegistryClient.parseObject("[1]"))
        .hasMessageContaining("object");
    assertThatThrownBy(() -> SchemaRegistryClient.parseObject("")).hasMessageContaining("object");
    assertThatThrownBy(() -> SchemaRegistryClient.parseObject("<html>502 Bad Gateway</html>"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 300)
  void aRegisterRequestCarriesTheSchemaTextUnchanged(@ForAll String schema) {
    JsonNode request = SchemaRegistryClient.parseObject(SchemaRegistryClient.requestBody(schema));

    assertThat(request.size()).isEqualTo(1);
    assertThat(request.get("schema").textValue()).isEqualTo(schema);
  }
}

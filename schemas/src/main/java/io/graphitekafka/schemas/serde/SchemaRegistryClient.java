package io.graphitekafka.schemas.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small client of the Confluent Schema Registry REST API (v1): registering an Avro schema under a
 * subject ({@code POST /subjects/{subject}/versions}) and looking a schema up by its global id
 * ({@code GET /schemas/ids/{id}}). Both answers are cached for the life of the client, since a
 * registered schema's id never changes. Thread-safe; uses the JDK's HttpClient, with optional basic
 * auth, and tries each of several comma-separated base URLs in turn. When none answers
 * (unreachable, an HTTP 5xx, or a success whose body is not JSON, as a proxy in front of a missing
 * registry answers), it throws {@link RegistryUnavailableException}; any other failure is a plain
 * {@link SerializationException}.
 */
public final class SchemaRegistryClient {

  private static final Logger log = LoggerFactory.getLogger(SchemaRegistryClient.class);
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private final String urls;
  private final List<URI> baseUris;
  private final String authorization;
  private final Duration timeout;
  private final HttpClient http;
  private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  /**
   * @param urls one or more base URLs, comma-separated ({@code http://registry:8081})
   * @param userInfo {@code user:password} for HTTP basic auth, or null/empty for none
   */
  public SchemaRegistryClient(String urls, String userInfo, Duration timeout) {
    List<URI> uris = new ArrayList<>();
    for (String url : urls.split(",")) {
      String u = url.strip();
      if (!u.isEmpty()) {
        uris.add(URI.create(u.endsWith("/") ? u : u + "/"));
      }
    }
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("no Schema Registry URL in '" + urls + "'");
    }
    this.urls = urls;
    this.baseUris = List.copyOf(uris);
    this.authorization =
        userInfo == null || userInfo.isEmpty()
            ? null
            : "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  public SchemaRegistryClient(String urls, String userInfo) {
    this(urls, userInfo, Duration.ofSeconds(10));
  }

  /** The base URLs as configured. */
  public String urls() {
    return urls;
  }

  /**
   * Registers {@code schema} under {@code subject}, or finds it if it is there already (the
   * registry answers with the existing id), and returns its global id.
   *
   * @throws SerializationException if the registry refuses it (incompatible, bad auth) or is down
   */
  public int register(String subject, Schema schema) {
    String text = schema.toString();
    String cacheKey = subject + '\u0000' + text;
    Integer cached = idsBySubjectAndSchema.get(cacheKey);
    if (cached != null) {
      return cached;
    }
    String path =
        "subjects/"
            + URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20")
            + "/versions";
    JsonNode answer = call("POST", path, requestBody(text));
    JsonNode id = answer.get("id");
    if (id == null || !id.isIntegralNumber() || !id.canConvertToInt()) {
      throw new SerializationException(
          "Schema Registry answered register without an id: " + answer);
    }
    int value = id.intValue();
    idsBySubjectAndSchema.put(cacheKey, value);
    schemasById.putIfAbsent(value, schema);
    log.info("schema {} is id {} under subject {}", schema.getFullName(), value, subject);
    return value;
  }

  /** The schema with this global id. */
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = call("GET", "schemas/ids/" + id, null);
    JsonNode type = answer.get("schemaType");
    if (type != null && !type.isNull() && !"AVRO".equals(type.asText())) {
      throw new SerializationException("schema id " + id + " is " + type + ", not AVRO");
    }
    JsonNode schemaText = answer.get("schema");
    if (schemaText == null || !schemaText.isTextual()) {
      throw new SerializationException("Schema Registry answered id " + id + " without a schema");
    }
    String text = schemaText.textValue();
    Schema schema;
    try {
      schema = new Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw new SerializationException("schema id " + id + " does not parse: " + e.getMessage(), e);
    }
    Schema raced = schemasById.putIfAbsent(id, schema);
    return raced == null ? schema : raced;
  }

  /** The body of a register request: {@code {"schema": "<the schema as a JSON string>"}}. */
  static String requestBody(String schema) {
    try {
      return JSON.writeValueAsString(Map.of("schema", schema));
    } catch (JsonProcessingException e) {
      throw new SerializationException("cannot write a register request", e);
    }
  }

  /**
   * The JSON object in a registry's answer.
   *
   * @throws IllegalArgumentException if {@code body} is not a JSON object
   */
  static JsonNode parseObject(String body) {
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("expected a JSON object, not '" + abbreviate(body) + "'");
    }
    return node;
  }

  private static String abbreviate(String body) {
    return body.length() <= 80 ? body : body.substring(0, 80) + "...";
  }

  private JsonNode call(String method, String path, String body) {
    RegistryUnavailableException last = null;
    for (URI base : baseUris) {
      URI uri = base.resolve(path);
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri)
              .timeout(timeout)
              .header("Accept", CONTENT_TYPE + ", application/json");
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      if (body == null) {
        request.GET();
      } else {
        request
            .header("Content-Type", CONTENT_TYPE)
            .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      }
      HttpResponse<String> response;
      try {
        response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        last = new RegistryUnavailableException("Schema Registry " + uri + " unreachable: " + e, e);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SerializationException("interrupted calling Schema Registry " + uri, e);
      }
      int status = response.statusCode();
      if (status / 100 == 2) {
        try {
          return parseObject(response.body());
        } catch (IllegalArgumentException e) {
          // Not the registry talking (a proxy's or load balancer's page): as good as no answer, so
          // the caller retries rather than rejecting the data or failing for good.
          last =
              new RegistryUnavailableException(
                  "Schema Registry "
                      + uri
                      + " answered "
                      + status
                      + " with something that is not JSON: "
                      + e.getMessage(),
                  e);
          continue;
        }
      }
      if (status >= 500) {
        last =
            new RegistryUnavailableException(describe(method, uri, status, response.body()), null);
        continue;
      }
      throw new SerializationException(describe(method, uri, status, response.body()));
    }
    throw last;
  }

  /** Names the registry's own error_code and message when the body carries them. */
  private static String describe(String method, URI uri, int status, String body) {
    String detail = body;
    try {
      JsonNode error = parseObject(body);
      detail = "error_code " + error.get("error_code") + ": " + error.path("message").asText(null);
    } catch (IllegalArgumentException e) {
      // not JSON: keep the raw body
    }
    return "Schema Registry "
        + method
        + " "
        + uri
        + " failed with HTTP "
        + status
        + " ("
        + detail
        + ")";
  }
}

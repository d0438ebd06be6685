package io.graphitekafka.schemas.serde;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Schema Registry stand-in implementing the two documented REST endpoints the client uses, with
 * Confluent's semantics: a schema gets one global id however many subjects it is registered under,
 * registering it again returns that id, errors carry {@code error_code} and {@code message}. A test
 * that wants a fresh one per test method holds it as
 * {@code @RegisterExtension final StubSchemaRegistry registry = StubSchemaRegistry.start();}, and it
 * is stopped after each test.
 */
public final class StubSchemaRegistry implements AutoCloseable, AfterEachCallback {

  private final HttpServer server;
  private final String expectedAuthorization;
  private final Map<String, Integer> idsBySchema = new LinkedHashMap<>();
  private final Map<Integer, String> schemasById = new LinkedHashMap<>();
  private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();
  public final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile boolean down;

  /** @param userInfo the {@code user:password} that must be sent, or null for no auth */
  public StubSchemaRegistry(String userInfo) throws IOException {
    this.expectedAuthorization = userInfo == null ? null
        : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** A stand-in without authentication, on a free loopback port. */
  public static StubSchemaRegistry start() {
    try {
      return new StubSchemaRegistry(null);
    } catch (IOException e) {
      throw new UncheckedIOException("starting the Schema Registry stand-in", e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** While down, every request is answered 503 as a registry that lost its Kafka store answers. */
  public void down(boolean down) {
    this.down = down;
  }

  /** Registers a schema directly, as another producer would have. */
  public synchronized int preload(String subject, Schema schema) {
    return register(subject, schema.toString());
  }

  public synchronized List<Integer> versions(String subject) {
    return new ArrayList<>(versionsBySubject.getOrDefault(subject, List.of()));
  }

  private synchronized int register(String subject, String schema) {
    // Confluent canonicalizes before comparing; parsing and printing again is close enough here
    String canonical = new Schema.Parser().parse(schema).toString();
    Integer id = idsBySchema.get(canonical);
    if (id == null) {
      id = idsBySchema.size() + 1;
      idsBySchema.put(canonical, id);
      schemasById.put(id, canonical);
    }
    List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
    if (!versions.contains(id)) {
      versions.add(id);
    }
    return id;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      requests.add(method + " " + path);
      if (down) {
        respond(exchange, 503, "{\"error_code\":50003,\"message\":\"Error while forwarding the request\"}");
        return;
      }
      if (expectedAuthorization != null
          && !expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        respond(exchange, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
        return;
      }
      if (method.equals("POST") && path.matches("/subjects/[^/]+/versions")) {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.startsWith("application/vnd.schemaregistry")) {
          respond(exchange, 415, "{\"error_code\":415,\"message\":\"Unsupported Media Type\"}");
          return;
        }
        String subject = java.net.URLDecoder.decode(
            path.substring("/subjects/".length(), path.length() - "/versions".length()),
            StandardCharsets.UTF_8);
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Object schema = Json.parseObject(body).get("schema");
        if (!(schema instanceof String text)) {
          respond(exchange, 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
          return;
        }
        int id;
        try {
          id = register(subject, text);
        } catch (RuntimeException e) {
          respond(exchange, 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
          return;
        }
        respond(exchange, 200, "{\"id\":" + id + "}");
        return;
      }
      if (method.equals("GET") && path.matches("/schemas/ids/\\d+")) {
        int id = Integer.parseInt(path.substring("/schemas/ids/".length()));
        String schema;
        synchronized (this) {
          schema = schemasById.get(id);
        }
        if (schema == null) {
          respond(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema " + id + " not found\"}");
          return;
        }
        respond(exchange, 200, "{\"schema\":" + Json.quote(schema) + "}");
        return;
      }
      respond(exchange, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }
}

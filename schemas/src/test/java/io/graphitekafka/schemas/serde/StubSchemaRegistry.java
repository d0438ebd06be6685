package io.graphitekafka.schemas.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A Schema Registry stand-in implementing the documented REST endpoints that our client and
 * Confluent's own serializers use, with Confluent's semantics: a schema gets one global id however
 * many subjects it is registered under, registering it again returns that id, errors carry {@code
 * error_code} and {@code message}. Endpoints: {@code POST /subjects/{s}/versions} (register),
 * {@code POST /subjects/{s}} (look up), {@code GET /subjects/{s}/versions/{n|latest}}, {@code GET
 * /schemas/ids/{id}}, and {@code PUT /config} or {@code PUT /config/{s}} with {@code
 * {"compatibility": "NONE"|"BACKWARD"}}: under BACKWARD, a schema that cannot read the subject's
 * latest version is refused with HTTP 409, as Confluent refuses it. Unlike Confluent's registry,
 * whose default is BACKWARD, the stand-in's default is NONE. It can be stopped and started again on
 * the same port with the same schemas, as a registry with a persistent store restarts, and it can
 * be told to answer 503 ({@link #down}) or garbage ({@link #garbage}). A test that wants a fresh
 * one per test method holds it as {@code @RegisterExtension final StubSchemaRegistry registry =
 * StubSchemaRegistry.start();}, and it is stopped after each test.
 */
public final class StubSchemaRegistry implements AutoCloseable, AfterEachCallback {

  private HttpServer server;
  private final int port;
  private final String expectedAuthorization;
  private final Map<String, Integer> idsBySchema = new LinkedHashMap<>();
  private final Map<Integer, String> schemasById = new LinkedHashMap<>();
  private final Map<String, List<Integer>> versionsBySubject = new LinkedHashMap<>();
  public final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, String> compatibilityBySubject = new LinkedHashMap<>();
  private volatile boolean down;
  private volatile boolean garbage;

  /**
   * @param userInfo the {@code user:password} that must be sent, or null for no auth
   */
  public StubSchemaRegistry(String userInfo) throws IOException {
    this.expectedAuthorization =
        userInfo == null
            ? null
            : "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    server = listen(0);
    port = server.getAddress().getPort();
  }

  private HttpServer listen(int port) throws IOException {
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    http.createContext("/", this::handle);
    http.start();
    return http;
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
    return "http://127.0.0.1:" + port;
  }

  /**
   * Stops listening (connections are refused) and keeps every schema, as a registry process
   * stopping.
   */
  public synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  /** Listens again on the same port with the same schemas, as the registry process restarting. */
  public synchronized void restart() throws IOException {
    if (server == null) {
      server = listen(port);
    }
  }

  /**
   * While set, every request is answered 200 with a body that is not JSON, as a misrouted proxy
   * answers.
   */
  public void garbage(boolean garbage) {
    this.garbage = garbage;
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
    List<Integer> existing = versionsBySubject.getOrDefault(subject, List.of());
    if ((id == null || !existing.contains(id))
        && !existing.isEmpty()
        && "BACKWARD".equals(compatibility(subject))) {
      Schema latest = new Schema.Parser().parse(schemasById.get(existing.get(existing.size() - 1)));
      SchemaCompatibility.SchemaPairCompatibility check =
          SchemaCompatibility.checkReaderWriterCompatibility(
              new Schema.Parser().parse(canonical), latest);
      if (check.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        throw new IncompatibleSchemaException(
            "Schema being registered is incompatible with an earlier "
                + "schema for subject \""
                + subject
                + "\", details: ["
                + check.getDescription()
                + "]");
      }
    }
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

  private synchronized String compatibility(String subject) {
    return compatibilityBySubject.getOrDefault(
        subject, compatibilityBySubject.getOrDefault("", "NONE"));
  }

  /** A subject's version (1-based, or "latest") as Confluent answers it, or null. */
  private synchronized String version(String subject, String version) {
    List<Integer> ids = versionsBySubject.get(subject);
    if (ids == null || ids.isEmpty()) {
      return null;
    }
    int n =
        version.equals("latest") || version.equals("-1") ? ids.size() : Integer.parseInt(version);
    if (n < 1 || n > ids.size()) {
      return null;
    }
    int id = ids.get(n - 1);
    return "{\"subject\":"
        + quote(subject)
        + ",\"version\":"
        + n
        + ",\"id\":"
        + id
        + ",\"schema\":"
        + quote(schemasById.get(id))
        + "}";
  }

  private static final class IncompatibleSchemaException extends RuntimeException {
    IncompatibleSchemaException(String message) {
      super(message);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code s} as a JSON string literal. */
  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String subjectOf(String encoded) {
    return java.net.URLDecoder.decode(encoded, StandardCharsets.UTF_8);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getRawPath();
      requests.add(method + " " + path);
      if (down) {
        respond(
            exchange,
            503,
            "{\"error_code\":50003,\"message\":\"Error while forwarding the request\"}");
        return;
      }
      if (garbage) {
        respond(exchange, 200, "<html><body>It works!</body></html>");
        return;
      }
      if (expectedAuthorization != null
          && !expectedAuthorization.equals(
              exchange.getRequestHeaders().getFirst("Authorization"))) {
        respond(exchange, 401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
        return;
      }
      if (method.equals("POST") && path.matches("/subjects/[^/]+/versions")) {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.startsWith("application/vnd.schemaregistry")) {
          respond(exchange, 415, "{\"error_code\":415,\"message\":\"Unsupported Media Type\"}");
          return;
        }
        String subject =
            java.net.URLDecoder.decode(
                path.substring("/subjects/".length(), path.length() - "/versions".length()),
                StandardCharsets.UTF_8);
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String text = SchemaRegistryClient.parseObject(body).path("schema").textValue();
        if (text == null) {
          respond(exchange, 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
          return;
        }
        int id;
        try {
          id = register(subject, text);
        } catch (IncompatibleSchemaException e) {
          respond(exchange, 409, "{\"error_code\":409,\"message\":" + quote(e.getMessage()) + "}");
          return;
        } catch (RuntimeException e) {
          respond(exchange, 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
          return;
        }
        respond(exchange, 200, "{\"id\":" + id + "}");
        return;
      }
      if (method.equals("POST") && path.matches("/subjects/[^/]+")) {
        String subject = subjectOf(path.substring("/subjects/".length()));
        String text =
            SchemaRegistryClient.parseObject(
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                .path("schema")
                .textValue();
        String found = null;
        if (text != null) {
          String canonical;
          try {
            canonical = new Schema.Parser().parse(text).toString();
          } catch (RuntimeException e) {
            respond(exchange, 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
            return;
          }
          synchronized (this) {
            Integer id = idsBySchema.get(canonical);
            List<Integer> ids = versionsBySubject.getOrDefault(subject, List.of());
            if (id != null && ids.contains(id)) {
              found = version(subject, String.valueOf(ids.indexOf(id) + 1));
            }
          }
        }
        if (found == null) {
          respond(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
          return;
        }
        respond(exchange, 200, found);
        return;
      }
      if (method.equals("GET") && path.matches("/subjects/[^/]+/versions/(latest|-1|\\d+)")) {
        String[] parts = path.split("/");
        String found = version(subjectOf(parts[2]), parts[4]);
        if (found == null) {
          respond(exchange, 404, "{\"error_code\":40402,\"message\":\"Version not found.\"}");
          return;
        }
        respond(exchange, 200, found);
        return;
      }
      if (method.equals("PUT") && path.matches("/config(/[^/]+)?")) {
        String subject =
            path.equals("/config") ? "" : subjectOf(path.substring("/config/".length()));
        String level =
            SchemaRegistryClient.parseObject(
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                .path("compatibility")
                .textValue();
        if (!"NONE".equals(level) && !"BACKWARD".equals(level)) {
          respond(
              exchange, 422, "{\"error_code\":42203,\"message\":\"Invalid compatibility level\"}");
          return;
        }
        synchronized (this) {
          compatibilityBySubject.put(subject, level);
        }
        respond(exchange, 200, "{\"compatibility\":\"" + level + "\"}");
        return;
      }
      if (method.equals("GET") && path.matches("/schemas/ids/\\d+")) {
        int id = Integer.parseInt(path.substring("/schemas/ids/".length()));
        String schema;
        synchronized (this) {
          schema = schemasById.get(id);
        }
        if (schema == null) {
          respond(
              exchange, 404, "{\"error_code\":40403,\"message\":\"Schema " + id + " not found\"}");
          return;
        }
        respond(exchange, 200, "{\"schema\":" + quote(schema) + "}");
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
    stop();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }
}

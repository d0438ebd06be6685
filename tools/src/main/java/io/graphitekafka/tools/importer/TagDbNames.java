package io.graphitekafka.tools.importer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Every series name in a graphite-web's TagDB, from {@code GET /tags/findSeries?expr=name=~.+}: the
 * names of an old installation's tagged series, whose hashed {@code _tagged} files cannot be named
 * otherwise. graphite-web answers a JSON list of names.
 */
final class TagDbNames {

  /**
   * Matches every series: each has a name, and findSeries wants an expression that needs a value.
   */
  static final String EVERY_SERIES = "name=~.+";

  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  private TagDbNames() {}

  /**
   * @param graphiteUrl the graphite-web's base URL; credentials in its user-info go as basic auth
   * @throws IOException naming the URL (without credentials) and what went wrong
   */
  static List<String> fetch(String graphiteUrl) throws IOException {
    URI base = URI.create(graphiteUrl.endsWith("/") ? graphiteUrl : graphiteUrl + "/");
    URI uri =
        withoutCredentials(base)
            .resolve(
                "tags/findSeries?expr=" + URLEncoder.encode(EVERY_SERIES, StandardCharsets.UTF_8));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
    if (base.getRawUserInfo() != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(
                      URLDecoder.decode(base.getRawUserInfo(), StandardCharsets.UTF_8)
                          .getBytes(StandardCharsets.UTF_8)));
    }
    HttpResponse<String> response;
    try {
      response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(10))
              .build()
              .send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted asking " + uri, e);
    } catch (IOException e) {
      throw new IOException("cannot ask " + uri + " for the tagged series: " + e, e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(
          uri + " answered HTTP " + response.statusCode() + ": " + abbreviate(response.body()));
    }
    JsonNode names;
    try {
      names = new ObjectMapper().readTree(response.body());
    } catch (IOException e) {
      throw new IOException(
          uri + " answered something other than JSON: " + abbreviate(response.body()), e);
    }
    if (!names.isArray()) {
      throw new IOException(
          uri + " answered " + abbreviate(response.body()) + ", not a list of names");
    }
    List<String> out = new ArrayList<>(names.size());
    for (JsonNode name : names) {
      if (name.isTextual()) {
        out.add(name.asText());
      }
    }
    return out;
  }

  static String withoutCredentials(String url) {
    return withoutCredentials(URI.create(url)).toString();
  }

  private static URI withoutCredentials(URI uri) {
    try {
      return new URI(
          uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("graphite-web URL " + uri + ": " + e.getMessage(), e);
    }
  }

  private static String abbreviate(String body) {
    String flat = body == null ? "" : body.replaceAll("\\s+", " ").trim();
    return flat.length() <= 200 ? flat : flat.substring(0, 200) + "...";
  }
}

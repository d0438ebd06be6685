package io.graphitekafka.sink.tags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.graphitekafka.sink.consumer.SeriesListener;
import io.graphitekafka.sink.metrics.SinkStats;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the series the sink writes with graphite-web's TagDB, as carbon-cache does with {@code
 * GRAPHITE_URL} ({@code carbon/writer.py}, {@code carbon/database.py}): a series when its file is
 * created, and again on every {@code updateInterval}-th file update, by {@code POST
 * <url>/tags/tagMultiSeries} with the field {@code path} repeated, {@code batchSize} names a
 * request.
 *
 * <p>Unlike carbon, whose queue drops names when it is full and whose requests are not retried,
 * nothing is lost: the names wait in a {@link TagJournal} on disk, read one batch at a time on a
 * thread of their own, and a batch is acknowledged only once graphite-web took it (HTTP 200 with
 * its answer, the list of the names tagged). A request that fails (no answer, a timeout, an error
 * status, another answer) is retried with a backoff doubling from 100 ms to {@code maxBackoff}. A
 * name graphite-web refuses (400, or its parse error) is found by splitting the batch, logged with
 * the answer and counted; the others are registered. The sink's write path only appends to the
 * journal.
 */
public final class TagRegistrar implements SeriesListener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TagRegistrar.class);

  /** graphite-web's messages for a name it cannot parse ({@code graphite/tags/utils.py}). */
  private static final List<String> REFUSALS =
      List.of(
          "Cannot parse path",
          "may not be empty",
          "is not allowed",
          "are not allowed",
          "Cannot use metric name");

  private static final long MIN_BACKOFF_MS = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI endpoint;
  private final String authorization;
  private final int batchSize;
  private final int updateInterval;
  private final boolean untagged;
  private final Duration timeout;
  private final long maxBackoffMs;
  private final LongAdder registered;
  private final LongAdder refused;
  private final LongAdder errors;
  private final TagJournal journal;
  private final HttpClient http;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running = true;
  private Thread thread;

  /**
   * carbon's global update counter: every {@code updateInterval}-th update re-registers its series.
   */
  private long updates;

  private long errorsLogged;

  /**
   * @param graphiteUrl graphite-web's base URL; credentials in its user-info are sent as basic auth
   * @param journalDir where the names waiting for registration are kept
   * @param untagged whether to register untagged series too (carbon 1.1.7 does; later carbon does
   *     not by default, {@code SKIP_TAGS_FOR_NONTAGGED})
   */
  public TagRegistrar(
      String graphiteUrl,
      Path journalDir,
      int batchSize,
      int updateInterval,
      boolean untagged,
      Duration timeout,
      long maxBackoffMs,
      SinkStats stats)
      throws IOException {
    URI base = URI.create(graphiteUrl.endsWith("/") ? graphiteUrl : graphiteUrl + "/");
    // decoded as a URI decodes it: %XX escapes only, a '+' stays a '+' (it is no space here)
    String userInfo = base.getUserInfo();
    this.authorization =
        userInfo == null
            ? null
            : "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    try {
      URI withoutUser =
          new URI(
              base.getScheme(), null, base.getHost(), base.getPort(), base.getPath(), null, null);
      this.endpoint = withoutUser.resolve("tags/tagMultiSeries");
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("graphite.url " + graphiteUrl + ": " + e.getMessage(), e);
    }
    this.batchSize = batchSize;
    this.updateInterval = updateInterval;
    this.untagged = untagged;
    this.timeout = timeout;
    this.maxBackoffMs = maxBackoffMs;
    this.journal = new TagJournal(journalDir);
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.registered = stats.metrics().counter("tagsRegistered");
    this.refused = stats.metrics().counter("tagsRefused");
    this.errors = stats.metrics().counter("tagErrors");
    stats.metrics().gauge("tagsPending", () -> journal.pending());
  }

  /** The URL names are posted to, without credentials. */
  public URI endpoint() {
    return endpoint;
  }

  public void start() {
    thread = new Thread(this::run, "tag-registrar");
    thread.setDaemon(true);
    thread.start();
    log.info(
        "registering series with graphite-web's TagDB at {}; {} names pending",
        endpoint,
        journal.pending());
  }

  @Override
  public void creating(String metric) throws IOException {
    if (wanted(metric)) {
      journal.append(metric);
    }
  }

  @Override
  public void updated(String metric) throws IOException {
    if (wanted(metric)) {
      updates = updates % updateInterval + 1;
      if (updates == 1) {
        journal.append(metric);
      }
    }
  }

  @Override
  public void flushed(boolean fsync) throws IOException {
    journal.publish(fsync);
  }

  private boolean wanted(String metric) {
    return untagged || metric.indexOf(';') >= 0;
  }

  private void run() {
    long backoff = MIN_BACKOFF_MS;
    try {
      while (running) {
        if (!journal.await(1, TimeUnit.SECONDS)) {
          continue;
        }
        TagJournal.Batch batch = journal.next(batchSize);
        if (register(batch.names())) {
          journal.acknowledge(batch);
          backoff = MIN_BACKOFF_MS;
        } else {
          Thread.sleep(backoff);
          backoff = Math.min(backoff * 2, maxBackoffMs);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      log.error(
          "tag registration stopped: {}; the names wait in the journal for the next start",
          e.toString(),
          e);
    } finally {
      stopped.countDown();
    }
  }

  /**
   * Registers the names, splitting the batch to find any that graphite-web refuses.
   *
   * @return false if graphite-web could not be reached or failed, so the batch is to be retried
   */
  private boolean register(List<String> names) throws InterruptedException {
    if (names.isEmpty()) {
      return true;
    }
    Answer answer = post(names);
    switch (answer.outcome) {
      case REGISTERED:
        registered.add(names.size());
        return true;
      case REFUSED:
        if (names.size() == 1) {
          refused.increment();
          log.warn("graphite-web refuses to tag {}: {}", names.get(0), answer.detail);
          return true;
        }
        int half = names.size() / 2;
        return register(names.subList(0, half)) && register(names.subList(half, names.size()));
      default:
        errors.increment();
        if (errorsLogged++ % 1000 < 10) {
          log.warn(
              "tagging {} series at {} failed ({}); retrying, nothing is dropped",
              names.size(),
              endpoint,
              answer.detail);
        }
        return false;
    }
  }

  private Answer post(List<String> names) throws InterruptedException {
    StringBuilder form = new StringBuilder();
    for (String name : names) {
      form.append(form.length() == 0 ? "" : "&")
          .append("path=")
          .append(URLEncoder.encode(name, StandardCharsets.UTF_8));
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form.toString()));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      return new Answer(Outcome.FAILED, e.toString());
    }
    int status = response.statusCode();
    String body = response.body() == null ? "" : response.body();
    if (status == 200) {
      // graphite-web answers the list of the names it tagged; anything else (a wrong URL that
      // answers 200 with a page, a proxy's error page) has registered nothing
      return isListOf(body, names.size())
          ? new Answer(Outcome.REGISTERED, "")
          : new Answer(
              Outcome.FAILED, "HTTP 200 but not graphite-web's answer: " + abbreviate(body));
    }
    String detail = "HTTP " + status + ": " + abbreviate(body);
    if (status == 400 || (status == 500 && REFUSALS.stream().anyMatch(body::contains))) {
      return new Answer(Outcome.REFUSED, detail);
    }
    return new Answer(Outcome.FAILED, detail);
  }

  private static boolean isListOf(String body, int size) {
    try {
      JsonNode answer = JSON.readTree(body);
      return answer != null && answer.isArray() && answer.size() == size;
    } catch (IOException e) {
      return false;
    }
  }

  private static String abbreviate(String body) {
    String flat = body.replaceAll("\\s+", " ").trim();
    return flat.length() <= 300 ? flat : flat.substring(0, 300) + "...";
  }

  /** Stops registering; the names not registered yet wait in the journal for the next start. */
  @Override
  public void close() throws InterruptedException, IOException {
    running = false;
    if (thread != null) {
      thread.interrupt();
      stopped.await(10, TimeUnit.SECONDS);
    }
    journal.close();
  }

  private enum Outcome {
    REGISTERED,
    REFUSED,
    FAILED
  }

  private record Answer(Outcome outcome, String detail) {}
}

package io.graphitekafka.sink.tags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.graphitekafka.service.metrics.SelfMetrics;
import io.graphitekafka.sink.metrics.SinkStats;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registration with graphite-web's TagDB against a local stand-in for graphite-web that records
 * every request: published names are posted to {@code <url>/tags/tagMultiSeries} in batches, with
 * the form field {@code path} repeated and URL-encoded, with basic auth from the URL's user-info;
 * untagged series only when asked; every {@code updateInterval}-th update registers its series
 * again, as carbon's {@code TagQueue} does; nothing leaves before the sink's flush. A graphite-web
 * that answers 503, is not listening or is slower than the timeout is retried until every name has
 * arrived, the failures counted in {@code tagErrors}; a name graphite-web refuses is isolated and
 * counted in {@code tagsRefused} while the others of its batch are registered. Names pending when
 * the registrar closes are posted by the next one on the same journal, a line cut short at the end
 * of the journal is dropped and the rest registered, and the journal is emptied once everything
 * past {@link TagJournal#COMPACT_AT} is taken.
 */
class TagRegistrarTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final long MAX_BACKOFF_MS = 200;

  @TempDir Path dir;

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void publishedNamesArePostedInBatchesWithPathRepeatedAndUrlEncoded() throws Exception {
    FakeGraphiteWeb web = web();
    SinkStats stats = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 3, 100, false, stats);
    List<String> names =
        List.of(
            "disk.used;host=a;dc=x",
            "disk.used;host=b&c;dc=y",
            "odd name;path=a+b=c",
            "pct.100%;unit=%",
            "température;lieu=café",
            "q;u=?#",
            "last;x=1");
    for (String name : names) {
      registrar.creating(name);
    }
    registrar.flushed(false);
    registrar.start();

    awaitTrue(() -> web.registered().size() == names.size(), web::describe);
    assertThat(web.registered()).isEqualTo(names);
    assertThat(web.requests)
        .extracting(Request::paths)
        .extracting(List::size)
        .containsExactly(3, 3, 1);
    for (Request r : web.requests) {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.path()).isEqualTo("/tags/tagMultiSeries");
      assertThat(r.contentType()).isEqualTo("application/x-www-form-urlencoded");
      assertThat(r.authorization()).isNull();
      assertThat(r.body())
          .isEqualTo(
              r.paths().stream()
                  .map(n -> "path=" + URLEncoder.encode(n, StandardCharsets.UTF_8))
                  .collect(Collectors.joining("&")));
    }
    assertThat(web.requests.get(0).body())
        .isEqualTo(
            "path=disk.used%3Bhost%3Da%3Bdc%3Dx&path=disk.used%3Bhost%3Db%26c%3Bdc%3Dy"
                + "&path=odd+name%3Bpath%3Da%2Bb%3Dc");
    awaitTrue(() -> pending(stats) == 0, web::describe);
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(names.size());
    assertThat(counter(stats, "tagsRefused")).isZero();
    assertThat(counter(stats, "tagErrors")).isZero();
  }

  @Test
  void untaggedSeriesAreRegisteredOnlyWhenAskedTo() throws Exception {
    FakeGraphiteWeb web = web();
    TagRegistrar tagged = registrar(web.url(), dir.resolve("tagged"), 100, 1, false, stats());
    createAndUpdate(tagged, "plain.series", "tagged.series;host=a", "another.plain");
    tagged.start();
    awaitTrue(() -> web.registered().size() == 2, web::describe);
    assertThat(web.registered()).containsExactly("tagged.series;host=a", "tagged.series;host=a");
    assertNothingMoreIsPosted(web);

    FakeGraphiteWeb all = web();
    TagRegistrar untagged = registrar(all.url(), dir.resolve("untagged"), 100, 1, true, stats());
    createAndUpdate(untagged, "plain.series", "tagged.series;host=a", "another.plain");
    untagged.start();
    awaitTrue(() -> all.registered().size() == 6, all::describe);
    assertThat(all.registered())
        .containsExactlyInAnyOrder(
            "plain.series",
            "plain.series",
            "tagged.series;host=a",
            "tagged.series;host=a",
            "another.plain",
            "another.plain");
  }

  @Test
  void everyUpdateIntervalUpdatesTheSeriesUpdatedIsRegisteredAgainAsCarbonDoes() throws Exception {
    FakeGraphiteWeb web = web();
    TagRegistrar registrar = registrar(web.url(), dir, 100, 3, false, stats());
    registrar.creating("new.series;n=0");
    // carbon's TagQueue.update: a counter shared by every series, counting 1..interval; on 1 the
    // series updated is queued. Untagged series do not count.
    for (int i = 1; i <= 8; i++) {
      registrar.updated("untagged.series");
      registrar.updated("updated.series;n=" + i);
    }
    registrar.flushed(false);
    registrar.start();
    awaitTrue(() -> web.registered().size() == 4, web::describe);
    assertThat(web.registered())
        .containsExactly(
            "new.series;n=0", "updated.series;n=1", "updated.series;n=4", "updated.series;n=7");

    for (int i = 9; i <= 10; i++) {
      registrar.updated("updated.series;n=" + i); // the count goes on across flushes
    }
    registrar.flushed(false);
    awaitTrue(() -> web.registered().size() == 5, web::describe);
    assertThat(web.registered()).last().isEqualTo("updated.series;n=10");
    assertNothingMoreIsPosted(web);
  }

  @Test
  void nothingIsPostedBeforeTheSinkFlushed() throws Exception {
    FakeGraphiteWeb web = web();
    SinkStats stats = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 100, 1, false, stats);
    registrar.start();
    registrar.creating("early;x=1");
    registrar.updated("early;x=1");
    registrar.creating("early;x=2");
    Thread.sleep(1500);
    assertThat(web.requests).as("a name is registered only once its file is flushed").isEmpty();
    assertThat(pending(stats)).isZero();

    registrar.flushed(true);
    awaitTrue(() -> web.registered().size() == 3, web::describe);
    assertThat(web.registered()).containsExactly("early;x=1", "early;x=1", "early;x=2");
  }

  @Test
  void aServerAnswering503IsRetriedUntilItRecoversAndNothingIsDropped() throws Exception {
    FakeGraphiteWeb web = web();
    web.status = 503;
    SinkStats stats = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 2, 100, false, stats);
    List<String> names = names("down", 5);
    feed(registrar, names.toArray(String[]::new));
    registrar.start();

    awaitTrue(() -> counter(stats, "tagErrors") >= 4, web::describe);
    assertThat(web.registered()).isEmpty();
    assertThat(pending(stats)).isEqualTo(5);
    web.status = 200;

    awaitTrue(() -> web.registered().size() == 5, web::describe);
    assertThat(web.registered()).isEqualTo(names);
    awaitTrue(() -> pending(stats) == 0, web::describe);
    long unavailable = web.requests.stream().filter(r -> r.status() == 503).count();
    assertThat(counter(stats, "tagErrors"))
        .as("one error per request answered 503")
        .isEqualTo(unavailable)
        .isGreaterThanOrEqualTo(4);
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(5);
    assertThat(counter(stats, "tagsRefused")).isZero();
  }

  @Test
  void aServerNotListeningIsRetriedUntilItStarts() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    SinkStats stats = stats();
    TagRegistrar registrar = registrar("http://127.0.0.1:" + port, dir, 100, 100, false, stats);
    List<String> names = names("unreachable", 4);
    feed(registrar, names.toArray(String[]::new));
    registrar.start();
    awaitTrue(
        () -> counter(stats, "tagErrors") >= 3, () -> "tagErrors " + counter(stats, "tagErrors"));
    assertThat(pending(stats)).isEqualTo(4);

    FakeGraphiteWeb web = web(port);
    awaitTrue(() -> web.registered().size() == 4, web::describe);
    assertThat(web.registered()).isEqualTo(names);
    assertThat(web.requests).hasSize(1);
    awaitTrue(() -> pending(stats) == 0, web::describe);
    assertThat(counter(stats, "tagErrors")).isGreaterThanOrEqualTo(3);
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(4);
  }

  @Test
  void aServerSlowerThanTheTimeoutIsRetried() throws Exception {
    FakeGraphiteWeb web = web();
    web.slowRequests.set(2);
    web.delayMs = 1500;
    SinkStats stats = stats();
    TagRegistrar registrar =
        new TagRegistrar(
            web.url(), dir, 100, 100, false, Duration.ofMillis(300), MAX_BACKOFF_MS, stats);
    closeables.add(registrar);
    List<String> names = names("slow", 3);
    feed(registrar, names.toArray(String[]::new));
    registrar.start();

    awaitTrue(() -> web.registered().size() == 3 && web.requests.size() == 3, web::describe);
    assertThat(web.registered()).isEqualTo(names);
    assertThat(web.requests.stream().filter(Request::late).count()).isEqualTo(2);
    assertThat(web.requests.stream().filter(r -> !r.late())).hasSize(1);
    awaitTrue(() -> pending(stats) == 0, web::describe);
    assertThat(counter(stats, "tagErrors")).as("each request that timed out").isEqualTo(2);
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(3);
  }

  @Test
  void aNameGraphiteWebCannotParseIsRefusedAndTheRestOfItsBatchRegistered() throws Exception {
    FakeGraphiteWeb web = web();
    web.refuse = Set.of("bad;x");
    SinkStats stats = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 100, 100, false, stats);
    feed(registrar, "good.a;x=1", "good.b;x=2", "bad;x", "good.c;x=3", "good.d;x=4");
    registrar.start();

    awaitTrue(() -> counter(stats, "tagsRefused") == 1 && pending(stats) == 0, web::describe);
    assertThat(web.registered())
        .containsExactly("good.a;x=1", "good.b;x=2", "good.c;x=3", "good.d;x=4");
    assertThat(web.requests.stream().filter(r -> r.status() == 500).map(Request::paths))
        .as("the batch split until the refused name stands alone")
        .containsExactly(
            List.of("good.a;x=1", "good.b;x=2", "bad;x", "good.c;x=3", "good.d;x=4"),
            List.of("bad;x", "good.c;x=3", "good.d;x=4"),
            List.of("bad;x"));
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(4);
    assertThat(counter(stats, "tagErrors")).isZero();
    assertNothingMoreIsPosted(web);

    // graphite-web's 400 (a request it rejects) counts the same way
    web.refuse = Set.of();
    web.refuseWith400 = Set.of("also;bad");
    registrar.creating("also;bad");
    registrar.creating("fine;x=5");
    registrar.flushed(false);
    awaitTrue(() -> counter(stats, "tagsRefused") == 2 && pending(stats) == 0, web::describe);
    assertThat(web.registered()).last().isEqualTo("fine;x=5");
    assertThat(counter(stats, "tagErrors")).isZero();
  }

  @Test
  void aServerErrorThatIsNotARefusalIsRetried() throws Exception {
    FakeGraphiteWeb web = web();
    web.failures.set(2);
    SinkStats stats = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 100, 100, false, stats);
    feed(registrar, "locked.a;x=1", "locked.b;x=2");
    registrar.start();
    awaitTrue(() -> web.registered().size() == 2 && pending(stats) == 0, web::describe);
    assertThat(web.requests).extracting(Request::status).containsExactly(500, 500, 200);
    assertThat(counter(stats, "tagErrors")).isEqualTo(2);
    assertThat(counter(stats, "tagsRefused")).isZero();
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(2);
  }

  @Test
  void credentialsInTheUrlAreSentAsBasicAuthAndItsPathIsKept() throws Exception {
    FakeGraphiteWeb web = web();
    int port = web.port();
    TagRegistrar registrar =
        registrar(
            "http://user:p%40ss+1@127.0.0.1:" + port + "/prefix", dir, 100, 100, false, stats());
    assertThat(registrar.endpoint())
        .isEqualTo(URI.create("http://127.0.0.1:" + port + "/prefix/tags/tagMultiSeries"));
    feed(registrar, "auth;x=1");
    registrar.start();
    awaitTrue(() -> web.registered().size() == 1, web::describe);
    Request r = web.requests.get(0);
    assertThat(r.path()).isEqualTo("/prefix/tags/tagMultiSeries");
    assertThat(r.authorization())
        .isEqualTo(
            "Basic "
                + Base64.getEncoder()
                    .encodeToString("user:p@ss+1".getBytes(StandardCharsets.UTF_8)));
    assertThat(
            registrar(web.url() + "/prefix/", dir.resolve("other"), 100, 100, false, stats())
                .endpoint())
        .isEqualTo(registrar.endpoint());
  }

  @Test
  void namesPendingWhenTheRegistrarClosesArePostedByTheNextOne() throws Exception {
    FakeGraphiteWeb web = web();
    web.status = 503;
    SinkStats first = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 100, 100, false, first);
    List<String> names = names("restart", 3);
    feed(registrar, names.toArray(String[]::new));
    registrar.start();
    awaitTrue(() -> counter(first, "tagErrors") >= 2, web::describe);
    registrar.close();
    assertThat(Files.readAllLines(dir.resolve("pending"))).isEqualTo(names);

    web.status = 200;
    SinkStats second = stats();
    TagRegistrar reopened = registrar(web.url(), dir, 100, 100, false, second);
    assertThat(pending(second)).isEqualTo(3);
    reopened.start();
    awaitTrue(() -> web.registered().size() == 3 && pending(second) == 0, web::describe);
    assertThat(web.registered()).isEqualTo(names);
    reopened.close();

    // acknowledged names stay acknowledged: a third start posts nothing
    SinkStats third = stats();
    TagRegistrar again = registrar(web.url(), dir, 100, 100, false, third);
    assertThat(pending(third)).isZero();
    again.start();
    assertNothingMoreIsPosted(web);
  }

  @Test
  void aLineCutShortAtTheEndOfTheJournalIsDroppedAndTheRestRegistered() throws Exception {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("pending"), "kept.a;x=1\nkept.b;x=2\ncut.c;x=", StandardCharsets.UTF_8);
    FakeGraphiteWeb web = web();
    TagRegistrar registrar = registrar(web.url(), dir, 100, 100, false, stats());
    registrar.start();
    awaitTrue(() -> web.registered().size() == 2, web::describe);
    assertThat(web.registered()).containsExactly("kept.a;x=1", "kept.b;x=2");

    feed(registrar, "next.d;x=4");
    awaitTrue(() -> web.registered().size() == 3, web::describe);
    assertThat(web.registered()).last().isEqualTo("next.d;x=4");
  }

  @Test
  void theJournalIsEmptiedOnceEverythingPastCompactAtIsRegistered() throws Exception {
    StringBuilder journal = new StringBuilder();
    int count = 0;
    while (journal.length() <= TagJournal.COMPACT_AT) {
      journal.append("bulk.series;n=").append(count++).append('\n');
    }
    Files.writeString(dir.resolve("pending"), journal, StandardCharsets.UTF_8);
    FakeGraphiteWeb web = web();
    SinkStats stats = stats();
    TagRegistrar registrar = registrar(web.url(), dir, 5000, 100, false, stats);
    assertThat(pending(stats)).isEqualTo(count);
    registrar.start();
    int total = count;
    awaitTrue(() -> web.registered().size() == total && pending(stats) == 0, web::describe);
    assertThat(Files.size(dir.resolve("pending"))).isZero();
    assertThat(Files.readString(dir.resolve("pending.offset")).trim()).isEqualTo("0");
    assertThat(counter(stats, "tagsRegistered")).isEqualTo(count);

    feed(registrar, "after.compaction;x=1");
    awaitTrue(() -> web.registered().size() == total + 1, web::describe);
    assertThat(web.registered()).last().isEqualTo("after.compaction;x=1");
    assertThat(Files.readString(dir.resolve("pending"))).isEqualTo("after.compaction;x=1\n");
  }

  // --- helpers

  /** The sink's calls for new series: each file about to be created, then the flush. */
  private static void feed(TagRegistrar registrar, String... names) throws IOException {
    for (String name : names) {
      registrar.creating(name);
    }
    registrar.flushed(false);
  }

  /** As {@link #feed}, with each file written too: every update registers again (interval 1). */
  private static void createAndUpdate(TagRegistrar registrar, String... names) throws IOException {
    for (String name : names) {
      registrar.creating(name);
      registrar.updated(name);
    }
    registrar.flushed(false);
  }

  private static List<String> names(String prefix, int n) {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add(prefix + ".series;host=h" + i + ";dc=d" + (i % 2));
    }
    return names;
  }

  private TagRegistrar registrar(
      String url,
      Path journalDir,
      int batchSize,
      int updateInterval,
      boolean untagged,
      SinkStats stats)
      throws IOException {
    TagRegistrar registrar =
        new TagRegistrar(
            url, journalDir, batchSize, updateInterval, untagged, TIMEOUT, MAX_BACKOFF_MS, stats);
    closeables.add(registrar);
    return registrar;
  }

  private static SinkStats stats() {
    return new SinkStats(new SelfMetrics(SinkStats.ROLE), 60, System::nanoTime);
  }

  private static long counter(SinkStats stats, String name) {
    return stats.metrics().counters().getOrDefault(name, -1L);
  }

  private static long pending(SinkStats stats) {
    return stats.metrics().gauges().get("tagsPending").longValue();
  }

  private FakeGraphiteWeb web() throws IOException {
    return web(0);
  }

  private FakeGraphiteWeb web(int port) throws IOException {
    FakeGraphiteWeb web = new FakeGraphiteWeb(port);
    closeables.add(web);
    return web;
  }

  private static void awaitTrue(
      BooleanSupplier condition, java.util.function.Supplier<String> state)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out; " + state.get());
      }
      Thread.sleep(20);
    }
  }

  /** The server gets no further request for a while. */
  private static void assertNothingMoreIsPosted(FakeGraphiteWeb web) throws InterruptedException {
    int count = web.requests.size();
    Thread.sleep(1200);
    assertThat(web.requests).as(web.describe()).hasSize(count);
  }

  /** A request as the stand-in saw it, with the status it answered; late if the client gave up. */
  record Request(
      String method,
      String path,
      String contentType,
      String authorization,
      String body,
      List<String> paths,
      int status,
      boolean late) {}

  /**
   * graphite-web's {@code /tags/tagMultiSeries} as far as the registrar sees it: 200 with the
   * names, 500 with graphite-web's parse error for a name in {@link #refuse}, 400 for one in {@link
   * #refuseWith400}, {@link #status} otherwise; the first {@link #slowRequests} answered after
   * {@link #delayMs}, the first {@link #failures} with a 500 that is not a parse error.
   */
  static final class FakeGraphiteWeb implements AutoCloseable {

    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    volatile Set<String> refuse = Set.of();
    volatile Set<String> refuseWith400 = Set.of();
    volatile long delayMs;
    final AtomicInteger slowRequests = new AtomicInteger();
    final AtomicInteger failures = new AtomicInteger();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    FakeGraphiteWeb(int port) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
      server.createContext("/", this::handle);
      server.setExecutor(executor);
      server.start();
    }

    int port() {
      return server.getAddress().getPort();
    }

    String url() {
      return "http://127.0.0.1:" + port();
    }

    /** Every name in a request answered 200 in time, in order. */
    List<String> registered() {
      return requests.stream()
          .filter(r -> r.status() == 200 && !r.late())
          .flatMap(r -> r.paths().stream())
          .toList();
    }

    String describe() {
      return requests.size()
          + " requests: "
          + requests.stream()
              .map(r -> r.status() + (r.late() ? " (late) " : " ") + r.paths())
              .toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      List<String> paths =
          body.isEmpty()
              ? List.of()
              : Arrays.stream(body.split("&"))
                  .filter(p -> p.startsWith("path="))
                  .map(
                      p -> URLDecoder.decode(p.substring("path=".length()), StandardCharsets.UTF_8))
                  .toList();
      boolean late = slowRequests.getAndDecrement() > 0;
      if (late) {
        try {
          Thread.sleep(delayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      int code;
      String answer;
      String refused = paths.stream().filter(refuse::contains).findFirst().orElse(null);
      String rejected = paths.stream().filter(refuseWith400::contains).findFirst().orElse(null);
      if (refused != null) {
        code = 500;
        answer = "{\"error\": \"Cannot parse path " + refused + ", invalid segment x\"}";
      } else if (rejected != null) {
        code = 400;
        answer = "{\"error\": \"Cannot parse path " + rejected + ", invalid segment bad\"}";
      } else if (failures.getAndDecrement() > 0) {
        code = 500;
        answer = "{\"error\": \"database is locked\"}";
      } else {
        code = status;
        answer =
            code == 200
                ? paths.stream()
                    .map(p -> "\"" + p + "\"")
                    .collect(Collectors.joining(", ", "[", "]"))
                : "<html><body><h1>503 Service Unavailable</h1></body></html>";
      }
      requests.add(
          new Request(
              exchange.getRequestMethod(),
              exchange.getRequestURI().getPath(),
              exchange.getRequestHeaders().getFirst("Content-Type"),
              exchange.getRequestHeaders().getFirst("Authorization"),
              body,
              paths,
              code,
              late));
      byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
      try {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      } catch (IOException e) {
        // the client gave up waiting
      } finally {
        exchange.close();
      }
    }

    @Override
    public void close() {
      server.stop(0);
      executor.shutdownNow();
    }
  }
}

package io.graphitekafka.aggregator.carbonlink;

import io.graphitekafka.graphite.naming.InvalidSeriesNameException;
import io.graphitekafka.graphite.naming.SeriesNames;
import io.graphitekafka.graphite.pickle.PickleWriter.Tuple;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Answers graphite-web's carbonlink requests as carbon-cache's {@code CacheManagementHandler} does,
 * from the aggregator's {@link RecentPoints}: {@code cache-query} with the series' points not yet
 * (or only just) in its file, {@code cache-query-bulk} with those of several series, and {@code
 * get-metadata} of {@code aggregationMethod} with the method storage-aggregation.conf gives the
 * series. Anything else, or a request that is not a dict of the right keys, is answered with {@code
 * {'error': …}}, which graphite-web logs before it reads the file alone.
 */
public final class CarbonlinkRequests {

  /** The most series one bulk query may ask for. */
  static final int MAX_BULK = 10_000;

  private final RecentPoints recent;
  private final Function<String, SeriesLayout> layouts;
  private final CarbonlinkRouting routing;

  /** Answers for every series from {@code recent}: a single aggregator, or the standalone. */
  public CarbonlinkRequests(RecentPoints recent, Function<String, SeriesLayout> layouts) {
    this(recent, layouts, new CarbonlinkRouting(CarbonlinkRouting.LOCAL, 1000, 1 << 20));
  }

  /**
   * @param layouts the layout storage-schemas.conf and storage-aggregation.conf give a series
   * @param routing where series this instance does not own are asked for
   */
  public CarbonlinkRequests(
      RecentPoints recent, Function<String, SeriesLayout> layouts, CarbonlinkRouting routing) {
    this.recent = recent;
    this.layouts = layouts;
    this.routing = routing;
  }

  /** The reply to one decoded request. */
  public Map<String, Object> answer(Object request) {
    if (!(request instanceof Map<?, ?> map)) {
      return error("a request must be a dict, not " + typeName(request));
    }
    Object type = map.get("type");
    if (!(type instanceof String t)) {
      return error("a request needs a 'type'");
    }
    try {
      return switch (t) {
        case "cache-query" ->
            Map.of("datapoints", datapoints(name(map.get("metric")), forwarded(map)));
        case "cache-query-bulk" -> bulk(map.get("metrics"), forwarded(map));
        case "get-metadata" -> metadata(name(map.get("metric")), map.get("key"));
        case "set-metadata" ->
            error(
                "set-metadata is not supported: the aggregation method comes from"
                    + " storage-aggregation.conf");
        default -> error("Invalid request type \"" + clip(t) + "\"");
      };
    } catch (BadRequest e) {
      return error(e.getMessage());
    }
  }

  private static boolean forwarded(Map<?, ?> request) {
    return Boolean.TRUE.equals(request.get(CarbonlinkRouting.FORWARDED));
  }

  /**
   * The series' points: this instance's own, or, for a series another aggregator owns, that
   * instance's answer.
   */
  private List<Object> datapoints(String metric, boolean forwarded) {
    InetSocketAddress owner = forwarded ? null : routing.remoteOwner(metric);
    if (owner == null) {
      return datapoints(metric);
    }
    Object reply;
    try {
      reply = routing.forward(owner, Map.of("type", "cache-query", "metric", metric));
    } catch (IOException e) {
      throw new BadRequest("the aggregator owning " + clip(metric) + " did not answer: " + e);
    }
    if (!(reply instanceof Map<?, ?> m) || !(m.get("datapoints") instanceof List<?> points)) {
      Object error = reply instanceof Map<?, ?> m ? m.get("error") : reply;
      throw new BadRequest("the aggregator owning " + clip(metric) + " answered: " + error);
    }
    List<Object> out = new ArrayList<>(points.size());
    for (Object p : points) {
      out.add(p instanceof List<?> pair ? new Tuple(pair) : p);
    }
    return out;
  }

  private List<Object> datapoints(String metric) {
    List<RecentPoints.Point> points = recent.get(metric);
    List<Object> out = new ArrayList<>(points.size());
    for (RecentPoints.Point p : points) {
      out.add(Tuple.of((double) p.timestamp(), p.value()));
    }
    return out;
  }

  private Map<String, Object> bulk(Object metrics, boolean forwarded) {
    if (!(metrics instanceof List<?> names)) {
      throw new BadRequest("cache-query-bulk needs a list of 'metrics'");
    }
    if (names.size() > MAX_BULK) {
      throw new BadRequest("cache-query-bulk of more than " + MAX_BULK + " series");
    }
    Map<String, Object> byMetric = new LinkedHashMap<>();
    for (Object n : names) {
      String metric = name(n);
      byMetric.put(metric, datapoints(metric, forwarded));
    }
    return Map.of("datapointsByMetric", byMetric);
  }

  private Map<String, Object> metadata(String metric, Object key) {
    if (!"aggregationMethod".equals(key)) {
      throw new BadRequest("Unsupported metadata key \"" + clip(String.valueOf(key)) + "\"");
    }
    return Map.of("value", layouts.apply(metric).method().carbonName());
  }

  /** The series name of a request: a str that is a valid series name, normalized. */
  private static String name(Object metric) {
    if (!(metric instanceof String s)) {
      throw new BadRequest("a request needs a 'metric' str, not " + typeName(metric));
    }
    try {
      return SeriesNames.normalize(s);
    } catch (InvalidSeriesNameException e) {
      throw new BadRequest("invalid metric name: " + e.getMessage());
    }
  }

  static Map<String, Object> error(String message) {
    return Map.of("error", message);
  }

  /** The Python type name of a value {@link io.graphitekafka.graphite.pickle.PickleReader} read. */
  private static String typeName(Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof java.util.ArrayList<?>) {
      return "list";
    }
    if (o instanceof List<?>) {
      return "tuple";
    }
    if (o instanceof Map<?, ?>) {
      return "dict";
    }
    if (o instanceof String) {
      return "str";
    }
    if (o instanceof Boolean) {
      return "bool";
    }
    if (o instanceof Double) {
      return "float";
    }
    if (o instanceof byte[]) {
      return "bytes";
    }
    return o instanceof Number ? "int" : o.getClass().getSimpleName();
  }

  private static String clip(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "…";
  }

  private static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message, null, false, false);
    }
  }
}

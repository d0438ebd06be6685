package io.graphitekafka.whisper;

import io.graphitekafka.graphite.storage.AggregationMethod;
import io.graphitekafka.graphite.storage.ArchiveSpec;
import io.graphitekafka.graphite.storage.SeriesLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Reads {@code golden/manifest.txt} and the snapshot files written by {@code make-golden.py}. */
final class GoldenManifest {

  record Step(long now, long[] timestamps, double[] values) {}

  record Fetch(long from, long until, long now, int secondsPerPoint, FetchResult expected) {}

  record Case(
      String name,
      SeriesLayout layout,
      FillMode fill,
      String file,
      List<Step> steps,
      List<Fetch> fetches) {

    /** The file after create (index 0) and after each step, as the reference wrote them. */
    List<byte[]> snapshots() {
      byte[] all = resource("golden/" + file, true);
      int size = (int) WhisperHeader.forLayout(layout).fileSize();
      if (all.length != size * (steps.size() + 1)) {
        throw new IllegalStateException(
            file
                + " has "
                + all.length
                + " bytes, not "
                + (steps.size() + 1)
                + " snapshots of "
                + size);
      }
      List<byte[]> out = new ArrayList<>();
      for (int i = 0; i <= steps.size(); i++) {
        byte[] s = new byte[size];
        System.arraycopy(all, i * size, s, 0, size);
        out.add(s);
      }
      return out;
    }
  }

  private GoldenManifest() {}

  static List<Case> load() {
    String text = new String(resource("golden/manifest.txt", false), StandardCharsets.UTF_8);
    List<Case> cases = new ArrayList<>();
    String name = null;
    SeriesLayout layout = null;
    FillMode fill = null;
    String file = null;
    List<Step> steps = new ArrayList<>();
    List<Fetch> fetches = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.trim().split(" ");
      switch (f[0]) {
        case "case" -> {
          name = f[1];
          List<ArchiveSpec> archives = new ArrayList<>();
          AggregationMethod method = null;
          float xff = Float.NaN;
          for (int i = 2; i < f.length; i++) {
            String key = f[i].substring(0, f[i].indexOf('='));
            String val = f[i].substring(f[i].indexOf('=') + 1);
            switch (key) {
              case "layout" -> {
                for (String a : val.split(",")) {
                  String[] sp = a.split(":");
                  archives.add(new ArchiveSpec(Integer.parseInt(sp[0]), Integer.parseInt(sp[1])));
                }
              }
              case "method" -> method = AggregationMethod.fromName(val);
              case "xff" -> xff = (float) Double.parseDouble(val);
              case "fill" -> fill = FillMode.valueOf(val.toUpperCase(java.util.Locale.ROOT));
              case "file" -> file = val;
              default -> throw new IllegalStateException("unknown key " + key);
            }
          }
          layout = new SeriesLayout(archives, method, xff);
          steps = new ArrayList<>();
          fetches = new ArrayList<>();
        }
        case "step" -> {
          int n = f.length - 2;
          long[] ts = new long[n];
          double[] vs = new double[n];
          for (int i = 0; i < n; i++) {
            String p = f[i + 2];
            int colon = p.indexOf(':');
            ts[i] = Long.parseLong(p.substring(0, colon));
            vs[i] = pyFloat(p.substring(colon + 1));
          }
          steps.add(new Step(Long.parseLong(f[1]), ts, vs));
        }
        case "fetch" -> {
          FetchResult expected = null;
          if (!f[5].equals("none")) {
            String[] vals = f.length > 8 ? f[8].split(",") : new String[0];
            Double[] values = new Double[vals.length];
            for (int i = 0; i < vals.length; i++) {
              values[i] = vals[i].equals("None") ? null : pyFloat(vals[i]);
            }
            expected =
                new FetchResult(
                    Long.parseLong(f[5]), Long.parseLong(f[6]), Integer.parseInt(f[7]), values);
          }
          fetches.add(
              new Fetch(
                  Long.parseLong(f[1]),
                  Long.parseLong(f[2]),
                  Long.parseLong(f[3]),
                  Integer.parseInt(f[4]),
                  expected));
        }
        case "end" -> cases.add(new Case(name, layout, fill, file, steps, fetches));
        default -> throw new IllegalStateException("bad manifest line: " + line);
      }
    }
    return cases;
  }

  /** Parses Python's repr() of a float. */
  static double pyFloat(String s) {
    return switch (s) {
      case "inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> Double.parseDouble(s);
    };
  }

  static byte[] resource(String name, boolean gzip) {
    try (InputStream raw = GoldenManifest.class.getClassLoader().getResourceAsStream(name)) {
      if (raw == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      InputStream in = gzip ? new GZIPInputStream(raw) : raw;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

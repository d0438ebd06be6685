"""Turns a bench/run.sh output directory into docs/BENCHMARKS.md and docs/benchmarks.svg.

  report.py profile FILE.collapsed          summary of an async-profiler collapsed profile (per thread)
  report.py ratios OUT                      the ratios and target checks, one per line
  report.py render OUT MARKDOWN SVG         writes the page and the chart; keeps the text between
                                            <!-- analysis --> and <!-- /analysis --> of the old page
"""
import collections
import os
import re
import statistics
import sys

GIB = 1024 * 1024  # KiB per GiB


# --- profiles -------------------------------------------------------------------------------------

THREAD_GROUPS = [
    (r"loadgen", "load generator"),
    (r"relay-listener", "relay comparison: counting listener"),
    (r"^(DestroyJavaVM|main)$", "main thread (start-up, benchmark driver)"),
    (r"IoEventLoopGroup|nioEventLoopGroup|epollEventLoop|gateway-(io|boss|worker)|netty",
     "gateway: Netty event loops"),
    (r"kafka-producer-network-thread", "Kafka producer I/O threads"),
    (r"StreamThread|stream-thread|-StreamThread-", "aggregator: Kafka Streams threads"),
    (r"sink|whisper", "sink threads"),
    (r"data-plane-kafka|kafka-request-handler|kafka-network-thread|broker|raft|ReplicaFetcher|"
     r"ExpirationReaper|LogCleaner|kafka-scheduler|group-coordinator|transaction|quorum|controller|"
     r"kafka-log|share-coordinator|executor-", "Kafka broker threads"),
    (r"G1 |GC Thread|G1Conc|G1Refine|VM Periodic|GC ", "GC"),
    (r"C2 CompilerThread|C1 CompilerThread|Compiler", "JIT compiler"),
]


def thread_group(name):
    for pattern, group in THREAD_GROUPS:
        if re.search(pattern, name, re.IGNORECASE):
            return group
    return "other: " + re.sub(r"\d+", "N", name)[:48]


def profile(path, top=15):
    by_thread = collections.Counter()
    by_group = collections.Counter()
    self_frames = collections.Counter()
    project = collections.Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not n.isdigit():
                continue
            n = int(n)
            frames = stack.split(";")
            thread = frames[0]
            if thread.startswith("["):
                thread = re.sub(r" tid=\d+$", "", thread.strip("[]"))
                frames = frames[1:]
            total += n
            by_group[thread_group(thread)] += n
            by_thread[re.sub(r"\d+", "N", thread)] += n
            if frames:
                self_frames[frames[-1]] += n
            seen = set()
            for fr in frames:
                if fr.startswith("io/graphitekafka/") and fr not in seen:
                    seen.add(fr)
                    project[fr] += n
    out = ["samples: %d (10 ms CPU each, all threads)" % total, "", "CPU by thread group:"]
    rest = 0
    for g, n in by_group.most_common():
        if n >= total / 200:
            out.append("  %5.1f %%  %s" % (100.0 * n / total, g))
        else:
            rest += n
    if rest:
        out.append("  %5.1f %%  other threads, each under 0.5 %%" % (100.0 * rest / total))
    out += ["", "top frames (self time):"]
    for fr, n in self_frames.most_common(top):
        out.append("  %5.1f %%  %s" % (100.0 * n / total, fr))
    out += ["", "project methods (inclusive):"]
    for fr, n in project.most_common(12):
        out.append("  %5.1f %%  %s" % (100.0 * n / total, fr))
    return "\n".join(out)


# --- results --------------------------------------------------------------------------------------

def load(out):
    r = {}
    with open(os.path.join(out, "results.env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            r[k] = v
    return r


def num(r, k):
    try:
        return float(r.get(k, ""))
    except ValueError:
        return None


def load_by_section(out):
    """Per section: (min, max) 1-minute load average and the share of CPU time the machine was busy."""
    rows = []
    path = os.path.join(out, "load.txt")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        for line in f:
            p = line.split()
            # a sample taken while the section file was being rewritten has no section name
            if len(p) < 9 or re.match(r"^[0-9.]+$", p[1]):
                continue
            cpu = [int(x) for x in p[6:]]  # "cpu" user nice system idle iowait irq softirq steal ...
            idle = cpu[3] + cpu[4]
            rows.append((p[1], float(p[2]), sum(cpu), idle))
    sections = collections.OrderedDict()
    for i, (sec, l1, tot, idle) in enumerate(rows):
        s = sections.setdefault(sec, {"load": [], "busy_t": 0, "busy_all": 0})
        s["load"].append(l1)
        if i > 0:
            dt, di = tot - rows[i - 1][2], idle - rows[i - 1][3]
            s["busy_all"] += dt
            s["busy_t"] += dt - di
    return {k: (min(v["load"]), max(v["load"]),
                100.0 * v["busy_t"] / v["busy_all"] if v["busy_all"] else None)
            for k, v in sections.items() if k not in ("none", "done")}


def users(out):
    """Section 8: {(system, million): [(seconds, cpu, broker_cpu), ...]} over the rounds."""
    rows = collections.defaultdict(list)
    path = os.path.join(out, "users.txt")
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            kv = dict(p.split("=", 1) for p in line.split() if "=" in p)
            try:
                rows[(kv["system"], int(kv["million"]))].append(
                    (float(kv["seconds"]), float(kv["cpu"]), float(kv.get("broker_cpu", "nan"))))
            except (KeyError, ValueError):
                continue
    return rows


def users_checks(u):
    """The users'-view targets, on the medians over the rounds."""
    out = []

    def med(system, million, i=0):
        xs = [row[i] for row in u.get((system, million), [])]
        return statistics.median(xs) if xs else None

    for label, ours, theirs, million, want in (
            ("gateway alone / carbon-c-relay, first million after start", "gateway", "relay", 1, 1.0),
            ("gateway alone / carbon-c-relay, third million (warm)", "gateway", "relay", 3, 1.5),
            ("standalone / carbon-cache end to end, first million after start", "standalone", "carbon-cache", 1, 1.5),
            ("standalone / carbon-cache end to end, second million (warm)", "standalone", "carbon-cache", 2, 3.0)):
        a, b = med(ours, million), med(theirs, million)
        if a and b:
            out.append((label, "%.2f x (%.2f s vs %.2f s, medians)" % (b / a, a, b), ">= %.1f x" % want, b / a >= want))
    a, b = med("standalone", 2, 1), med("carbon-cache", 2, 1)
    if a and b:
        out.append(("standalone CPU-s per million, warm, vs carbon-cache", "%.1f vs %.1f CPU-s" % (a, b),
                    "below carbon-cache's", a < b))
    return out


def checks(r):
    """(label, figure text, target text, met or None) for every target."""
    out = []
    g1, g8 = num(r, "gateway_1_pps"), num(r, "gateway_8_pps")
    r1, r8 = num(r, "relay_1_pps"), num(r, "relay_8_pps")
    if g1 and g8:
        best = max(g1, g8)
        out.append(("gateway into Kafka (acks=all)", "%s / %s points/s (1 / 8 connections)" % (fmt(g1), fmt(g8)),
                    ">= 500,000 points/s", best >= 500000))
    for c, g, rl in ((1, g1, r1), (8, g8, r8)):
        if g and rl:
            out.append(("gateway / carbon-c-relay, %d connection%s" % (c, "s" if c > 1 else ""),
                        "%.2f x" % (g / rl), ">= 1.5 x", g / rl >= 1.5))
    sink = num(r, "sink_write_pps")
    if sink:
        out.append(("sink, archive points into existing files (steady state, broker in the same JVM)",
                    "%s points/s" % fmt(sink), ">= 1,000,000 points/s", sink >= 1000000))
    gk, cc = num(r, "e2e_gk_seconds"), num(r, "e2e_cc_seconds")
    if gk and cc:
        out.append(("end to end, carbon-cache time / graphite-kafka time (running processes)",
                    "%.2f x (%.1f s vs %.1f s)" % (cc / gk, gk, cc), ">= 3 x", cc / gk >= 3))
    gk1, cc1 = num(r, "e2e_gk_first_seconds"), num(r, "e2e_cc_first_seconds")
    if gk1 and cc1:
        out.append(("end to end, first send after start (not a target; JIT running)",
                    "%.2f x (%.1f s vs %.1f s)" % (cc1 / gk1, gk1, cc1), "", None))
    gc, ccc = num(r, "e2e_gk_cpu"), num(r, "e2e_cc_cpu")
    if gc and ccc:
        out.append(("end to end, CPU time: carbon-cache / graphite-kafka (not a target; load-independent)",
                    "%.2f x (%.1f CPU-s vs %.1f CPU-s)" % (ccc / gc, gc, ccc), "", None))
    p99 = num(r, "fresh_p99")
    if p99 is not None:
        unresolved = num(r, "fresh_unresolved") or 0
        if p99 != p99:  # nan: no probe was readable
            fig = "none of %s probes readable within 60 s after the load ended" % fmt(num(r, "fresh_probes"))
        else:
            fig = "%.2f s (p50 %.2f s%s)" % (p99, num(r, "fresh_p50"),
                                            ", %d probes never readable" % unresolved if unresolved else "")
        out.append(("freshness p99 at %s points/s" % fmt(num(r, "fresh_rate")), fig, "< 2 s",
                    p99 == p99 and p99 < 2 and unresolved == 0))
    rp99 = num(r, "render_gk_p99")
    if rp99 is not None:
        unresolved = num(r, "render_gk_unresolved") or 0
        # the targets: p99 <= 1 s at 10,000 points/s, <= 2 s at 100,000 points/s
        want = 2 if (num(r, "render_rate") or 0) >= 100000 else 1
        out.append(("/render returns a point, via graphite-web and carbonlink, p99 at %s points/s"
                    % fmt(num(r, "render_rate")),
                    "%.2f s (p50 %.2f s%s; carbon-cache: p99 %s s)" % (
                        rp99, num(r, "render_gk_p50"),
                        ", %d probes never returned" % unresolved if unresolved else "",
                        r.get("render_carbon_p99", "-")),
                    "<= %d s" % want, rp99 == rp99 and rp99 <= want and unresolved == 0))
    rss = num(r, "rss_peak_kib")
    if rss:
        out.append(("standalone peak RSS, %s active series" % fmt(num(r, "fresh_series")),
                    "%.2f GiB" % (rss / GIB), "< 1.5 GiB", rss / GIB < 1.5))
    return out


def fmt(x):
    return "-" if x is None else "{:,.0f}".format(x)


def ratios(out):
    r = load(out)
    for label, fig, target, met in checks(r) + users_checks(users(out)):
        print("%-58s %-44s target %-22s %s" % (label, fig, target or "-",
                                                "" if met is None else "met" if met else "NOT met"))


# --- chart ----------------------------------------------------------------------------------------

def svg(r):
    """Three panels of horizontal bars: throughput (points/s), freshness (s), memory (GiB)."""
    ours, theirs, other = "#2b6cb0", "#c05621", "#718096"
    panels = []
    tp = [("gateway, 1 conn", num(r, "gateway_1_pps"), ours),
          ("carbon-c-relay, 1 conn", num(r, "relay_1_pps"), theirs),
          ("gateway, 8 conn", num(r, "gateway_8_pps"), ours),
          ("carbon-c-relay, 8 conn", num(r, "relay_8_pps"), theirs),
          ("end to end, graphite-kafka", per_s(r, "e2e_points", "e2e_gk_seconds"), ours),
          ("end to end, carbon-cache", per_s(r, "e2e_points", "e2e_cc_seconds"), theirs),
          ("aggregator", num(r, "aggregator_pps"), other),
          ("sink, archive points into files (steady)", num(r, "sink_write_pps"), other)]
    ratio_rows = []
    for c in (1, 8):
        g, rl = num(r, "gateway_%d_pps" % c), num(r, "relay_%d_pps" % c)
        if g and rl:
            ratio_rows.append(("gateway / carbon-c-relay, %d conn" % c, g / rl, ours))
    gk, cc = num(r, "e2e_gk_seconds"), num(r, "e2e_cc_seconds")
    if gk and cc:
        ratio_rows.append(("end to end, carbon-cache time / ours", cc / gk, ours))
    gc, ccc = num(r, "e2e_gk_cpu"), num(r, "e2e_cc_cpu")
    if gc and ccc:
        ratio_rows.append(("end to end, carbon-cache CPU / ours", ccc / gc, other))
    panels.append(("graphite-kafka against the Debian tool, x (more is better; 1 = the same)", ratio_rows, 1.0,
                   "parity", lambda v: "%.2f x" % v))
    panels.append(("Throughput, points/s (more is better)", [t for t in tp if t[1]], 500000, "gateway target",
                   lambda v: "{:,.0f}".format(v)))
    fr = []
    for st in ("fresh_low", "fresh"):
        for q in ("p50", "p99"):
            v = num(r, "%s_%s" % (st, q))
            if v is not None and v == v:
                fr.append(("%s at %s points/s" % (q, fmt(num(r, st + "_rate"))), v, ours))
    panels.append(("Freshness, s from line sent to point readable (less is better)", fr, 2.0, "target",
                   lambda v: "%.2f s" % v))
    mem = [("peak RSS", kib_gib(r, "rss_peak_kib"), ours), ("max heap used", kib_gib(r, "heap_used_max_kib"), other),
           ("max heap committed", kib_gib(r, "heap_committed_max_kib"), other)]
    panels.append(("Standalone memory, %s active series, GiB (less is better)" % fmt(num(r, "fresh_series")),
                   [t for t in mem if t[1]], 1.5, "target", lambda v: "%.2f GiB" % v))
    width, label_w, bar_w, row_h = 860, 230, 520, 22
    y = 10
    parts = []
    for title, rows, target, target_label, f in panels:
        if not rows:
            continue
        parts.append('<text x="10" y="%d" font-weight="bold">%s</text>' % (y + 14, esc(title)))
        y += 24
        top = max([v for _, v, _ in rows] + [target]) * 1.1
        y0 = y
        for label, v, color in rows:
            w = bar_w * v / top
            parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (label_w - 8, y + 15, esc(label)))
            parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (label_w, y + 3, w, row_h - 6, color))
            parts.append('<text x="%.1f" y="%d">%s</text>' % (label_w + w + 5, y + 15, esc(f(v))))
            y += row_h
        tx = label_w + bar_w * target / top
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e53e3e" stroke-dasharray="4,3"/>' % (tx, y0, tx, y))
        parts.append('<text x="%.1f" y="%d" fill="#e53e3e" font-size="11">%s %s</text>' % (tx + 3, y + 12, esc(target_label), esc(f(target))))
        y += 26
    legend = '<text x="10" y="%d" font-size="11"><tspan fill="%s">&#9632; graphite-kafka</tspan>  <tspan fill="%s">&#9632; Debian carbon-c-relay / carbon-cache</tspan>  <tspan fill="%s">&#9632; one stage alone</tspan>  — %s, %s cores, load during the run in docs/BENCHMARKS.md</text>' % (
        y + 4, ours, theirs, other, esc(r.get("date", "")), esc(r.get("nproc", "")))
    y += 14
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">\n'
            '<rect width="100%%" height="100%%" fill="white"/>\n%s\n%s\n</svg>\n' % (width, y + 6, "\n".join(parts), legend))


def per_s(r, n, s):
    a, b = num(r, n), num(r, s)
    return a / b if a and b else None


def kib_gib(r, k):
    v = num(r, k)
    return v / GIB if v else None


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- page -----------------------------------------------------------------------------------------

def render(out, md_path, svg_path):
    r = load(out)
    with open(svg_path, "w") as f:
        f.write(svg(r))
    analysis = "_(not written yet)_"
    if os.path.exists(md_path):
        old = open(md_path).read()
        m = re.search(r"<!-- analysis -->\n(.*?)\n<!-- /analysis -->", old, re.S)
        if m:
            analysis = m.group(1)
    quick = r.get("quick") == "1"
    L = []
    L.append("# Benchmarks")
    L.append("")
    L.append("Generated by `bench/run.sh%s` (the figures, tables, chart and profile summaries); the analysis "
             "section is written by hand and kept across runs. Every figure is from one run on one shared "
             "machine: read them with the load table below." % (" --quick" if quick else ""))
    if quick:
        L.append("")
        L.append("**This is a `--quick` run: the inputs are smaller than the targets ask for.**")
    L.append("")
    L.append("![benchmarks](benchmarks.svg)")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | wanted | |")
    L.append("|---|---|---|---|")
    for label, fig, target, met in checks(r) + users_checks(users(out)):
        L.append("| %s | %s | %s | %s |" % (label, fig, target or "-",
                                           "" if met is None else "met" if met else "**not met**"))
    L.append("")
    L.append("## Machine and load")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    for k, label in (("date", "date (UTC)"), ("nproc", "cores (nproc)"), ("cpu", "CPU"), ("ram_gib", "RAM, GiB"),
                     ("jdk", "JDK"), ("kernel", "kernel"), ("relay_version", "carbon-c-relay"),
                     ("carbon_version", "graphite-carbon (carbon-cache)"), ("whisper_version", "python3-whisper"),
                     ("commit", "graphite-kafka commit")):
        L.append("| %s | %s |" % (label, esc(r.get(k, ""))))
    L.append("")
    L.append("The benchmarks share the cores with whatever else runs on the machine, and a section's own processes "
             "(broker, services, load generator, reference tool) share them with each other. Load average (1 min) "
             "and how busy the whole machine was, per section (sampled every 5 s), show both:")
    L.append("")
    L.append("| section | load average min – max | machine CPU busy |")
    L.append("|---|---|---|")
    for sec, (lo, hi, busy) in load_by_section(out).items():
        L.append("| %s | %.2f – %.2f | %s |" % (sec, lo, hi, "-" if busy is None else "%.0f %%" % busy))
    L.append("")
    L.append("## Commands")
    L.append("")
    L.append("```")
    L.append("apt-get install graphite-carbon carbon-c-relay python3-whisper netcat-openbsd")
    L.append("bench/run.sh%s        # everything below, then this page; --quick for a few minutes" % (" --quick" if quick else ""))
    L.append("bin/graphite-kafka loadgen --help   # the load generator on its own")
    L.append("```")
    L.append("")
    L.append("What each section runs:")
    L.append("")
    L.append("1. `GatewayLoadBenchmark %s %s` (tools test classes): an embedded KRaft broker, the gateway "
             "and the load generator in one JVM, %s-partition `carbon.points`; %s plaintext points (1,000 series per "
             "connection) over 1 and then 8 connections, clock stopped when Kafka has acknowledged the last point "
             "(acks=all, idempotent, lz4). Then `carbon-c-relay -w 2 -q <queue> -L 15` forwarding the same input "
             "to a counting TCP listener on loopback (the listener runs in the benchmark JVM), its statistics sent "
             "every second to a second listener so its drop counter is read, not guessed (`-q` is the input size up to 1,000,000)." % (fmt(num(r, "gateway_points")).replace(",", ""), r.get("gateway_partitions", ""),
                                                     r.get("gateway_partitions", ""), fmt(num(r, "gateway_points"))))
    L.append("2. `RollupThroughputBench -Dbench.points=%s` (stream-aggregator): 10,000 series, "
             "`10s:6h,1m:7d,10m:5y`, input produced first, aggregator timed from RUNNING until its offsets are "
             "committed." % fmt(num(r, "aggregator_points")).replace(",", ""))
    rounds = int((num(r, "sink_write_points") or 0) / (num(r, "sink_cold_points") or 1)) + 1
    L.append("3. `SinkThroughputBenchmark %s 100 4 %d` (whisper-sink, embedded broker in the same JVM, 4 partitions, "
             "lz4): %s files created by the sink (sparse, one point each; creates/s from the sink's own `creates` "
             "counter, first to last create); then %d rounds of %s archive points (100 consecutive minutes per "
             "series, interleaved by series) all in the topic before a second sink starts, timed by its "
             "`committedPoints` counter. The first round is the cold start (group join, files opened, code not "
             "compiled yet); the rest is the steady state. CPU per point from the sink thread's CPU time and "
             "the process's (the broker's included)." % (
                 r.get("sink_files", ""), rounds, fmt(num(r, "sink_files")), rounds,
                 fmt(num(r, "sink_cold_points"))))
    L.append("4. `bench/sink-vs-carbon-cache.sh` with %s series x 100 points (see `bench/README.md`): the same "
             "plaintext file sent with `nc` to `bin/graphite-kafka standalone` and to carbon-cache, timed from the "
             "first byte until every point is readable in the finest archive of every file (then the sample is "
             "read again through `whisper.fetch`, which `whisper-fetch` uses). With `WARM=1`: each system first "
             "gets the 100 intervals before, timed as the first send after start, and the measured send then "
             "meets a process that has run a while, as services do." % fmt(num(r, "e2e_series")))
    L.append("5. `bin/graphite-kafka standalone` (its default JVM options, below), %s files created beforehand; a warm-up sends 2 points per "
             "series, then a first stage at a tenth of the rate for 30 s, then `bin/graphite-kafka loadgen --rate %s --timestamps now --connections 2 --series %s` runs "
             "for %s s while `bench/freshness.py probe` sends a probe point every 0.1 s (10 probe series in turn, "
             "current timestamp, a value that grows with each probe) on its own connection and polls the probe's "
             "slot in its Whisper file every 5 ms: the delay is from just before the line is written to the socket "
             "until the value is read from the file." % (fmt(num(r, "fresh_series")), r.get("fresh_rate", ""),
                                                           r.get("fresh_series", ""), r.get("fresh_seconds", "")))
    L.append("6. During 5, every 2 s: `VmRSS` and `VmHWM` from `/proc/<pid>/status`, and `jcmd <pid> GC.heap_info` "
             "(heap committed and used, every generation).")
    L.append("")
    L.append("Profiles: sections 1, 4 and 5 run their JVM with async-profiler %s (Maven Central "
             "`tools.profiler:async-profiler`), CPU sampled every 10 ms per thread (`itimer`), summarised by "
             "`bench/report.py profile`." % "4.1")
    L.append("")
    L.append("## Figures")
    L.append("")
    L.append("### 1. Gateway into Kafka vs carbon-c-relay")
    L.append("")
    L.append("| connections | gateway, points/s acknowledged by Kafka | load generator write rate | carbon-c-relay, points/s forwarded | relay forwarded / sent | relay dropped (its counter) | ratio |")
    L.append("|---|---|---|---|---|---|---|")
    for c in (1, 8):
        g, rl = num(r, "gateway_%d_pps" % c), num(r, "relay_%d_pps" % c) or None
        L.append("| %d | %s | %s | %s | %s / %s | %s | %s |" % (
            c, fmt(g), fmt(num(r, "gateway_%d_clientpps" % c)), fmt(rl), fmt(num(r, "relay_%d_forwarded" % c)),
            fmt(num(r, "relay_%d_sent" % c)), fmt(num(r, "relay_%d_dropped" % c)),
            "%.2f x" % (g / rl) if g and rl else "relay closed a client connection" if r.get("relay_%d_failed" % c) == "1" else "-"))
    L.append("")
    L.append("### 2. Aggregator")
    L.append("")
    L.append("| points | points/s, end to end | points/s, steady (last 75 %) | archive points sent |")
    L.append("|---|---|---|---|")
    L.append("| %s | %s | %s | %s |" % (fmt(num(r, "aggregator_points")), fmt(num(r, "aggregator_pps")),
                                       fmt(num(r, "aggregator_steady_pps")), fmt(num(r, "aggregator_archive_points"))))
    if num(r, "aggregator_rules_pps"):
        L.append("")
        L.append("The same input through 100 aggregation rules (`-Dbench.rules=100`: rule i sums, averages, takes "
                 "the maximum or the p90 of the 100 series of host i every minute; every point is tried against "
                 "every rule):")
        L.append("")
        L.append("| points/s, end to end | points/s, steady | aggregates sent | state per aggregate (bytes) |")
        L.append("|---|---|---|---|")
        L.append("| %s | %s | %s | %s |" % (fmt(num(r, "aggregator_rules_pps")), fmt(num(r, "aggregator_rules_steady_pps")),
                                           fmt(num(r, "aggregator_rules_sent")), fmt(num(r, "aggregator_rules_state"))))
    L.append("")
    L.append("### 3. Sink")
    L.append("")
    L.append("| | archive points into existing files | points/s | CPU per point, sink thread / process |")
    L.append("|---|---|---|---|")
    L.append("| steady state | %s | %s | %s ns / %s ns |" % (
        fmt(num(r, "sink_write_points")), fmt(num(r, "sink_write_pps")), fmt(num(r, "sink_thread_ns")),
        fmt(num(r, "sink_process_ns"))))
    L.append("| cold start (first round) | %s | %s | |" % (fmt(num(r, "sink_cold_points")),
                                                         fmt(num(r, "sink_cold_pps"))))
    L.append("")
    L.append("| files created | creates/s |")
    L.append("|---|---|")
    L.append("| %s | %s |" % (fmt(num(r, "sink_files")), fmt(num(r, "sink_creates_per_s"))))
    L.append("")
    L.append("### 4. End to end vs carbon-cache")
    L.append("")
    gk, cc = num(r, "e2e_gk_seconds"), num(r, "e2e_cc_seconds")
    L.append("| | graphite-kafka standalone | carbon-cache |")
    L.append("|---|---|---|")
    L.append("| %s points, %s series: every point readable after | %s s | %s s |" % (
        fmt(num(r, "e2e_points")), fmt(num(r, "e2e_series")), r.get("e2e_gk_seconds", "-"), r.get("e2e_cc_seconds", "-")))
    L.append("| input accepted (`nc` done, incl. its 1 s `-q1`) after | %s s | %s s |" % (
        r.get("e2e_gk_accepted", "-"), r.get("e2e_cc_accepted", "-")))
    L.append("| points/s | %s | %s |" % (fmt(per_s(r, "e2e_points", "e2e_gk_seconds")), fmt(per_s(r, "e2e_points", "e2e_cc_seconds"))))
    L.append("| CPU time of the process (user + system) from first byte to readable | %s s | %s s |" % (
        r.get("e2e_gk_cpu", "-"), r.get("e2e_cc_cpu", "-")))
    if gk and cc:
        L.append("| carbon-cache time / graphite-kafka time | %.2f | |" % (cc / gk))
    if num(r, "e2e_gk_first_seconds") and num(r, "e2e_cc_first_seconds"):
        L.append("| first send after start (the 100 intervals before): every point readable after | %s s | %s s |" % (
            r.get("e2e_gk_first_seconds", "-"), r.get("e2e_cc_first_seconds", "-")))
        L.append("| first send: CPU time of the process | %s s | %s s |" % (
            r.get("e2e_gk_first_cpu", "-"), r.get("e2e_cc_first_cpu", "-")))
    L.append("")
    L.append("### 5. Freshness")
    L.append("")
    L.append("| load | load generator achieved | standalone CPU (cores) | probes | readable | p50 | p90 | p99 | max |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for st in ("fresh_low", "fresh"):
        if st + "_rate" not in r:
            continue
        L.append("| %s points/s, %s series, %s s | %s points/s | %s | %s | %s | %s s | %s s | %s s | %s s |" % (
            fmt(num(r, st + "_rate")), fmt(num(r, "fresh_series")), r.get(st + "_seconds", "-"),
            fmt(num(r, st + "_loadgen_pps")), r.get(st + "_cores", "-"), r.get(st + "_probes", "-"),
            r.get(st + "_readable", "-"), r.get(st + "_p50", "-"), r.get(st + "_p90", "-"), r.get(st + "_p99", "-"),
            r.get(st + "_max", "-")))
    L.append("")
    L.append("A probe still unreadable 60 s after its stage's load ended counts as unresolved (no delay recorded); "
             "`nan` means no probe was readable in that time.")
    L.append("")
    if "render_rate" in r:
        L.append("### 7. What a dashboard sees: /render through graphite-web")
        L.append("")
        L.append("%s points/s of load over %s series for %s s; a probe point every 0.5 s; the delay from "
                 "sending it until graphite-web's `/render` returns it (graphite-web asks carbonlink for what "
                 "the file does not hold yet)." % (fmt(num(r, "render_rate")), fmt(num(r, "render_series")),
                                                  r.get("render_seconds", "-")))
        L.append("")
        L.append("| system | probes | returned | p50 | p90 | p99 | max |")
        L.append("|---|---|---|---|---|---|---|")
        for st, name in (("render_gk", "graphite-kafka standalone + graphite-web"),
                         ("render_carbon", "carbon-cache + graphite-web")):
            L.append("| %s | %s | %s | %s s | %s s | %s s | %s s |" % (
                name, r.get(st + "_probes", "-"), r.get(st + "_readable", "-"), r.get(st + "_p50", "-"),
                r.get(st + "_p90", "-"), r.get(st + "_p99", "-"), r.get(st + "_max", "-")))
        L.append("")
    u = users(out)
    if u:
        L.append("### 8. The users' view: whole processes, first million after start apart")
        L.append("")
        L.append("`bench/users-view.sh`: %s Carbon plaintext points over %s series sent with one TCP connection "
                 "(`nc`), a million at a time into processes started afresh for each of %s round(s). The gateway "
                 "runs alone (`bin/graphite-kafka gateway`) before a Kafka broker in its own process, timed until "
                 "Kafka acknowledged every point; carbon-c-relay forwards to a line-counting TCP sink, timed until "
                 "the sink counted every line. The standalone and carbon-cache are timed until every point is "
                 "readable in its file (section 4's method). Seconds and CPU-s (user + system of the process, "
                 "and of the broker for the gateway) are medians, with the range over the rounds."
                 % (fmt(num(r, "users_points")), fmt(num(r, "e2e_series")), r.get("users_rounds", "-")))
        L.append("")
        L.append("| process | million | seconds | CPU-s | broker CPU-s |")
        L.append("|---|---|---|---|---|")

        def span(xs, f):
            xs = [x for x in xs if x == x]
            if not xs:
                return "-"
            m = statistics.median(xs)
            return (f % m) if len(xs) == 1 else (f + " (" + f + "–" + f + ")") % (m, min(xs), max(xs))

        for system, name in (("gateway", "`graphite-kafka gateway`"), ("relay", "carbon-c-relay"),
                             ("standalone", "`graphite-kafka standalone`"), ("carbon-cache", "carbon-cache")):
            for million in (1, 2, 3):
                rows = u.get((system, million))
                if not rows:
                    continue
                L.append("| %s | %s | %s | %s | %s |" % (
                    name, {1: "first after start", 2: "second", 3: "third"}[million],
                    span([x[0] for x in rows], "%.2f"), span([x[1] for x in rows], "%.1f"),
                    span([x[2] for x in rows], "%.1f")))
        L.append("")
    L.append("### 6. Standalone memory")
    L.append("")
    L.append("| JVM options | peak RSS (VmHWM) | max RSS during the steady load | max heap used | max heap committed |")
    L.append("|---|---|---|---|---|")
    L.append("| `%s` | %s | %s | %s | %s |" % (r.get("standalone_opts", ""), gib(r, "rss_peak_kib"), gib(r, "rss_steady_max_kib"),
                                               gib(r, "heap_used_max_kib"), gib(r, "heap_committed_max_kib")))
    L.append("")
    L.append("## Profiles")
    L.append("")
    for name, title in (("gateway", "Section 1: gateway benchmark JVM (broker, gateway and load generator)"),
                        ("e2e", "Section 4: standalone JVM during the end-to-end run"),
                        ("fresh", "Section 5: standalone JVM during warm-up and the steady 100,000 points/s")):
        p = os.path.join(out, name + ".profile.txt")
        if os.path.exists(p):
            L.append("### " + title)
            L.append("")
            L.append("```")
            L.append(open(p).read().rstrip())
            L.append("```")
            L.append("")
    L.append("## Analysis")
    L.append("")
    L.append("<!-- analysis -->")
    L.append(analysis)
    L.append("<!-- /analysis -->")
    L.append("")
    with open(md_path, "w") as f:
        f.write("\n".join(L))


def gib(r, k):
    v = kib_gib(r, k)
    return "-" if v is None else "%.2f GiB" % v


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "profile":
        print(profile(args[0]))
    elif cmd == "ratios":
        ratios(args[0])
    elif cmd == "render":
        render(args[0], args[1], args[2])
    else:
        sys.exit(__doc__)

"""Render freshness probe for bench/run.sh section 7 (run with /usr/bin/python3).

  render_freshness.py create DIR                 creates the probe series' files (bench.render.p<k>)
  render_freshness.py probe CARBON_PORT WEB_PORT SECONDS OUT [INTERVAL]

Method: a probe point every INTERVAL seconds (0.5 by default), in turn to 20 probe series whose files
exist beforehand (graphite-web finds only series it has files for), over one TCP connection, with the
current time as timestamp and a value that grows with every probe. Each probe's delay is from just
before its line is written to the socket until graphite-web's /render (format=json, the last 5 minutes)
returns, for its series and slot, its value or a later probe's (which implies it); one /render of
every probe series, then 10 ms, in a loop.
graphite-web reads the file and asks carbonlink for what is not in it yet, exactly as a dashboard's
render does. Prints one line: probes, readable, unresolved, p50, p90, p99, max (seconds).
"""
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

import whisper

SERIES = 20
ARCHIVES = [(10, 2160), (60, 10080)]


def create(root):
    d = os.path.join(root, "bench", "render")
    os.makedirs(d, exist_ok=True)
    for k in range(SERIES):
        whisper.create(os.path.join(d, "p%d.wsp" % k), ARCHIVES, xFilesFactor=0.5,
                       aggregationMethod="average", sparse=True)


def render_all(web):
    """Every probe series' slots from one /render, as {series index: {slot: value}}."""
    q = urllib.parse.urlencode({"target": "bench.render.*", "from": "-5min", "format": "json"})
    with urllib.request.urlopen("http://127.0.0.1:%d/render?%s" % (web, q), timeout=5) as r:
        series = json.load(r)
    out = {}
    for s in series:
        k = int(s["target"].rsplit("p", 1)[1])
        out[k] = {t: v for v, t in s["datapoints"] if v is not None}
    return out


def probe(carbon, web, seconds, out, interval=0.5):
    sock = socket.create_connection(("127.0.0.1", carbon))
    sent = []  # (k, ts, value, t0)
    delays = {}
    lock = threading.Lock()
    done = threading.Event()

    def watch():
        while not done.is_set() or len(delays) < len(sent):
            with lock:
                pending = [p for p in sent if p[2] not in delays]
            if done.is_set() and (not pending or time.time() > deadline):
                return
            if pending:
                try:
                    slots = render_all(web)
                except Exception:
                    slots = {}
                now = time.time()
                for k, ts, value, t0 in pending:
                    v = slots.get(k, {}).get(ts - ts % 10)
                    if v is not None and v >= value:
                        with lock:
                            delays[value] = now - t0
            time.sleep(0.01)

    deadline = time.time() + seconds + 30
    watcher = threading.Thread(target=watch)
    watcher.start()
    value = 0
    end = time.time() + seconds
    while time.time() < end:
        value += 1
        k = value % SERIES
        now = time.time()
        ts = int(now)
        with lock:
            sent.append((k, ts, float(value), now))
        sock.sendall(("bench.render.p%d %d %d\n" % (k, value, ts)).encode())
        time.sleep(max(0.0, interval - (time.time() - now)))
    done.set()
    watcher.join()
    sock.close()
    got = sorted(delays.values())

    def q(p):
        return got[min(len(got) - 1, int(p * len(got)))] if got else float("nan")

    line = "probes=%d readable=%d unresolved=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f" % (
        len(sent), len(got), len(sent) - len(got), q(0.50), q(0.90), q(0.99), got[-1] if got else float("nan"))
    with open(out, "w") as f:
        f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    if sys.argv[1] == "create":
        create(sys.argv[2])
    else:
        probe(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5],
              float(sys.argv[6]) if len(sys.argv) > 6 else 0.5)

"""Freshness probe for bench/run.sh (run with /usr/bin/python3, which has python3-whisper).

  freshness.py create DIR PREFIX SERIES     creates <prefix>.h<s % 100>.s<s> files as bin/graphite-kafka
                                            loadgen names them, sparse, with conf/'s default layout
  freshness.py probe HOST PORT DIR SECONDS OUT [PROBES] [INTERVAL]
                                            sends probe points and measures when each is readable

Method: PROBES probe series (bench.probe.p<k>, files created beforehand) get one point every INTERVAL
seconds in turn, over their own TCP connection, with the current time as timestamp and a value that
grows with every probe sent. Each probe's delay is from just before its line is written to the socket
until its value (or a later probe's, which implies it) is read from the finest archive slot of its
timestamp in the Whisper file, polled every 5 ms through descriptors opened beforehand, as
whisper-fetch reads it. The probes ride on the same gateway, topics, partitions and sink as the load,
so they see the same queues. Prints one line: count p50 p90 p99 max (seconds) and unresolved probes.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import points  # noqa: E402  (same layout, same sparse create)

import whisper  # noqa: E402


def loadgen_path(root, prefix, s):
    return os.path.join(root, *prefix.split(".")), "h%d" % (s % 100), "s%d.wsp" % s


def create(root, prefix, series):
    for s in range(series):
        base, host, leaf = loadgen_path(root, prefix, s)
        d = os.path.join(base, host)
        os.makedirs(d, exist_ok=True)
        whisper.create(os.path.join(d, leaf), points.ARCHIVES, xFilesFactor=0.5,
                       aggregationMethod="average", sparse=True)


def probe_path(root, k):
    return os.path.join(root, "bench", "probe", "p%d.wsp" % k)


def slot_value(fd, ts):
    """The (timestamp, value) stored in the finest archive for the slot holding ts, as whisper.fetch
    finds it, or None."""
    head = os.pread(fd, 28, 0)
    offset, spp, npoints = struct.unpack("!LLL", head[16:28])
    base_ts = struct.unpack("!L", os.pread(fd, 4, offset))[0]
    if base_ts == 0:
        return None
    slot = ts - ts % spp
    index = ((slot - base_ts) // spp) % npoints
    stored_ts, value = struct.unpack("!Ld", os.pread(fd, 12, offset + index * 12))
    return value if stored_ts == slot else None


def probe(host, port, root, seconds, out, probes=10, interval=0.1):
    for k in range(probes):
        p = probe_path(root, k)
        if not os.path.exists(p):
            os.makedirs(os.path.dirname(p), exist_ok=True)
            whisper.create(p, points.ARCHIVES, xFilesFactor=0.5, aggregationMethod="average", sparse=True)
    fds = [os.open(probe_path(root, k), os.O_RDONLY) for k in range(probes)]
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lock = threading.Lock()
    pending = {}  # seq -> (k, ts, sent)
    delays = []
    done = threading.Event()

    def poll():
        while not (done.is_set() and not pending):
            with lock:
                items = list(pending.items())
            now = time.time()
            for seq, (k, ts, sent) in items:
                try:
                    v = slot_value(fds[k], ts)
                except (OSError, struct.error):
                    v = None
                if v is not None and v >= seq:
                    with lock:
                        del pending[seq]
                    delays.append(now - sent)
            if done.is_set() and time.time() > deadline[0]:
                break
            time.sleep(0.005)

    deadline = [float("inf")]
    poller = threading.Thread(target=poll)
    poller.start()
    start = time.time()
    seq = 0
    while time.time() - start < seconds:
        seq += 1
        k = seq % probes
        sent = time.time()
        ts = int(sent)
        with lock:
            pending[seq] = (k, ts, sent)
        sock.sendall(b"bench.probe.p%d %d %d\n" % (k, seq, ts))
        time.sleep(max(0.0, start + seq * interval - time.time()))
    sock.close()
    deadline[0] = time.time() + 60
    done.set()
    poller.join()
    for fd in fds:
        os.close(fd)
    delays.sort()

    def pct(p):
        return delays[min(len(delays) - 1, int(p / 100.0 * len(delays)))] if delays else float("nan")

    line = "probes=%d readable=%d unresolved=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f" % (
        seq, len(delays), len(pending), pct(50), pct(90), pct(99), delays[-1] if delays else float("nan"))
    with open(out, "w") as f:
        f.write(line + "\n")
        f.write(" ".join("%.4f" % d for d in delays) + "\n")
    print(line)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "create":
        create(args[0], args[1], int(args[2]))
    elif cmd == "probe":
        probe(args[0], int(args[1]), args[2], float(args[3]), args[4],
              *([int(args[5])] if len(args) > 5 else []), *([float(args[6])] if len(args) > 6 else []))
    else:
        sys.exit(__doc__)

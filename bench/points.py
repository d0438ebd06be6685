"""Helpers for sink-vs-carbon-cache.sh (run with /usr/bin/python3, which has python3-whisper).

  points.py input FILE SERIES PER_SERIES END      writes the Carbon plaintext input
  points.py create DIR SERIES                     creates the series' files, sparse, same layout as ours
  points.py wait DIR SERIES PER_SERIES END        waits until every point is readable, prints the time
"""
import os
import struct
import sys
import time

import whisper

STEP = 10
# conf/storage-schemas.conf [default] and conf/storage-aggregation.conf [default_average]
ARCHIVES = [(10, 6 * 360), (60, 7 * 1440), (600, 5 * 365 * 144)]


def name(s):
    return "bench.host%d.metric%d" % (s % 100, s)


def path(root, s):
    return os.path.join(root, "bench", "host%d" % (s % 100), "metric%d.wsp" % s)


def write_input(out, series, per_series, end):
    # interleaved by series, oldest first, as live traffic arrives
    with open(out, "w") as f:
        for i in range(per_series):
            ts = end - STEP * (per_series - 1 - i)
            f.write("".join("%s %d %d\n" % (name(s), (i + s) % 1000, ts) for s in range(series)))


def create(root, series):
    for s in range(series):
        p = path(root, s)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        whisper.create(p, ARCHIVES, xFilesFactor=0.5, aggregationMethod="average", sparse=True)


def count(fd, first, n):
    """Points present in the finest archive for the n intervals from first (as whisper.fetch sees them)."""
    if True:
        head = os.pread(fd, 64, 0)
        offset, spp, points = struct.unpack("!LLL", head[16:28])
        base = struct.unpack("!L", head[offset:offset + 4])[0] if offset + 4 <= len(head) else \
            struct.unpack("!L", os.pread(fd, 4, offset))[0]
        if base == 0:
            return 0
        start = ((first - base) // spp) % points
        raw = os.pread(fd, min(n, points - start) * 12, offset + start * 12)
        if n > points - start:
            raw += os.pread(fd, (n - (points - start)) * 12, offset)
    got = 0
    expected = first
    for ts, _ in struct.iter_unpack("!Ld", raw):
        if ts == expected:
            got += 1
        expected += spp
    return got


def wait(root, series, per_series, end):
    """Polls the finest archive of every file not yet complete; prints the epoch time the last one
    was seen complete and the number of passes. A sample of every 100th file is polled first, so the
    check uses little CPU while the points are being written."""
    first = end - STEP * (per_series - 1)
    # the files exist (created beforehand) and are written in place: open them once
    fds = [os.open(path(root, s), os.O_RDONLY) for s in range(series)]
    print("ready", flush=True)
    sample = list(range(0, series, 100))
    rest = [s for s in range(series) if s % 100]
    done_at = 0.0
    passes = 0
    for group in (sample, rest):
        pending = group
        while pending:
            passes += 1
            left = []
            for s in pending:
                try:
                    complete = count(fds[s], first, per_series) >= per_series
                except (IOError, OSError, struct.error):
                    complete = False
                if complete:
                    done_at = time.time()
                else:
                    left.append(s)
            pending = left
            if pending:
                time.sleep(0.05)
    for fd in fds:
        os.close(fd)
    # not timed: the sample read once more through whisper's own fetch, as whisper-fetch does
    for s in sample:
        _, values = whisper.fetch(path(root, s), first - 1, end + 1)
        missing = sum(1 for v in values if v is None)
        if missing:
            sys.exit("whisper.fetch finds %d of %d points missing in %s" % (missing, len(values), path(root, s)))
    print("%.3f %d" % (done_at, passes))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "input":
        write_input(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "create":
        create(args[0], int(args[1]))
    elif cmd == "wait":
        wait(args[0], int(args[1]), int(args[2]), int(args[3]))
    else:
        sys.exit(__doc__)

"""Helpers for backfill-vs-carbon-cache.sh (run with /usr/bin/python3, which has python3-whisper).

  backfill.py create DIR SERIES                          creates the series' files, sparse, same layout as ours
  backfill.py live FILE SERIES END                       writes the live phase: LIVE points per series up to END
  backfill.py input FILE SERIES PER_SERIES END SEED      writes the backfill, shuffled
  backfill.py wait-live DIR SERIES END                   waits until every live point is readable
  backfill.py wait DIR SERIES PER_SERIES END SEED        waits until every backfilled point is readable, prints
                                                         the time the last one was seen and the passes made

The backfill of a series: PER_SERIES points, each in a slot of its own, 40 % in the 10 s archive (20 min to
5 h 44 min old), 40 % in the 1 min archive (6 h 15 min to 6 d 23 h 44 min old) and 20 % in the 10 min
archive (7 d 16 min to 5 weeks old), with a timestamp anywhere in its slot and a value of its own. Every
age is 15 minutes or more from an archive boundary, so whatever `now` the point is written with in the
next few minutes, whisper puts it into the same archive. All series' points are shuffled together.
"""
import os
import random
import struct
import sys
import time

import whisper

# conf/storage-schemas.conf [default] and conf/storage-aggregation.conf [default_average]
ARCHIVES = [(10, 6 * 360), (60, 7 * 1440), (600, 5 * 365 * 144)]
LIVE = 6
MINUTE = 60
HOUR = 3600
DAY = 86400
# (archive index, share of the points, youngest age, oldest age)
REGIONS = [
    (0, 0.4, 20 * MINUTE, 5 * HOUR + 44 * MINUTE),
    (1, 0.4, 6 * HOUR + 16 * MINUTE, 6 * DAY + 23 * HOUR + 43 * MINUTE),
    (2, 0.2, 7 * DAY + 16 * MINUTE + 600, 35 * DAY),
]


def name(s):
    return "backfill.host%d.metric%d" % (s % 100, s)


def path(root, s):
    return os.path.join(root, "backfill", "host%d" % (s % 100), "metric%d.wsp" % s)


def create(root, series):
    for s in range(series):
        p = path(root, s)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        whisper.create(p, ARCHIVES, xFilesFactor=0.5, aggregationMethod="average", sparse=True)


def live_points(series, end):
    """LIVE points per series, 10 s apart up to end, interleaved by series as live traffic is."""
    for i in range(LIVE):
        ts = end - 10 * (LIVE - 1 - i)
        for s in range(series):
            yield s, ts, 1000000 + i


def backfill(series, per_series, end, seed):
    """Every backfilled point as (series, archive index, slot, timestamp, value), in sending order."""
    rnd = random.Random(seed)
    out = []
    for s in range(series):
        n = 0
        for archive, share, young, old in REGIONS:
            step = ARCHIVES[archive][0]
            want = per_series - n if archive == len(REGIONS) - 1 else int(per_series * share)
            taken = set()
            while len(taken) < want:
                slot = end - rnd.randint(young, old)
                slot -= slot % step
                if slot not in taken:
                    taken.add(slot)
                    out.append((s, archive, slot, slot + rnd.randrange(step), s * per_series + n))
                    n += 1
    rnd.shuffle(out)
    return out


def write_live(out, series, end):
    with open(out, "w") as f:
        f.write("".join("%s %d %d\n" % (name(s), v, ts) for s, ts, v in live_points(series, end)))


def write_input(out, series, per_series, end, seed):
    with open(out, "w") as f:
        f.write("".join("%s %d %d\n" % (name(s), v, ts) for s, _, _, ts, v in backfill(series, per_series, end, seed)))


class File:
    """One Whisper file opened once, and the points still to be seen in it."""

    def __init__(self, p, points):
        self.fd = os.open(p, os.O_RDONLY)
        head = os.pread(self.fd, 16 + 12 * len(ARCHIVES), 0)
        count = struct.unpack("!L", head[12:16])[0]
        self.archives = [struct.unpack("!LLL", head[16 + 12 * i:28 + 12 * i]) for i in range(count)]
        self.pending = points  # (archive index, slot, value)

    def check(self):
        """Drops the pending points the file holds now; returns how many are left."""
        left = []
        by_archive = {}
        for p in self.pending:
            by_archive.setdefault(p[0], []).append(p)
        for a, points in by_archive.items():
            offset, spp, count = self.archives[a]
            base = struct.unpack("!L", os.pread(self.fd, 4, offset))[0]
            if base == 0:
                left.extend(points)
                continue
            located = sorted((((slot - base) // spp) % count, slot, value) for _, slot, value in points)
            # one read per run of nearby positions
            i = 0
            while i < len(located):
                j = i
                while j + 1 < len(located) and located[j + 1][0] - located[j][0] < 4096:
                    j += 1
                first, last = located[i][0], located[j][0]
                raw = os.pread(self.fd, (last - first + 1) * 12, offset + first * 12)
                for pos, slot, value in located[i:j + 1]:
                    ts, v = struct.unpack_from("!Ld", raw, (pos - first) * 12)
                    if ts != slot or v != value:
                        left.append((a, slot, value))
                i = j + 1
        self.pending = left
        return len(left)

    def close(self):
        os.close(self.fd)


def poll(files, pause):
    """Checks the files until each holds all its points, a sample of every 50th first, so the check uses
    little CPU while the points are being written; returns the time the last one was seen complete and
    the number of passes."""
    sample = [f for i, f in enumerate(files) if i % 50 == 0]
    rest = [f for i, f in enumerate(files) if i % 50]
    done_at = 0.0
    passes = 0
    for group in (sample, rest):
        pending = group
        while pending:
            passes += 1
            left = []
            for f in pending:
                if f.check():
                    left.append(f)
                else:
                    done_at = time.time()
            pending = left
            if pending:
                time.sleep(pause)
    for f in files:
        f.close()
    return done_at, passes


def wait(root, series, per_series, end, seed):
    points = [[] for _ in range(series)]
    for s, archive, slot, _, value in backfill(series, per_series, end, seed):
        points[s].append((archive, slot, value))
    # the files exist (created beforehand) and are written in place: open them once
    files = [File(path(root, s), points[s]) for s in range(series)]
    print("ready", flush=True)
    done_at, passes = poll(files, 0.2)
    # not timed: a sample read once more through whisper's own fetch, as whisper-fetch reads it
    for s in range(0, series, 200):
        for archive, slot, value in points[s]:
            step = ARCHIVES[archive][0]
            (_, _, got_step), values = whisper.fetch(path(root, s), slot - 1, slot, archiveToSelect=step)
            if got_step != step or values[0] != value:
                sys.exit("whisper.fetch reads %r for %s at %d (%d s archive), not %r"
                         % (values[0], name(s), slot, step, value))
    print("%.3f %d" % (done_at, passes))


def wait_live(root, series, end):
    points = [[] for _ in range(series)]
    for s, ts, value in live_points(series, end):
        points[s].append((0, ts, value))
    files = [File(path(root, s), points[s]) for s in range(series)]
    poll(files, 0.2)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "create":
        create(args[0], int(args[1]))
    elif cmd == "live":
        write_live(args[0], int(args[1]), int(args[2]))
    elif cmd == "input":
        write_input(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    elif cmd == "wait-live":
        wait_live(args[0], int(args[1]), int(args[2]))
    elif cmd == "wait":
        wait(args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4]))
    else:
        sys.exit(__doc__)

#!/usr/bin/python3
"""Regenerates the golden Whisper files with the reference implementation.

Run with Debian's python3-whisper 1.1.4 (Python 3.11):

    /usr/bin/python3 whisper/src/test/resources/golden/make-golden.py

For every case it creates a file with whisper.create, applies a fixed list of
update_many calls with explicit `now`, and stores the file after create and
after each call, concatenated and gzipped (mtime 0), as <case>.wsp.gz.
manifest.txt lists the cases, the calls and fetch results recorded with
whisper.fetch, one item per line:

    case <name> layout=<spp>:<points>,... method=<name> xff=<repr> fill=<zero|sparse|fallocate>
    step <now> <timestamp>:<value> ...
    fetch <from> <until> <now> <spp or 0> none
    fetch <from> <until> <now> <spp or 0> <fromInterval> <untilInterval> <step> <v>,<v>,...
    end

Values are written with repr() (shortest round trip); a missing value is None.
"""

import gzip
import io
import os
import struct
import tempfile

import whisper

OUT = os.path.dirname(os.path.abspath(__file__))
T0 = 1699999200  # a multiple of 3600

LAYOUTS = {
    'a': [(60, 1440), (300, 8640), (3600, 26280)],  # spec Example A
    'b': [(10, 6), (60, 5), (300, 6)],  # spec Example B
    'c': [(60, 10)],
    'd': [(1, 24), (6, 20), (60, 12)],
    'e': [(10, 12), (30, 12)],
}
METHODS = ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin']
XFFS = [0.0, 0.1, 0.5, 1.0]
FILLS = ['zero', 'sparse', 'fallocate']


def value(k):
    """A deterministic mix of signs, fractions and magnitudes."""
    pool = [1.0, -3.0, 2.5, 0.1, 7.0, -0.0, 1e10, -2.25, 3.0, 0.0, 123.456, -1e-3]
    v = pool[k % len(pool)]
    return v if k < len(pool) else v + k // len(pool)


def base_of(path, archive):
    with open(path, 'rb') as fh:
        fh.seek(archive['offset'])
        return struct.unpack('!L', fh.read(4))[0]


def scenario(path, archives):
    """Yields (now, points) calls; reads the file between calls where a step depends on it."""
    s0, p0 = archives[0]
    r0 = s0 * p0
    rmax = max(s * p for s, p in archives)
    k = 0

    # 1: dense, in order, some timestamps not aligned.
    now = T0 + r0 // 2 + 7
    start = now - r0 // 2
    pts = []
    for i in range(min(p0 // 2, 12)):
        pts.append((start + i * s0 + (i % 3), value(k)))
        k += 1
    yield now, pts

    # 2: out of order with duplicates: identical raw timestamps (the first in input order wins)
    #    and several raw timestamps in one interval (the largest wins).
    now += 3 * s0
    t = [now - j * s0 for j in range(6)]
    pts = [(t[4], value(k)), (t[0], value(k + 1)), (t[2], value(k + 2)), (t[4], value(k + 3)),
           (t[2] + s0 - 1, value(k + 4)), (t[1], value(k + 5)), (t[1], value(k + 6)),
           (t[3], value(k + 7)), (t[2] + (s0 - 1) // 2, value(k + 8))]
    k += 9
    yield now, pts

    # 3: sparse: one slot in three, after a full lap of archive 0.
    now += r0
    pts = [(now - j * s0, value(k + j)) for j in range(0, p0, max(3, p0 // 40))]
    k += p0
    yield now, pts

    # 4: a contiguous run that crosses archive 0's end and wraps to its start.
    base = base_of(path, whisper.info(path)['archives'][0])
    lap = base + r0 * ((now - base) // r0 + 1)
    pts = [(lap + j * s0, value(k + j)) for j in range(-3, 3)]
    k += 6
    now = lap + 2 * s0 + 1
    yield now, pts

    # 5: every age class at once: future points, age == r0 (archive 0), just older than archive 0
    #    (raw into archive 1), age == max retention (kept), older than max retention (dropped),
    #    plus NaN and infinities.
    now += s0 * 5
    pts = [(now + 2 * s0, value(k)), (now + 17, float('inf')), (now - r0, value(k + 1)),
           (now - r0 - 1, value(k + 2)), (now - r0 - s0 - 3, float('nan')),
           (now - rmax, value(k + 3)), (now - rmax - 1, value(k + 4)),
           (now - 2 * rmax, value(k + 5)), (now - 1, float('-inf'))]
    if len(archives) > 2:
        r1 = archives[1][0] * archives[1][1]
        pts += [(now - r1 - 1, value(k + 6)), (now - r1 - archives[1][0], value(k + 7))]
    k += 8
    yield now, pts

    # 6: a long batch spanning archives (several raw points per coarser slot), newest first.
    now += r0 // 3 + 11
    pts = [(now - j * s0 - (j % 2), value(k + j)) for j in range(min(3 * p0, 80))]
    k += 80
    yield now, pts

    # 7: one isolated point, well after everything else: a single known slot out of n per coarser
    #    interval, where the float32 xFilesFactor against a double ratio decides (1/10 vs 0.1).
    now += 2 * archives[-1][0] + 7
    yield now, [(now - 1, value(k))]


def fetches(archives, now):
    rmax = max(s * p for s, p in archives)
    s0, p0 = archives[0]
    calls = [(now - s0 * p0 // 2, now, now, 0), (now - rmax - 100, now, now, 0),
             (now - rmax - 100, now - rmax + 5, now, 0), (now - 3 * s0, now - 3 * s0, now, 0),
             (now + 10, now + 20, now, 0), (now - 2 * rmax, now - rmax - 1, now, 0),
             (now - s0 * p0 * 2, now + 500, now, 0)]
    for spp, _ in archives:
        calls.append((now - rmax, now, now, spp))
    return calls


def fmt(v):
    return 'None' if v is None else repr(v)


def main():
    cases = []
    for name in ('b', 'd'):
        for m in METHODS:
            for x in XFFS:
                cases.append((name, m, x))
    cases += [('a', 'average', 0.5), ('a', 'max', 0.1), ('a', 'sum', 0.0), ('a', 'last', 1.0),
              ('c', 'average', 0.5), ('c', 'min', 0.0),
              ('e', 'absmax', 0.5), ('e', 'avg_zero', 1.0), ('e', 'absmin', 0.1)]
    lines = ['# Generated by make-golden.py with whisper %s; do not edit.' % whisper.__version__
             if hasattr(whisper, '__version__') else '# Generated by make-golden.py; do not edit.']
    for f in os.listdir(OUT):
        if f.endswith('.wsp.gz'):
            os.unlink(os.path.join(OUT, f))
    with tempfile.TemporaryDirectory() as tmp:
        for n, (layout, method, xff) in enumerate(cases):
            archives = LAYOUTS[layout]
            fill = FILLS[n % len(FILLS)]
            case = '%s-%s-%s' % (layout, method, repr(xff))
            path = os.path.join(tmp, case + '.wsp')
            whisper.create(path, list(archives), xFilesFactor=xff, aggregationMethod=method,
                           sparse=(fill == 'sparse'), useFallocate=(fill == 'fallocate'))
            snapshots = [open(path, 'rb').read()]
            lines.append('case %s layout=%s method=%s xff=%s fill=%s file=%s.wsp.gz' % (
                case, ','.join('%d:%d' % a for a in archives), method, repr(xff), fill, case))
            now = None
            for now, pts in scenario(path, sorted(archives)):
                whisper.update_many(path, pts, now=now)
                snapshots.append(open(path, 'rb').read())
                lines.append('step %d %s' % (now, ' '.join('%d:%s' % (t, fmt(v)) for t, v in pts)))
            for frm, until, at, spp in fetches(sorted(archives), now):
                r = whisper.fetch(path, frm, until, now=at, archiveToSelect=(str(spp) if spp else None))
                if r is None:
                    lines.append('fetch %d %d %d %d none' % (frm, until, at, spp))
                elif len(r[1]) > 400:
                    continue  # keep the manifest small; the small layouts cover long reads
                else:
                    (fi, ui, step), vals = r
                    lines.append('fetch %d %d %d %d %d %d %d %s' % (
                        frm, until, at, spp, fi, ui, step, ','.join(fmt(v) for v in vals)))
            lines.append('end')
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0, filename='') as gz:
                for s in snapshots:
                    gz.write(s)
            with open(os.path.join(OUT, case + '.wsp.gz'), 'wb') as fh:
                fh.write(buf.getvalue())
    with open(os.path.join(OUT, 'manifest.txt'), 'w') as fh:
        fh.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()

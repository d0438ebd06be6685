#!/usr/bin/python3
"""Applies whisper.create + update_many requests read from stdin, for the differential test.

One request per line, tab-separated:
    <path> <spp>:<points>,... <method> <xff as float.hex> <call>;<call>;...
where a call is <now>=<timestamp>:<value hex>,<timestamp>:<value hex>,... (possibly no points).
Answers one line per request: "ok", or "error <message>".
"""
import sys

import whisper

for line in sys.stdin:
    try:
        path, layout, method, xff, calls = line.rstrip('\n').split('\t')
        archives = [tuple(int(x) for x in a.split(':')) for a in layout.split(',')]
        whisper.create(path, archives, xFilesFactor=float.fromhex(xff), aggregationMethod=method)
        for call in calls.split(';'):
            now, _, pts = call.partition('=')
            points = []
            for p in filter(None, pts.split(',')):
                t, v = p.split(':')
                points.append((int(t), float.fromhex(v)))
            whisper.update_many(path, points, now=int(now))
        print('ok', flush=True)
    except Exception as e:  # reported to the Java side, which fails the try
        print('error %r' % (e,), flush=True)

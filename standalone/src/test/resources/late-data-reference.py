#!/usr/bin/python3
"""Reference files for late data, with python3-whisper: what whisper leaves when it gets each point,
one update_many call per point, in the order the points were sent.

Reads one JSON object on stdin:
  {"archives": [[spp, points], ...], "xff": 0.5, "method": "average",
   "points": [[path, timestamp, value, now], ...]}
creates each path (zero-filled, as whisper.create does by default) on first sight, applies the points
in order with update_many(path, [(timestamp, value)], now=now), and prints "done".
"""
import json
import os
import sys

import whisper


def main():
    request = json.load(sys.stdin)
    archives = [tuple(a) for a in request["archives"]]
    for path, ts, value, now in request["points"]:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            whisper.create(path, archives, request["xff"], request["method"])
        whisper.update_many(path, [(ts, value)], now=now)
    print("done", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes points into a new Whisper file with python3-whisper and answers the whole file's bytes.

Reads one JSON object per line on stdin:
  {"archives": [[spp, points], ...], "method": "sum", "xff": 0.5, "points": [[ts, value, now], ...]}
For each, it creates an empty, zero-filled file with whisper.create(path, archives, xff, method), then
calls whisper.update_many(path, [(ts, value)], now=now) once per point, in the order given, and answers
one line of JSON: {"hex": "<the file's bytes in hex>"}, or {"error": "<message>"} if whisper raised.
Values may be Infinity or -Infinity (Python's json reads them).
"""
import json
import os
import sys
import tempfile

import whisper


def file_bytes(request):
    fd, path = tempfile.mkstemp(suffix=".wsp")
    os.close(fd)
    os.unlink(path)
    try:
        whisper.create(path, [tuple(a) for a in request["archives"]], request["xff"],
                       request["method"])
        for ts, value, now in request["points"]:
            whisper.update_many(path, [(ts, value)], now=now)
        with open(path, "rb") as f:
            return f.read()
    finally:
        if os.path.exists(path):
            os.unlink(path)


def main():
    for line in sys.stdin:
        try:
            answer = {"hex": file_bytes(json.loads(line)).hex()}
        except Exception as e:  # reported to the caller, which fails the case with it
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()

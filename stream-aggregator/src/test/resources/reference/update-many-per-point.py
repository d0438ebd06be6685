#!/usr/bin/python3
"""Applies points to an empty Whisper file with python3-whisper, one update_many call per point.

Reads one JSON object per line on stdin:
  {"archives": [[spp, points], ...], "method": "sum", "xff": 0.5, "points": [[ts, value, now], ...]}
and answers one line of space-separated "archive:timestamp:bits" tokens, one per non-empty slot, the
value as the hex of its IEEE-754 bits so that no precision is lost.
"""
import json
import os
import struct
import sys
import tempfile

import whisper


def dump(path):
    header = whisper.info(path)
    out = []
    with open(path, "rb") as f:
        for archive in header["archives"]:
            f.seek(archive["offset"])
            data = f.read(archive["points"] * 12)
            slots = []
            for i in range(archive["points"]):
                ts, value = struct.unpack("!Ld", data[i * 12:(i + 1) * 12])
                raw = data[i * 12 + 4:(i + 1) * 12]
                if ts != 0 or raw != b"\0" * 8:
                    slots.append([ts, raw.hex()])
            out.append(slots)
    return out


def main():
    for line in sys.stdin:
        request = json.loads(line)
        fd, path = tempfile.mkstemp(suffix=".wsp")
        os.close(fd)
        os.unlink(path)
        try:
            whisper.create(path, [tuple(a) for a in request["archives"]], request["xff"],
                           request["method"])
            for ts, value, now in request["points"]:
                whisper.update_many(path, [(ts, value)], now=now)
            tokens = ["%d:%d:%s" % (a, ts, bits)
                      for a, slots in enumerate(dump(path)) for ts, bits in slots]
            print(" ".join(tokens), flush=True)
        finally:
            if os.path.exists(path):
                os.unlink(path)


if __name__ == "__main__":
    main()

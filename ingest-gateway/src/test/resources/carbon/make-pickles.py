#!/usr/bin/python3
"""Writes the pickle frames used by PickleDecoderTest, and a manifest of expected outcomes.

Run from this directory with CPython 3 (checked with 3.11): ./make-pickles.py
Frames are written to pickles/<name>.pickle (the frame payload, without the 4-byte length header).

The manifest, pickles/manifest.txt, has one block per frame:
  frame <name> decoded <element count>      followed by one line per element:
    point <timestamp> <value as 16 hex digits of IEEE-754 bits> <path>
    reject <reason code>
  frame <name> rejected <reason code>       for a frame rejected as a whole.
Expected element outcomes are computed here by following carbon 1.1.7's
MetricPickleReceiver.stringReceived and MetricReceiver.metricReceived (protocols.py) with
Python's own float(), plus the reject codes the Java decoder uses where carbon drops input.
"""

import math
import os
import pickle
import struct

ARRIVAL_SECONDS = 1700000000  # the tests decode with arrivalMillis = 1700000000123
OUT = "pickles"


class Evil:
    """Pickles as a call to os.system; a safe unpickler must refuse it."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


class Stateful:
    def __init__(self):
        self.x = 1


def expect_element(elem, resolution=0):
    """One element's outcome in the Java decoder's terms."""
    try:
        metric, (ts, value) = elem
        if not isinstance(elem, (list, tuple)) or not isinstance(elem[1], (list, tuple)):
            raise ValueError("shape")
    except Exception:
        return ("reject", "pickle_shape")
    try:
        ts = to_float(ts)
    except (ValueError, TypeError, OverflowError):
        return ("reject", "bad_timestamp")
    try:
        value = to_float(value)
    except (ValueError, TypeError, OverflowError):
        return ("reject", "bad_value")
    if isinstance(metric, bytes):
        return ("reject", "pickle_bytes_path")
    if isinstance(metric, InvalidUtf8):
        return ("reject", "invalid_utf8")
    if not isinstance(metric, str):
        return ("reject", "pickle_shape")
    if value != value:
        return ("reject", "nan_value")
    if ts != ts or math.isinf(ts):
        return ("reject", "nonfinite_timestamp")
    t = int(ts)
    if t == -1:
        t = ARRIVAL_SECONDS
    if resolution:
        t = t // resolution * resolution
    if not 0 <= t < 2**32:
        return ("reject", "timestamp_range")
    return ("point", t, value, metric)


class InvalidUtf8:
    """Stands for a Python 2 str whose bytes are not UTF-8 in hand-assembled frames."""


def to_float(x):
    if isinstance(x, (list, tuple)) or x is None:
        raise TypeError("not a number")
    return float(x)


def write(manifest, name, data, outcome):
    with open(os.path.join(OUT, name + ".pickle"), "wb") as f:
        f.write(data)
    if outcome[0] == "rejected":
        manifest.append("frame %s rejected %s" % (name, outcome[1]))
        return
    elements = outcome[1]
    manifest.append("frame %s decoded %d" % (name, len(elements)))
    for e in elements:
        if e[0] == "reject":
            manifest.append("reject %s" % e[1])
        else:
            _, t, value, metric = e
            assert "\n" not in metric
            bits = struct.pack(">d", value).hex()
            manifest.append("point %d %s %s" % (t, bits, metric))


def decoded(payload, data, check_loads=True):
    if check_loads:
        assert pickle.loads(data, encoding="utf-8") == payload, "round trip"
    return ("decoded", [expect_element(e) for e in payload])


# Hand assembly for frames Python 3 will not write itself (Python 2 str opcodes, hostile input).
def short_binstring(b):
    return b"U" + bytes([len(b)]) + b


def binstring(b):
    return b"T" + struct.pack("<i", len(b)) + b


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []

    relay = [
        ("carbon.agents.host-a.cpuUsage", (1700000000, 1.5)),
        ("servers.web01.load", (1700000010, 2)),
        ("servers.web01.big", (1700000020, 2**40)),
        ("servers.caf\u00e9.\u00fcber", (1700000030.9, -0.25)),
        ("tagged;env=prod;dc=ams", (1700000040, 1e300)),
        ("servers.web01.inf", (1700000050, float("inf"))),
    ]
    for proto in (0, 1, 2, 4, 5):
        data = pickle.dumps(relay, protocol=proto)
        write(manifest, "relay-p%d" % proto, data, decoded(relay, data))

    # Protocol 0 and 1 write ints beyond 32 bits with LONG ('L...L\n'); 2+ use LONG1/LONG4.
    ints = [
        ("ints.small", (1700000000, 7)),
        ("ints.negative", (1700000000, -123456)),
        ("ints.long", (4294967295, 2**62 + 1)),
        ("ints.huge", (1700000000, 2**1000)),
        ("ints.toohuge", (1700000000, 2**1100)),
        ("ints.bool", (1700000000, True)),
        ("ints.zero", (0, 0)),
    ]
    for proto in (0, 1, 2):
        data = pickle.dumps(ints, protocol=proto)
        write(manifest, "ints-p%d" % proto, data, decoded(ints, data))

    mixed = [
        ["mixed.list.list", [1700000000, 1.0]],
        ("mixed.tuple.list", [1700000001, 2.0]),
        ["mixed.list.tuple", (1700000002, 3.0)],
        ("mixed.tuple.tuple", (1700000003, 4.0)),
    ]
    for proto in (0, 2, 4):
        data = pickle.dumps(mixed, protocol=proto)
        write(manifest, "mixed-p%d" % proto, data, decoded(mixed, data))

    strings = [
        ("str.both", ("1700000000", "1.5")),
        ("str.underscores", ("1_700_000_000", " 2_5 ")),
        ("str.exponent", ("1.7e9", "-1e-3")),
        ("str.unicode.digits", ("\uff11\uff17", "\u0661\u0662")),
        ("str.inf.value", ("1700000000", "-Infinity")),
        ("str.bad.ts", ("soon", "1")),
        ("str.bad.value", ("1700000000", "0x10")),
        ("str.nan.value", ("1700000000", "nan")),
        ("str.nan.ts", ("NaN", "1")),
        ("str.inf.ts", ("inf", "1")),
    ]
    for proto in (0, 2):
        data = pickle.dumps(strings, protocol=proto)
        write(manifest, "strings-p%d" % proto, data, decoded(strings, data))

    timestamps = [
        ("ts.minus.one", (-1, 1.0)),
        ("ts.minus.onefive", (-1.5, 2.0)),
        ("ts.minus.two", (-2, 3.0)),
        ("ts.minus.half", (-0.5, 4.0)),
        ("ts.max", (2**32 - 1, 5.0)),
        ("ts.limit", (2**32, 6.0)),
        ("ts.float.limit", (4294967295.9, 7.0)),
        ("ts.huge", (1e300, 8.0)),
        ("ts.nan", (float("nan"), 9.0)),
        ("ts.inf", (float("-inf"), 10.0)),
        ("value.nan", (1700000000, float("nan"))),
    ]
    data = pickle.dumps(timestamps, protocol=2)
    write(manifest, "timestamps-p2", data, ("decoded", [expect_element(e) for e in timestamps]))

    shapes = [
        ("shape.ok", (1700000000, 1.0)),
        "just a string",
        ("shape.three", (1700000000, 1.0, 2.0)),
        ("shape.flat", 1700000000, 1.0),
        ("shape.inner.str", "12"),
        (42, (1700000000, 1.0)),
        (None, (1700000000, 1.0)),
        ("shape.none.value", (1700000000, None)),
        ("shape.list.value", (1700000000, [1.0])),
        ("shape.ok.last", [1700000000, 2.0]),
    ]
    data = pickle.dumps(shapes, protocol=2)
    write(manifest, "shapes-p2", data, ("decoded", [expect_element(e) for e in shapes]))

    # Protocol 3+ pickles Python 3 bytes as BINBYTES; carbon drops the connection on such a path.
    byte_paths = [
        (b"bytes.path", (1700000000, 1.0)),
        ("str.path.bytes.value", (1700000000, b"2.5")),
        ("str.path.after", (1700000000, 3.0)),
    ]
    for proto in (3, 4):
        data = pickle.dumps(byte_paths, protocol=proto)
        write(manifest, "bytes-p%d" % proto, data, decoded(byte_paths, data))

    # Python 2 str (STRING, BINSTRING, SHORT_BINSTRING), decoded by carbon as UTF-8.
    py2 = (
        b"\x80\x02]q\x00("
        + short_binstring(b"py2.short") + b"J\x00\xf1SeG?\xf8\x00\x00\x00\x00\x00\x00\x86\x86"
        + binstring("py2.caf\u00e9".encode()) + b"K\x01K\x02\x86\x86"
        + short_binstring(b"py2.bad\xff") + b"K\x01K\x02\x86\x86"
        + short_binstring(b"py2.numeric.strings") + short_binstring(b"1700000000")
        + short_binstring(b"4.5") + b"\x86\x86"
        + b"e."
    )
    write(manifest, "py2-strings-p2", py2, ("decoded", [
        expect_element(("py2.short", (1700000000, 1.5))),
        expect_element(("py2.caf\u00e9", (1, 2))),
        ("reject", "invalid_utf8"),
        expect_element(("py2.numeric.strings", ("1700000000", "4.5"))),
    ]))
    py2_proto0 = (
        b"(lp0\n(S'py2.escaped\\x41\\101\\t'\np1\n(I1700000000\nF2.5\ntp2\ntp3\na"
        + b"(S\"py2.dq\"\n(L1700000001L\nI01\ntta."
    )
    write(manifest, "py2-strings-p0", py2_proto0, ("decoded", [
        expect_element(("py2.escapedAA\t", (1700000000, 2.5))),
        expect_element(("py2.dq", (1700000001, True))),
    ]))

    # A list reached through the memo and appended to after it was referenced.
    memo = b"\x80\x02]q\x00(X\x08\x00\x00\x00memo.oneq\x01J\x00\xf1SeK\x01\x86q\x02\x86q\x03h\x00e."
    # The list appends itself, so its second element is the list: carbon unpacks it as
    # (metric=the tuple, (value=the tuple, timestamp=the list)) and float() fails.
    loaded = pickle.loads(memo)
    assert loaded[1] is loaded
    write(manifest, "memo-self-p2", memo, ("decoded", [expect_element(e) for e in loaded]))

    # Hostile and malformed frames.
    write(manifest, "evil-global-reduce-p2", pickle.dumps([Evil()], protocol=2),
          ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "evil-global-p0", pickle.dumps([Evil()], protocol=0),
          ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "evil-stack-global-p4", pickle.dumps([Evil()], protocol=4),
          ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "build-p2", b"\x80\x02](K\x01K\x02b.", ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "object-p2", pickle.dumps([Stateful()], protocol=2),
          ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "dict-p2", pickle.dumps([{"a": 1}], protocol=2),
          ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "set-p4", pickle.dumps([{1, 2}], protocol=4),
          ("rejected", "pickle_forbidden_opcode"))
    write(manifest, "deep-lists-10000", b"\x80\x02" + b"]" * 10000 + b"a" * 9999 + b".",
          ("rejected", "pickle_too_large"))
    write(manifest, "deep-marks-10000", b"\x80\x02" + b"(" * 10000 + b"t" * 10000 + b".",
          ("rejected", "pickle_too_large"))
    write(manifest, "binunicode-2g", b"\x80\x02]X" + struct.pack("<I", 2**31) + b"abc",
          ("rejected", "bad_pickle"))
    write(manifest, "binunicode8-huge", b"\x80\x04\x8d" + struct.pack("<Q", 2**63 + 5) + b"abc",
          ("rejected", "bad_pickle"))
    write(manifest, "binstring-negative", b"\x80\x02]T" + struct.pack("<i", -1) + b"abc",
          ("rejected", "bad_pickle"))
    write(manifest, "long4-huge", b"\x80\x02\x8b" + struct.pack("<i", 2**31 - 1) + b"\x01",
          ("rejected", "bad_pickle"))
    write(manifest, "truncated-p2", pickle.dumps(relay, protocol=2)[:-7], ("rejected", "bad_pickle"))
    write(manifest, "no-stop-p2", pickle.dumps(relay, protocol=2)[:-1], ("rejected", "bad_pickle"))
    write(manifest, "empty", b"", ("rejected", "bad_pickle"))
    write(manifest, "unknown-opcode", b"\x80\x02]\xff.", ("rejected", "bad_pickle"))
    write(manifest, "protocol-6", b"\x80\x06].", ("rejected", "bad_pickle"))
    write(manifest, "memo-missing", b"\x80\x02]h\x07a.", ("rejected", "bad_pickle"))
    write(manifest, "stack-underflow", b"\x80\x02a.", ("rejected", "bad_pickle"))
    write(manifest, "top-none", pickle.dumps(None, protocol=2), ("rejected", "pickle_shape"))
    write(manifest, "top-str", pickle.dumps("abc", protocol=2), ("rejected", "pickle_shape"))
    write(manifest, "empty-list-p2", pickle.dumps([], protocol=2), ("decoded", []))

    # A large relay batch: carbon-relay sends up to MAX_DATAPOINTS_PER_MESSAGE (500) per frame;
    # this one is bigger so that APPENDS batching (1000 per MARK) is exercised.
    batch = [("relay.batch.m%d" % (i % 97), (1700000000 + i, i * 0.5)) for i in range(2500)]
    data = pickle.dumps(batch, protocol=2)
    write(manifest, "relay-batch-2500-p2", data, decoded(batch, data))

    with open(os.path.join(OUT, "manifest.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(manifest) + "\n")


if __name__ == "__main__":
    main()

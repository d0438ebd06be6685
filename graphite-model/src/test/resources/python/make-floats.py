#!/usr/bin/python3
"""Writes floats.tsv: strings and what CPython 3's float() makes of them, for PythonFloatTest.

Run from this directory: ./make-floats.py (checked with CPython 3.11; the random cases use a fixed
seed). Each line is <input as UTF-8 hex> TAB <result as 16 hex digits of IEEE-754 bits, or ERROR>.
NaN results are written as 7ff8000000000000 whatever their sign.
"""

import random
import struct

FIXED = [
    "0", "-0", "+0", "1", "-1", "+1.5", "1_000", "1_000.000_1", "1e1_0", "1_0.0_1e-0_1",
    ".5", "5.", "-.5", "+5.", "5.e3", ".5e-3", "00_1", "0_0", "007", "1E5", "1e+5", "1e-5",
    "inf", "-inf", "+inf", "INF", "iNf", "infinity", "-Infinity", "INFINITY", "nan", "-nan",
    "+NaN", "NAN", "  1  ", "\t1\n", "\u00a01\u3000", "1\u2028", "\u0661\u0662\u0663",
    "\uff11\uff12.\uff15", "\u0661.\u0662e\u0663", "\U0001D7CF\U0001D7D0",
    "1e400", "-1e400", "1e-400", "2.2250738585072011e-308", "4.9e-324", "2.4703282292062328e-324",
    "2.4703282292062327e-324", "1.7976931348623157e308", "1.7976931348623158e308",
    "1.7976931348623159e308", "9007199254740993", "9007199254740992.5", "0.1", "0.3",
    "123456789012345678901234567890", "1" + "0" * 400, "0." + "0" * 400 + "1",
    "1e99999999999999999999", "1e-99999999999999999999", "0e99999999999999999999",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124",
    "1.00000000000000011102230246251565404236316680908203126",
    # Rejected by float():
    "", " ", ".", "-", "+", "e5", "1e", "1e+", "1e-", "1.5d", "1.5f", "1.5D", "0x10", "0x1p3",
    "1__0", "_1", "1_", "1_.5", "1._5", "1_e5", "1e_5", "1e5_", "1e+_5", "in_f", "infinity_",
    "infinit", "nan(1)", "nanq", "inf inf", "1 2", "--1", "+-1", "1..5", "1.5.5", "1e5e5",
    "\u00bd", "1\u00b2", "\u2164", "\x001", "1\x00", "\u200b1", "\u180e1", "\x1c1\x1f", "1\x85",
    "Infinity1", "-", "NaN_", "0b101", "0o7", "1,5", "١_٢",
]


def result(s):
    try:
        v = float(s)
    except ValueError:
        return "ERROR"
    if v != v:
        return "7ff8000000000000"
    return struct.pack(">d", v).hex()


def random_cases(rng, n):
    pieces = ["0", "1", "5", "9", "_", ".", "e", "E", "-", "+", "00", "12345678901234567890", "i", "n"]
    out = []
    for _ in range(n):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))))
    for _ in range(n):
        # Long decimals near binary halfway points stress correct rounding.
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(15, 40)))
        point = rng.randint(0, len(digits))
        exp = rng.randint(-340, 320)
        out.append("%s.%se%d" % (digits[:point], digits[point:], exp))
    for _ in range(n):
        v = struct.unpack(">d", struct.pack(">Q", rng.getrandbits(64)))[0]
        if v == v:
            out.append(repr(v))
            out.append("%.17g" % v)
            out.append("%.16e" % v)
    return out


def main():
    rng = random.Random(20240601)
    cases = FIXED + random_cases(rng, 1500)
    with open("floats.tsv", "w", encoding="ascii") as f:
        for s in cases:
            f.write("%s\t%s\n" % (s.encode("utf-8").hex(), result(s)))


if __name__ == "__main__":
    main()

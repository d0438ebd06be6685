#!/usr/bin/python3
"""Encodes Carbon lines as MetricPoint values with python3-avro, independently of the Java code.

usage: encode_points.py SCHEMA.avsc single-object
       encode_points.py SCHEMA.avsc confluent REGISTRY_URL SUBJECT

Reads "metric value timestamp" lines on stdin and prints one value per line, hex-encoded:
- single-object: 0xC3 0x01, the schema's CRC-64-AVRO fingerprint (little-endian), then Avro binary;
- confluent: magic byte 0, the 4-byte big-endian schema id the registry gives for the schema under
  SUBJECT (registered here over its REST API), then Avro binary.
The headers are built by hand from the Avro specification; python3-avro only writes the body.
"""
import io
import json
import struct
import sys
import urllib.request

import avro.io
import avro.schema

EMPTY = 0xC15D213AA4D7A795  # CRC-64-AVRO initial value, from the Avro specification


def crc64_avro(data):
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


def register(url, subject, schema_text):
    body = json.dumps({"schema": schema_text}).encode()
    request = urllib.request.Request(
        url.rstrip("/") + "/subjects/" + subject + "/versions", data=body, method="POST",
        headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["id"]


def main(argv):
    schema_text = open(argv[1], encoding="utf-8").read()
    schema = avro.schema.parse(schema_text)
    if argv[2] == "single-object":
        header = b"\xc3\x01" + struct.pack("<Q", crc64_avro(schema.canonical_form.encode("utf-8")))
    elif argv[2] == "confluent":
        header = b"\x00" + struct.pack(">I", register(argv[3], argv[4], schema_text))
    else:
        raise SystemExit("unknown format " + argv[2])
    writer = avro.io.DatumWriter(schema)
    for line in sys.stdin:
        if not line.strip():
            continue
        metric, value, timestamp = line.split()
        body = io.BytesIO()
        writer.write({"metric": metric, "timestamp": int(timestamp), "value": float(value)},
                     avro.io.BinaryEncoder(body))
        print((header + body.getvalue()).hex())


if __name__ == "__main__":
    main(sys.argv)

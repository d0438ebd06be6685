"""Answers rule cases with carbon 1.1.7's own aggregator and rewrite code (Debian's graphite-carbon).

Reads one case per line on stdin, fields separated by TAB, list items by US (0x1f):
  method  <name>  <values as float.hex()>
  rule    <output_template>  <method>  <input_pattern>  <names>
  rewrite <pattern>  <replacement>  <names>
and writes one answer line per case (backslashes, CR and LF escaped): for a method the result's float.hex(); for a rule or a rewrite
the result per name (US-separated), where a name that does not match a rule is "\\x00NONE" and any
exception is "\\x00ERR"; "\\x00ERR" alone when the rule itself cannot be built.
"""
import sys

from carbon.aggregator.rules import AGGREGATION_METHODS, AggregationRule
from carbon.rewrite import RewriteRule

US = "\x1f"
NONE = "\x00NONE"
ERR = "\x00ERR"


def answer(fields):
    kind = fields[0]
    if kind == "method":
        values = [float.fromhex(v) for v in fields[2].split(US)]
        return float(AGGREGATION_METHODS[fields[1]](values)).hex()
    names = fields[-1].split(US)
    try:
        if kind == "rule":
            rule = AggregationRule(fields[3], fields[1], fields[2], 60)
            apply = rule.get_aggregate_metric
        else:
            rule = RewriteRule(fields[1], fields[2])
            apply = rule.apply
    except Exception:
        return ERR
    results = []
    for name in names:
        try:
            result = apply(name)
        except Exception:
            result = ERR
        results.append(NONE if result is None else result)
    return US.join(results)


def escape(text):
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


for line in sys.stdin:
    print(escape(answer(line.rstrip("\n").split("\t"))), flush=True)

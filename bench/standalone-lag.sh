#!/usr/bin/env bash
# How far the standalone's rollup and sink fall behind a steady load, and the CPU the process spends:
# bin/graphite-kafka standalone (sparse files) with 100,000 series sent 2 points each, then
# 4,000,000 points at 100,000 points/s over the same series (bin/graphite-kafka loadgen, 2 connections,
# current timestamps). Prints how long after the load ended the aggregator had received every point
# and the sink's committed-points counter stopped growing (3 s unchanged), and the process's CPU time
# from the start of the load until then.
#
# usage: bench/standalone-lag.sh [JVM options]      e.g. "-Xmx768m -XX:+UseG1GC"
#        (no argument: bin/graphite-kafka's own options)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
PY=${PY:-python3}
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

d=$(mktemp -d)
trap 'kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; rm -rf "$d"' EXIT
echo "sink.fill.mode=sparse" > "$d/standalone.properties"
carbon=$(free_port); metrics=$(free_port)
if [ $# -gt 0 ]; then export GRAPHITE_KAFKA_OPTS="$*"; fi
"$root/bin/graphite-kafka" standalone --config "$d/standalone.properties" --data-dir "$d/data" \
  --bind 127.0.0.1 --carbon-port "$carbon" --udp-port "$(free_port)" --pickle-port "$(free_port)" \
  --kafka-port "$(free_port)" --carbonlink-port "$(free_port)" --metrics-port "$metrics" \
  > "$d/standalone.log" 2>&1 &
spid=$!
wait_port "$carbon" 180
counter() { curl -s "127.0.0.1:$metrics/metrics" | awk -v m="$1" '$1 == m { printf "%d", $2 }'; }
load() { # points per series
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" loadgen --port "$carbon" --connections 2 \
    --series 100000 --points-per-series "$1" --timestamps now --prefix lag --rate 100000
}
load 2 > /dev/null
sleep 10
c0=$(cpu_seconds "$spid"); t0=$(date +%s.%N)
load 40
t1=$(date +%s.%N)
until [ "$(counter graphite_kafka_aggregator_metricsReceived_total)" -ge 4200000 ]; do sleep 0.2; done
ta=$(date +%s.%N)
prev=-1; same=0
while [ $same -lt 3 ]; do
  cur=$(counter graphite_kafka_agents_committedPoints_total)
  if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
  prev=$cur; sleep 1
done
t2=$(date +%s.%N)
c1=$(cpu_seconds "$spid")
"$PY" -c "print('load %.1f s; aggregator caught up %.1f s after it, sink %.1f s after it; process CPU %.1f s'
  % ($t1 - $t0, $ta - $t1, $t2 - 3 - $t1, $c1 - $c0))"

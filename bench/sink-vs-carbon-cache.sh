#!/usr/bin/env bash
# End to end, graphite-kafka standalone against Debian's carbon-cache: the same Carbon plaintext input
# (SERIES series x PER_SERIES points at 10 s spacing ending now, interleaved by series as live traffic
# is) is sent over TCP on loopback to each, and the time is taken from the first byte sent until every
# point can be read from the Whisper files.
#
# Both get the same retention (10s:6h,1m:7d,10m:5y, average, xFilesFactor 0.5, this repository's
# conf/ defaults) and write into files created beforehand (sparse, by python3-whisper), so the figure is
# the cost of accepting and writing points, not of creating 10,000 files of 3.3 MB each (33 GB with
# either system's default zero fill).
#
# usage: bench/sink-vs-carbon-cache.sh        (from anywhere; needs graphite-carbon, python3-whisper,
#                                              netcat, and a built tree: ./mvnw -q -B -DskipTests package)
# env:   SERIES (10000), PER_SERIES (100), RUNS (1), ONLY (graphite-kafka | carbon-cache), KEEP=1 keeps
#        the temp dirs, BUILD=1 builds first, TIMELINE=1 samples graphite-kafka's Prometheus counters every
#        second into timeline.txt in the temp dir (implies KEEP) to see which stage is behind,
#        WARM=1 first sends each system the PER_SERIES intervals before the measured ones (timed too, and
#        reported as "(cold)"), so the measured send meets a process that has run a while, as services do,
#        GK_CONFIG=FILE passes --config FILE to graphite-kafka standalone (e.g. shorter intervals),
#        PROFILE_AGENT=libasyncProfiler.so with WARM profiles graphite-kafka during the measured send
#        only (attached with jcmd, CPU every 10 ms per thread) into $PROFILE_OUT (default
#        warm.collapsed in the current directory)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bench"
SERIES=${SERIES:-10000}
PER_SERIES=${PER_SERIES:-100}
RUNS=${RUNS:-1}
ONLY=${ONLY:-}
PY=/usr/bin/python3
total=$((SERIES * PER_SERIES))

for tool in carbon-cache nc "$PY"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install graphite-carbon python3-whisper netcat-openbsd)" >&2; exit 1; }
done
"$PY" -c 'import whisper' || { echo "python3-whisper is missing" >&2; exit 1; }
if [ -n "${BUILD:-}" ]; then
  (cd "$root" && ./mvnw -q -B -DskipTests package)
fi

work="$(mktemp -d /tmp/sink-vs-carbon.XXXXXX)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "${KEEP:-}${TIMELINE:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# measure NAME WHISPER_DIR PORT END: sends the input of PER_SERIES intervals up to END, waits for every
# point, writes the seconds taken to $work/NAME.secs
measure() {
  local name=$1 dir=$2 port=$3 end=$4
  "$PY" "$here/points.py" input "$work/input.txt" "$SERIES" "$PER_SERIES" "$end"
  "$PY" "$here/points.py" wait "$dir" "$SERIES" "$PER_SERIES" "$end" > "$work/check.out" &
  local check=$!
  until grep -q ready "$work/check.out"; do sleep 0.1; done # it has opened every file
  local cpu0; cpu0=$(cpu_seconds "$pid")
  local t0; t0=$(date +%s.%N)
  nc -q1 127.0.0.1 "$port" < "$work/input.txt"
  local t_sent; t_sent=$(date +%s.%N)
  wait "$check"
  local cpu1; cpu1=$(cpu_seconds "$pid")
  local done_at passes
  read -r done_at passes < <(tail -n1 "$work/check.out")
  local secs; secs=$("$PY" -c "print('%.2f' % ($done_at - $t0))")
  local sent; sent=$("$PY" -c "print('%.2f' % ($t_sent - $t0))")
  echo "$name: $total points readable after $secs s (nc done after $sent s, 1 s of it -q1; $passes check passes);" \
    "$("$PY" -c "print('%.0f' % ($total / ($done_at - $t0)))") points/s;" \
    "process CPU $("$PY" -c "print('%.1f' % ($cpu1 - $cpu0))") s" >&2
  echo "$secs" > "$work/$name.secs"
}

# measure_all NAME WHISPER_DIR PORT: with WARM, a timed first send of the intervals before, then the
# measured send
measure_all() {
  local end=$(( $(date +%s) / 10 * 10 ))
  if [ -n "${WARM:-}" ]; then
    measure "$1 (cold)" "$2" "$3" $((end - 10 * PER_SERIES))
  fi
  local profile=""
  if [ -n "${WARM:-}" ] && [ -n "${PROFILE_AGENT:-}" ] && [ "$1" = graphite-kafka ]; then
    profile="${PROFILE_OUT:-$PWD/warm.collapsed}"
    # quoted again: jcmd reads key=value as its own arguments
    jcmd "$pid" JVMTI.agent_load "$PROFILE_AGENT" "\"start,event=itimer,interval=10ms,threads\"" > /dev/null
  fi
  measure "$1" "$2" "$3" "$end"
  if [ -n "$profile" ]; then
    jcmd "$pid" JVMTI.agent_load "$PROFILE_AGENT" "\"stop,collapsed,file=$profile\"" > /dev/null
    echo "profile of the measured send: $profile" >&2
  fi
}

run_graphite_kafka() {
  local d="$work/gk"
  rm -rf "$d"; mkdir -p "$d/whisper"
  "$PY" "$here/points.py" create "$d/whisper" "$SERIES"
  local carbon pickle kafka metrics=-1 sampler=""
  carbon=$(free_port); pickle=$(free_port); kafka=$(free_port)
  [ -n "${TIMELINE:-}" ] && metrics=$(free_port)
  local config=()
  [ -n "${GK_CONFIG:-}" ] && config=(--config "$GK_CONFIG")
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" standalone "${config[@]}" --data-dir "$d" --bind 127.0.0.1 \
    --carbon-port "$carbon" --udp-port "$carbon" --pickle-port "$pickle" --kafka-port "$kafka" \
    --metrics-port "$metrics" > "$d/standalone.log" 2>&1 &
  pid=$!
  if [ -n "${TIMELINE:-}" ]; then
    wait_port "$metrics" 180
    (while sleep 1; do
      echo "t=$(date +%s.%N)"
      "$PY" -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$metrics/metrics').read().decode())" \
        2>/dev/null | grep -E '^graphite_kafka_[a-z_]*(points|Points|received|committed|updateOperations)[^ ]* ' || true
    done > "$work/timeline.txt") &
    sampler=$!
  fi
  wait_port "$carbon" 180
  # the sink has joined its group once it logs its assignment
  for _ in $(seq 1 300); do grep -q "assigned \[carbon.archives" "$d/standalone.log" && break; sleep 0.2; done
  measure_all graphite-kafka "$d/whisper" "$carbon"
  [ -n "$sampler" ] && { kill "$sampler" 2>/dev/null || true; }
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

run_carbon_cache() {
  local d="$work/carbon"
  rm -rf "$d"; mkdir -p "$d/conf" "$d/storage/whisper" "$d/log"
  "$PY" "$here/points.py" create "$d/storage/whisper" "$SERIES"
  local port
  start_carbon_cache "$d"
  measure_all carbon-cache "$d/storage/whisper" "$port"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "$(date -u +%FT%TZ) $(uname -n), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$total points, $SERIES series x $PER_SERIES" >&2
for run in $(seq 1 "$RUNS"); do
  rm -f "$work"/*.secs
  [ "$ONLY" != carbon-cache ] && run_graphite_kafka
  [ "$ONLY" != graphite-kafka ] && run_carbon_cache
  gk=$(cat "$work/graphite-kafka.secs" 2>/dev/null || true)
  cc=$(cat "$work/carbon-cache.secs" 2>/dev/null || true)
  if [ -n "$gk" ] && [ -n "$cc" ]; then
    if [ -n "${WARM:-}" ]; then
      gk0=$(cat "$work/graphite-kafka (cold).secs"); cc0=$(cat "$work/carbon-cache (cold).secs")
      echo "run $run, first send (cold): graphite-kafka ${gk0} s, carbon-cache ${cc0} s," \
        "graphite-kafka/carbon-cache time ratio $("$PY" -c "print('%.2f' % ($gk0 / $cc0))")"
    fi
    echo "run $run: graphite-kafka ${gk} s, carbon-cache ${cc} s, graphite-kafka/carbon-cache time ratio" \
      "$("$PY" -c "print('%.2f' % ($gk / $cc))") (load $(cut -d' ' -f1-3 /proc/loadavg))"
  fi
done

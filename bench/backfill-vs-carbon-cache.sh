#!/usr/bin/env bash
# A shuffled backfill, graphite-kafka standalone against Debian's carbon-cache: SERIES live series first get a
# live phase (backfill.py LIVE = 6 points each, 10 s apart, ending now), sent and read back before anything is
# timed; then PER_SERIES points of history per series (SERIES x PER_SERIES in all, each in a slot of its own,
# hours, days and weeks old: 40 % in the 10 s archive, 40 % in the 1 min archive, 20 % in the 10 min archive,
# see backfill.py), all series shuffled together, are sent over one TCP connection on loopback to each system
# in the same run. The time is taken from the first byte of the backfill sent until every backfilled point can
# be read, with its value, in its slot of the archive whisper puts it in; CPU is the process's user + system
# time over the same span, from /proc/PID/stat, reported per million points.
#
# Both get the same retention (10s:6h,1m:7d,10m:5y, average, xFilesFactor 0.5, this repository's conf/
# defaults) and write into files created beforehand, sparse, by python3-whisper (neither system creates a
# file here): creating them with either system's default fill would measure the disk. In graphite-kafka the
# backfilled points are late points: the aggregator sends those it cannot roll up from its state (all of them
# but the 10 min archive's) as raw points, and the sink applies each with whisper's update_many against the
# file. carbon-cache runs with MAX_CACHE_SIZE, MAX_UPDATES_PER_SECOND and MAX_CREATES_PER_MINUTE = inf.
#
# usage: bench/backfill-vs-carbon-cache.sh   (from anywhere; needs graphite-carbon, python3-whisper,
#                                             netcat, and a built tree: ./mvnw -q -B -DskipTests package)
# env:   SERIES (1000), PER_SERIES (1000), SEED (1), ONLY (graphite-kafka | carbon-cache), KEEP=1 keeps the
#        temp dir, BUILD=1 builds first, GK_CONFIG=FILE passes --config FILE to graphite-kafka standalone
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bench"
SERIES=${SERIES:-1000}
PER_SERIES=${PER_SERIES:-1000}
SEED=${SEED:-1}
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

work="$(mktemp -d /tmp/backfill-vs-carbon.XXXXXX)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

load() { cut -d' ' -f1-3 /proc/loadavg; }

# measure NAME WHISPER_DIR PORT: the live phase (not timed), then the backfill, timed until every backfilled
# point is readable; writes "seconds points/s cpu-seconds-per-million" to $work/NAME.result
measure() {
  local name=$1 dir=$2 port=$3
  local end=$(( $(date +%s) / 10 * 10 ))
  "$PY" "$here/backfill.py" live "$work/live.txt" "$SERIES" "$end"
  local l0; l0=$(date +%s.%N)
  nc -q1 127.0.0.1 "$port" < "$work/live.txt"
  "$PY" "$here/backfill.py" wait-live "$dir" "$SERIES" "$end"
  echo "$name: live phase ($((SERIES * 6)) points) readable after $("$PY" -c "print('%.1f' % ($(date +%s.%N) - $l0))") s" >&2

  "$PY" "$here/backfill.py" input "$work/backfill.txt" "$SERIES" "$PER_SERIES" "$end" "$SEED"
  "$PY" "$here/backfill.py" wait "$dir" "$SERIES" "$PER_SERIES" "$end" "$SEED" > "$work/check.out" &
  local check=$!
  until grep -q ready "$work/check.out"; do sleep 0.1; done # it has opened every file
  local load0; load0=$(load)
  local cpu0; cpu0=$(cpu_seconds "$pid")
  local t0; t0=$(date +%s.%N)
  nc -q1 127.0.0.1 "$port" < "$work/backfill.txt"
  local t_sent; t_sent=$(date +%s.%N)
  wait "$check"
  local cpu1; cpu1=$(cpu_seconds "$pid")
  local done_at passes
  read -r done_at passes < <(tail -n1 "$work/check.out")
  local result
  result=$("$PY" -c "
secs = $done_at - $t0
print('%.2f %.0f %.1f' % (secs, $total / secs, ($cpu1 - $cpu0) / ($total / 1e6)))")
  local secs rate cpu
  read -r secs rate cpu <<< "$result"
  echo "$name: $total backfilled points readable after $secs s (nc done after" \
    "$("$PY" -c "print('%.2f' % ($t_sent - $t0))") s, 1 s of it -q1; $passes check passes); $rate points/s;" \
    "process CPU $("$PY" -c "print('%.1f' % ($cpu1 - $cpu0))") s, $cpu CPU-s per million points;" \
    "load $load0 at the start, $(load) at the end" >&2
  echo "$result" > "$work/$name.result"
}

run_graphite_kafka() {
  local d="$work/gk"
  rm -rf "$d"; mkdir -p "$d/whisper"
  "$PY" "$here/backfill.py" create "$d/whisper" "$SERIES"
  local carbon pickle kafka
  carbon=$(free_port); pickle=$(free_port); kafka=$(free_port)
  local config=()
  [ -n "${GK_CONFIG:-}" ] && config=(--config "$GK_CONFIG")
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" standalone "${config[@]}" --data-dir "$d" --bind 127.0.0.1 \
    --carbon-port "$carbon" --udp-port "$carbon" --pickle-port "$pickle" --kafka-port "$kafka" \
    --metrics-port -1 > "$d/standalone.log" 2>&1 &
  pid=$!
  wait_port "$carbon" 180
  # the sink has joined its group once it logs its assignment
  for _ in $(seq 1 300); do grep -q "assigned \[carbon.archives" "$d/standalone.log" && break; sleep 0.2; done
  measure graphite-kafka "$d/whisper" "$carbon"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

run_carbon_cache() {
  local d="$work/carbon"
  rm -rf "$d"; mkdir -p "$d/conf" "$d/storage/whisper" "$d/log"
  "$PY" "$here/backfill.py" create "$d/storage/whisper" "$SERIES"
  local port
  start_carbon_cache "$d"
  measure carbon-cache "$d/storage/whisper" "$port"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "$(date -u +%FT%TZ) $(uname -n), $(nproc) cores, load $(load);" \
  "$total backfilled points, $SERIES series x $PER_SERIES, shuffled" >&2
[ "$ONLY" != carbon-cache ] && run_graphite_kafka
[ "$ONLY" != graphite-kafka ] && run_carbon_cache
gk=$(cat "$work/graphite-kafka.result" 2>/dev/null || true)
cc=$(cat "$work/carbon-cache.result" 2>/dev/null || true)
for r in "graphite-kafka $gk" "carbon-cache $cc"; do
  set -- $r
  [ $# -eq 4 ] && echo "$1: $2 s, $3 points/s, $4 CPU-s per million points"
done
if [ -n "$gk" ] && [ -n "$cc" ]; then
  echo "graphite-kafka/carbon-cache time ratio $("$PY" -c "print('%.2f' % (${gk%% *} / ${cc%% *}))")" \
    "(load $(load))"
fi

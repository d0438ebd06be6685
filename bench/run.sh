#!/usr/bin/env bash
# The benchmark harness: every figure of docs/BENCHMARKS.md in one run on this machine, each next to
# what Debian's carbon tools do with the same input where there is one to compare with.
#
#   1 gateway points/s into Kafka (acks=all), 1 and 8 connections   vs carbon-c-relay forwarding the same
#   2 aggregator points/s (stream-aggregator's RollupThroughputBench), without and with 100 carbon rules
#   3 sink archive writes/s into existing files, and creates/s (whisper-sink's SinkThroughputBenchmark)
#   4 end to end, standalone, 1,000,000 points / 10,000 series      vs carbon-cache (sink-vs-carbon-cache.sh)
#   5 freshness p50/p99 from line sent to point readable at 100,000 points/s for 60 s (freshness.py)
#   6 peak RSS and heap of the standalone process during 5, with 100,000 active series
#   7 delay from line sent to graphite-web's /render returning it (carbonlink), 10,000 points/s of load
#     over 10,000 series (RENDER_RATE, RENDER_SERIES)                 vs carbon-cache + graphite-web
#   8 the users' view (users-view.sh): whole processes fed 1,000,000 points at a time over one TCP
#     connection, three rounds from a fresh start, first million apart, CPU-s of every process:
#     bin/graphite-kafka gateway before its own broker process        vs carbon-c-relay
#     bin/graphite-kafka standalone, every point readable in its file vs carbon-cache
#
# Then it writes docs/BENCHMARKS.md and docs/benchmarks.svg (bench/report.py), keeping the hand-written
# analysis between the <!-- analysis --> markers of the existing page.
#
# usage: bench/run.sh [--quick] [--only 1,4,5] [--no-build] [--no-profile] [--no-docs]
#   --quick       small inputs, a few minutes in all (the figures are then not the targets' figures)
#   --only LIST   run only these sections
#   --no-profile  no async-profiler (by default sections 1, 4 and 5 run with it, sampling every 10 ms)
#   --no-docs     leave docs/ alone (results stay in the output directory)
# env: OUT (output directory, default /tmp/graphite-kafka-bench-<date>), PARTITIONS (gateway topic, 12),
#      STANDALONE_OPTS (JVM options of the standalone process; default: bin/graphite-kafka's),
#      STANDALONE_ARGS (more arguments for section 5's standalone, e.g. "--config FILE")
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bench"
PY=/usr/bin/python3
QUICK=""; ONLY="1,2,3,4,5,7,8"; BUILD=1; PROFILE=1; DOCS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --only) ONLY="$2"; shift ;;
    --no-build) BUILD="" ;;
    --no-profile) PROFILE="" ;;
    --no-docs) DOCS="" ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

# --- what this needs -------------------------------------------------------------------------------
missing=()
for tool in carbon-c-relay carbon-cache whisper-fetch nc java jcmd "$PY"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
"$PY" -c 'import whisper' 2>/dev/null || missing+=("python3-whisper (import whisper)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/run.sh: missing: ${missing[*]}" >&2
  echo "  apt-get install graphite-carbon carbon-c-relay python3-whisper netcat-openbsd openjdk-17-jdk-headless" >&2
  exit 1
fi

if [ -n "$QUICK" ]; then
  GW_POINTS=1000000; AGG_POINTS=1000000; SINK_SERIES=2000; SINK_PER=100; SINK_ROUNDS=3
  E2E_SERIES=2000; E2E_PER=100; FRESH_SERIES=10000; FRESH_SECONDS=20; RENDER_SECONDS=20; USERS_ROUNDS=1
else
  GW_POINTS=4000000; AGG_POINTS=2000000; SINK_SERIES=10000; SINK_PER=100; SINK_ROUNDS=4
  E2E_SERIES=10000; E2E_PER=100; FRESH_SERIES=100000; FRESH_SECONDS=60; RENDER_SECONDS=60; USERS_ROUNDS=3
fi
RENDER_RATE=${RENDER_RATE:-10000}; RENDER_SERIES=${RENDER_SERIES:-10000}
FRESH_RATE=100000
# bin/graphite-kafka's default JVM options (GRAPHITE_KAFKA_OPTS replaces them, so they are repeated here)
STANDALONE_OPTS="${STANDALONE_OPTS:--Xmx768m -XX:+UseParallelGC -Djdk.nio.maxCachedBufferSize=262144}"
PARTITIONS=${PARTITIONS:-12}
OUT=${OUT:-/tmp/graphite-kafka-bench-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
results="$OUT/results.env"
: > "$results"
put() { echo "$1=$2" >> "$results"; echo "  $1=$2" >&2; }
log() { echo "[$(date -u +%T)] $*" >&2; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$OUT/fresh-data" "$OUT/render-data"
}
trap cleanup EXIT

# --- the machine and the load on it ----------------------------------------------------------------
put date "$(date -u +%FT%TZ)"
put host "$(uname -n)"
put nproc "$(nproc)"
put cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
put ram_gib "$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)"
put jdk "$(java -version 2>&1 | head -n2 | tail -n1)"
put kernel "$(uname -r)"
put relay_version "$(carbon-c-relay -v 2>&1 | head -n1)"
put carbon_version "$(dpkg-query -W -f '${Version}' graphite-carbon 2>/dev/null || echo unknown)"
put whisper_version "$(dpkg-query -W -f '${Version}' python3-whisper 2>/dev/null || echo unknown)"
put quick "${QUICK:-0}"
put commit "$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$root" && git diff --quiet 2>/dev/null || echo ' (with local changes)')"
echo none > "$OUT/section"
(while true; do
  echo "$(date +%s) $(cat "$OUT/section") $(cut -d' ' -f1-3 /proc/loadavg) $(head -n1 /proc/stat)"
  sleep 5
done > "$OUT/load.txt") &
pids+=($!)
section() { echo "$1" > "$OUT/section"; log "section $1"; }

# --- build -----------------------------------------------------------------------------------------
if [ -n "$BUILD" ]; then
  log "building (./mvnw package -DskipTests, test classes and classpaths)"
  (cd "$root" && ./mvnw -q -B -DskipTests package) >&2
fi
cp_of() { # module: its test classpath as the last build wrote it
  (cd "$root" && ./mvnw -q -B -o -pl "$1" -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/cp-$1.txt") >&2
  echo "$root/$1/target/test-classes:$root/$1/target/classes:$(cat "$OUT/cp-$1.txt")"
}

# async-profiler from Maven Central (tools.profiler:async-profiler), native library for this machine
AGENT=""
if [ -n "$PROFILE" ]; then
  jar="$HOME/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar"
  [ -f "$jar" ] || (cd "$root" && ./mvnw -q -B dependency:get -Dartifact=tools.profiler:async-profiler:4.1) >&2 || true
  arch=$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
  if [ -f "$jar" ] && (cd "$OUT" && unzip -o -q "$jar" "linux-$arch/libasyncProfiler.so"); then
    AGENT="$OUT/linux-$arch/libasyncProfiler.so"
  else
    log "async-profiler not available; running without profiles"
  fi
fi
agent_opts() { # name: JVM option that profiles into $OUT/<name>.collapsed (CPU, per thread, 10 ms)
  [ -n "$AGENT" ] && echo "-agentpath:$AGENT=start,event=itimer,interval=10ms,threads,collapsed,file=$OUT/$1.collapsed"
}

# --- 1: gateway vs carbon-c-relay ------------------------------------------------------------------
if want 1; then
  section gateway
  CP=$(cp_of tools)
  # shellcheck disable=SC2046
  java -Xmx2g $(agent_opts gateway) -cp "$CP" io.graphitekafka.tools.bench.GatewayLoadBenchmark \
    "$GW_POINTS" "$PARTITIONS" > "$OUT/gateway.log" 2>&1 || log "gateway bench failed, see $OUT/gateway.log"
  grep -v -E ' (INFO|WARN|DEBUG) ' "$OUT/gateway.log" | grep -E '^(gateway|carbon-c-relay|BENCH)' >&2 || true
  while read -r _ kind kv; do
    c=$(echo "$kv" | sed -n 's/.*connections=\([0-9]*\).*/\1/p')
    pps=$(echo "$kv" | sed -n 's/.* pps=\([0-9]*\).*/\1/p')
    put "${kind}_${c}_pps" "$pps"
    if [ "$kind" = relay ]; then
      put "relay_${c}_forwarded" "$(echo "$kv" | sed -n 's/.*forwarded=\([0-9]*\).*/\1/p')"
      put "relay_${c}_sent" "$(echo "$kv" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')"
      put "relay_${c}_dropped" "$(echo "$kv" | sed -n 's/.*dropped=\([0-9]*\).*/\1/p')"
      put "relay_${c}_failed" "$(echo "$kv" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')"
    else
      put "gateway_${c}_clientpps" "$(echo "$kv" | sed -n 's/.*clientpps=\([0-9]*\).*/\1/p')"
    fi
  done < <(grep '^BENCH ' "$OUT/gateway.log")
  put gateway_points "$GW_POINTS"
  put gateway_partitions "$PARTITIONS"
fi

# --- 2: aggregator ---------------------------------------------------------------------------------
if want 2; then
  section aggregator
  (cd "$root" && ./mvnw -B -o -pl stream-aggregator -am verify -Dtest=RollupThroughputBench \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=None \
    -Dbench.points="$AGG_POINTS") > "$OUT/aggregator.log" 2>&1 || { log "aggregator bench failed, see $OUT/aggregator.log"; }
  line=$(grep -m1 '^BENCH points=' "$OUT/aggregator.log" || true)
  echo "$line" >&2
  put aggregator_points "$AGG_POINTS"
  put aggregator_pps "$(echo "$line" | sed -n 's/.* pointsPerSecond=\([0-9]*\).*/\1/p')"
  put aggregator_steady_pps "$(echo "$line" | sed -n 's/.*steadyPointsPerSecond=\([0-9]*\).*/\1/p')"
  put aggregator_archive_points "$(echo "$line" | sed -n 's/.*archivePointsSent=\([0-9]*\).*/\1/p')"
  # the same input through 100 carbon-aggregator rules (aggregation-rules.conf)
  (cd "$root" && ./mvnw -B -o -pl stream-aggregator -am verify -Dtest=RollupThroughputBench \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=None \
    -Dbench.points="$AGG_POINTS" -Dbench.rules=100) > "$OUT/aggregator-rules.log" 2>&1 \
    || { log "aggregator rules bench failed, see $OUT/aggregator-rules.log"; }
  line=$(grep -m1 '^BENCH points=' "$OUT/aggregator-rules.log" || true)
  rules=$(grep -m1 '^BENCH-RULES ' "$OUT/aggregator-rules.log" || true)
  echo "$line" >&2; echo "$rules" >&2
  put aggregator_rules_pps "$(echo "$line" | sed -n 's/.* pointsPerSecond=\([0-9]*\).*/\1/p')"
  put aggregator_rules_steady_pps "$(echo "$line" | sed -n 's/.*steadyPointsPerSecond=\([0-9]*\).*/\1/p')"
  put aggregator_rules_sent "$(echo "$rules" | sed -n 's/.*aggregateDatapointsSent=\([0-9]*\).*/\1/p')"
  put aggregator_rules_state "$(echo "$rules" | sed -n 's/.*stateBytesPerAggregate=\([0-9]*\).*/\1/p')"
fi

# --- 3: sink writes and creates --------------------------------------------------------------------
if want 3; then
  section sink
  CP=$(cp_of whisper-sink)
  java -Xmx2g -cp "$CP" io.graphitekafka.sink.consumer.SinkThroughputBenchmark "$SINK_SERIES" "$SINK_PER" 4 \
    "$SINK_ROUNDS" > "$OUT/sink.log" 2>&1 || log "sink bench failed, see $OUT/sink.log"
  grep -E '^BENCH|creates/s|points/s' "$OUT/sink.log" >&2 || true
  put sink_write_pps "$(sed -n 's/^BENCH sink writes .* pps=\([0-9]*\).*/\1/p' "$OUT/sink.log")"
  put sink_write_points "$((SINK_SERIES * SINK_PER * (SINK_ROUNDS - 1)))"
  put sink_thread_ns "$(sed -n 's/^BENCH sink writes .* threadNsPerPoint=\([0-9]*\).*/\1/p' "$OUT/sink.log")"
  put sink_process_ns "$(sed -n 's/^BENCH sink writes .* processNsPerPoint=\([0-9]*\).*/\1/p' "$OUT/sink.log")"
  put sink_cold_pps "$(sed -n 's/^BENCH sink writes-cold .* pps=\([0-9]*\).*/\1/p' "$OUT/sink.log")"
  put sink_cold_points "$((SINK_SERIES * SINK_PER))"
  put sink_creates_per_s "$(sed -n 's/^BENCH sink creates .* cps=\([0-9]*\).*/\1/p' "$OUT/sink.log")"
  put sink_files "$SINK_SERIES"
fi

# --- 4: end to end vs carbon-cache -----------------------------------------------------------------
if want 4; then
  section e2e
  # WARM: a timed first send after start (the "(cold)" lines), then the measured send into the running process
  GRAPHITE_KAFKA_OPTS="$STANDALONE_OPTS $(agent_opts e2e)" SERIES=$E2E_SERIES PER_SERIES=$E2E_PER RUNS=1 WARM=1 \
    "$here/sink-vs-carbon-cache.sh" > "$OUT/e2e.log" 2>&1 || log "end-to-end run failed, see $OUT/e2e.log"
  cat "$OUT/e2e.log" >&2
  put e2e_points "$((E2E_SERIES * E2E_PER))"
  put e2e_series "$E2E_SERIES"
  put e2e_gk_seconds "$(sed -n 's/^graphite-kafka: .* readable after \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_gk_accepted "$(sed -n 's/^graphite-kafka: .*nc done after \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_cc_seconds "$(sed -n 's/^carbon-cache: .* readable after \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_cc_accepted "$(sed -n 's/^carbon-cache: .*nc done after \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_gk_cpu "$(sed -n 's/^graphite-kafka: .*process CPU \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_cc_cpu "$(sed -n 's/^carbon-cache: .*process CPU \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_gk_first_seconds "$(sed -n 's/^graphite-kafka (cold): .* readable after \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_cc_first_seconds "$(sed -n 's/^carbon-cache (cold): .* readable after \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_gk_first_cpu "$(sed -n 's/^graphite-kafka (cold): .*process CPU \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
  put e2e_cc_first_cpu "$(sed -n 's/^carbon-cache (cold): .*process CPU \([0-9.]*\) s.*/\1/p' "$OUT/e2e.log")"
fi

# --- 5 and 6: freshness at 100,000 points/s, RSS and heap -------------------------------------------
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 $(($2 * 5))); do nc -z 127.0.0.1 "$1" 2>/dev/null && return 0; sleep 0.2; done; return 1; }
if want 5; then
  section freshness
  d="$OUT/fresh-data"; rm -rf "$d"; mkdir -p "$d/whisper"
  log "creating $FRESH_SERIES files (sparse, python3-whisper) for the load and 10 for the probes"
  "$PY" "$here/freshness.py" create "$d/whisper" fresh "$FRESH_SERIES"
  carbon=$(free_port); kafka=$(free_port); pickle=$(free_port)
  GRAPHITE_KAFKA_NO_BUILD=1 GRAPHITE_KAFKA_OPTS="$STANDALONE_OPTS $(agent_opts fresh)" "$root/bin/graphite-kafka" standalone \
    --data-dir "$d" --bind 127.0.0.1 --carbon-port "$carbon" --udp-port "$carbon" --pickle-port "$pickle" \
    --kafka-port "$kafka" --metrics-port -1 ${STANDALONE_ARGS:-} > "$OUT/fresh-standalone.log" 2>&1 &
  spid=$!; pids+=("$spid")
  wait_port "$carbon" 180
  for _ in $(seq 1 300); do grep -q "assigned \[carbon.archives" "$OUT/fresh-standalone.log" && break; sleep 0.2; done
  # RSS and heap every 2 s, from /proc and jcmd (heap "used" as the collector last reported it)
  (while kill -0 "$spid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$spid/status" 2>/dev/null || echo 0)
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status" 2>/dev/null || echo 0)
    # G1 prints one heap line, the parallel collector a young and an old generation: add them up
    heap=$(jcmd "$spid" GC.heap_info 2>/dev/null | sed -n 's/.*total \([0-9]*\)K, used \([0-9]*\)K.*/\1 \2/p' \
      | awk '{ t += $1; u += $2 } END { if (NR) print t, u }')
    echo "$(date +%s) $(cat "$OUT/section") $rss $hwm ${heap:-0 0}"
    sleep 2
  done > "$OUT/memory.txt") &
  pids+=($!)
  log "warm-up: one point per series ($FRESH_SERIES series), current timestamps"
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" loadgen --port "$carbon" --connections 2 \
    --series "$FRESH_SERIES" --points-per-series 2 --timestamps now --prefix fresh --rate $((FRESH_RATE)) >&2
  sleep 15
  # stage NAME RATE SECONDS SEED: load at RATE points/s for SECONDS with probes alongside
  stage() {
    echo "$1" > "$OUT/section"
    local per=$(( ($2 * $3 + FRESH_SERIES - 1) / FRESH_SERIES ))
    log "$1: $2 points/s over $FRESH_SERIES series for $3 s, probes every 0.1 s"
    local c0; c0=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$spid/stat")
    local t0; t0=$(date +%s.%N)
    "$PY" "$here/freshness.py" probe 127.0.0.1 "$carbon" "$d/whisper" "$3" "$OUT/$1.txt" 10 0.1 \
      > "$OUT/$1-probe.log" 2>&1 &
    local probe=$!
    GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" loadgen --port "$carbon" --connections 2 \
      --series "$FRESH_SERIES" --points-per-series "$per" --timestamps now --prefix fresh \
      --rate "$2" --seed "$4" > "$OUT/$1-loadgen.log" 2>&1
    cat "$OUT/$1-loadgen.log" >&2
    wait "$probe" || log "probe failed, see $OUT/$1-probe.log"
    local c1; c1=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$spid/stat")
    local t1; t1=$(date +%s.%N)
    local f; f=$(head -n1 "$OUT/$1.txt")
    echo "$f" >&2
    for k in probes readable unresolved p50 p90 p99 max; do
      put "${1}_$k" "$(echo "$f" | tr ' ' '\n' | sed -n "s/^$k=//p")"
    done
    put "${1}_rate" "$2"
    put "${1}_seconds" "$3"
    put "${1}_loadgen_pps" "$(sed -n 's/.*: \([0-9]*\) points\/s.*/\1/p' "$OUT/$1-loadgen.log")"
    put "${1}_cores" "$("$PY" -c "print('%.2f' % (($c1 - $c0) / ($t1 - $t0)))")"
  }
  stage fresh_low $((FRESH_RATE / 10)) 30 3
  stage fresh "$FRESH_RATE" "$FRESH_SECONDS" 2
  echo steady > "$OUT/section"
  sleep 4
  echo after > "$OUT/section"
  kill "$spid"; wait "$spid" 2>/dev/null || true
  put fresh_series "$FRESH_SERIES"
  put rss_peak_kib "$(awk '{ if ($4 > m) m = $4 } END { print m + 0 }' "$OUT/memory.txt")"
  put rss_steady_max_kib "$(awk '$2 == "fresh" { if ($3 > m) m = $3 } END { print m + 0 }' "$OUT/memory.txt")"
  put heap_used_max_kib "$(awk '{ if ($6 > m) m = $6 } END { print m + 0 }' "$OUT/memory.txt")"
  put heap_committed_max_kib "$(awk '{ if ($5 > m) m = $5 } END { print m + 0 }' "$OUT/memory.txt")"
  put standalone_opts "$STANDALONE_OPTS, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}"
  rm -rf "$d"
fi
# --- 7: what a dashboard sees: /render through graphite-web with carbonlink, vs carbon-cache ---------
# start_graphite_web DIR WHISPER_DIR CARBONLINK_HOST:PORT: Debian's graphite-web under gunicorn with
# deploy/graphite-web's settings; sets web (its port) and adds it to pids
start_graphite_web() {
  local env=(PYTHONPATH="$root/deploy/graphite-web" GRAPHITE_SETTINGS_MODULE=local_settings
    GRAPHITE_STORAGE_DIR="$1" GRAPHITE_LOG_DIR="$1" GRAPHITE_WHISPER_DIR="$2"
    GRAPHITE_CARBONLINK_HOSTS="$3:a")
  mkdir -p "$1"
  env "${env[@]}" "$PY" /usr/bin/django-admin migrate --settings=graphite.settings --run-syncdb \
    --noinput > "$1/migrate.log" 2>&1
  web=$(free_port)
  env "${env[@]}" "$PY" /usr/bin/gunicorn --bind "127.0.0.1:$web" --workers 1 graphite.wsgi:application \
    > "$1/gunicorn.log" 2>&1 &
  pids+=($!)
  wait_port "$web" 60
}
# render_stage SYSTEM CARBON_PORT WEB_PORT: warm-up, then the load and the probes side by side
render_stage() {
  log "$1: one point per series ($RENDER_SERIES series), then $RENDER_RATE points/s for $RENDER_SECONDS s with a probe every 0.5 s"
  local conns=$(( RENDER_RATE >= 50000 ? 2 : 1 ))
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" loadgen --port "$2" --series "$RENDER_SERIES" \
    --points-per-series 1 --timestamps now --prefix render --rate "$RENDER_RATE" --connections "$conns" \
    > "$OUT/$1-warmup.log" 2>&1
  sleep 10
  "$PY" "$here/render_freshness.py" probe "$2" "$3" "$RENDER_SECONDS" "$OUT/$1.txt" 0.5 \
    > "$OUT/$1-probe.log" 2>&1 &
  local probe=$!
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" loadgen --port "$2" --series "$RENDER_SERIES" \
    --points-per-series $((RENDER_RATE * RENDER_SECONDS / RENDER_SERIES)) --timestamps now --prefix render \
    --rate "$RENDER_RATE" --connections "$conns" --seed 7 > "$OUT/$1-loadgen.log" 2>&1
  wait "$probe" || log "probe failed, see $OUT/$1-probe.log"
  local f; f=$(head -n1 "$OUT/$1.txt")
  echo "$f" >&2
  for k in probes readable unresolved p50 p90 p99 max; do
    put "${1}_$k" "$(echo "$f" | tr ' ' '\n' | sed -n "s/^$k=//p")"
  done
}
if want 7; then
  section render
  if ! command -v gunicorn >/dev/null 2>&1 || [ ! -d /usr/lib/python3/dist-packages/graphite ]; then
    log "section 7 skipped: graphite-web and gunicorn are not installed (apt-get install graphite-web gunicorn)"
  else
    . "$here/lib.sh"
    r="$OUT/render-data"; rm -rf "$r"; mkdir -p "$r"
    # carbon-cache, its cache query port, and a graphite-web asking it
    start_carbon_cache "$r/carbon"; cpid=$pid; pids+=("$cpid")
    "$PY" "$here/render_freshness.py" create "$r/carbon/storage/whisper"
    cl=$(sed -n 's/^CACHE_QUERY_PORT = //p' "$r/carbon/conf/carbon.conf")
    start_graphite_web "$r/carbon-web" "$r/carbon/storage/whisper" "127.0.0.1:$cl"
    render_stage render_carbon "$port" "$web"
    kill "$cpid"; wait "$cpid" 2>/dev/null || true
    # the standalone, its carbonlink port, and a graphite-web asking it
    mkdir -p "$r/gk/whisper"
    "$PY" "$here/render_freshness.py" create "$r/gk/whisper"
    carbon=$(free_port); cl=$(free_port)
    # sparse files, as carbon-cache's here (WHISPER_SPARSE_CREATE), so 100,000 series fit on the disk
    printf 'sink.fill.mode=sparse\n' > "$r/gk.properties"
    GRAPHITE_KAFKA_NO_BUILD=1 GRAPHITE_KAFKA_OPTS="$STANDALONE_OPTS" "$root/bin/graphite-kafka" standalone \
      --config "$r/gk.properties" --data-dir "$r/gk" --bind 127.0.0.1 --carbon-port "$carbon" --udp-port "$carbon" \
      --pickle-port "$(free_port)" --kafka-port "$(free_port)" --metrics-port -1 --carbonlink-port "$cl" \
      > "$OUT/render-standalone.log" 2>&1 &
    spid=$!; pids+=("$spid")
    wait_port "$carbon" 180
    start_graphite_web "$r/gk-web" "$r/gk/whisper" "127.0.0.1:$cl"
    render_stage render_gk "$carbon" "$web"
    kill "$spid"; wait "$spid" 2>/dev/null || true
    put render_rate "$RENDER_RATE"
    put render_series "$RENDER_SERIES"
    put render_seconds "$RENDER_SECONDS"
    rm -rf "$r"
  fi
fi
section done

# --- 8: the users' view: whole processes, first million after start apart -----------------------------
if want 8; then
  section users
  ROUNDS=$USERS_ROUNDS SERIES=$E2E_SERIES PER_SERIES=$E2E_PER PARTITIONS=$PARTITIONS \
    GRAPHITE_KAFKA_OPTS="$STANDALONE_OPTS" "$here/users-view.sh" > "$OUT/users.log" 2>&1 \
    || log "users' view failed, see $OUT/users.log"
  grep '^USERS ' "$OUT/users.log" | sed 's/^USERS //' | tee "$OUT/users.txt" >&2 || true
  put users_rounds "$USERS_ROUNDS"
  put users_points "$((E2E_SERIES * E2E_PER))"
fi

# --- profiles and the report -----------------------------------------------------------------------
for p in gateway e2e fresh; do
  [ -s "$OUT/$p.collapsed" ] && "$PY" "$here/report.py" profile "$OUT/$p.collapsed" > "$OUT/$p.profile.txt"
done
if [ -n "$DOCS" ]; then
  "$PY" "$here/report.py" render "$OUT" "$root/docs/BENCHMARKS.md" "$root/docs/benchmarks.svg"
  log "wrote docs/BENCHMARKS.md and docs/benchmarks.svg"
fi
"$PY" "$here/report.py" ratios "$OUT"
log "results and logs in $OUT"

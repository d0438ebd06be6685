#!/usr/bin/env bash
# TagDB registration under a burst of new tagged series: SERIES (100,000) series never seen before, one
# point each, sent at once over one TCP connection to graphite-kafka standalone, twice in one run:
#   1. without --graphite-url: the time until the sink has written every point (its write throughput);
#   2. with --graphite-url pointing at Debian's graphite-web (gunicorn, its default SQLite TagDB):
#      the time until the sink has written every point, and until graphite-web has taken every
#      registration (the sink's tagsRegistered counter), checked against graphite-web's own TagDB.
# Each run gets its own data directory, so every series is new to it. Files are created by the sink
# (fill.mode=sparse, so that 100,000 files of 3.3 MB fit on the disk).
#
# usage: bench/tags-registration.sh          (needs graphite-web, gunicorn, python3, netcat and a built
#                                              tree: ./mvnw -q -B -DskipTests package)
# env:   SERIES (100000), WORKERS (graphite-web's gunicorn workers, 2), KEEP=1 keeps the temp dir
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
SERIES=${SERIES:-100000}
WORKERS=${WORKERS:-2}
PY=/usr/bin/python3
for tool in gunicorn django-admin nc "$PY"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install graphite-web gunicorn netcat-openbsd)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/tags-registration.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "${KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

# counter NAME PORT: the sum of a counter over every series of that name on the Prometheus endpoint
counter() {
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, urllib.request
name, port = sys.argv[1], sys.argv[2]
total = 0.0
for line in urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode().splitlines():
    if line.startswith("#"):
        continue
    key = line.split(" ")[0].split("{")[0]
    if key.endswith(name) or key.endswith(name + "_total"):
        total += float(line.rsplit(" ", 1)[1])
print(int(total))
PYEOF
}

now() { date +%s.%N; }
elapsed() { "$PY" -c "print('%.1f' % ($2 - $1))"; }

# the input: SERIES tagged series, one point each
input="$work/input.txt"
"$PY" - "$SERIES" "$input" <<'PYEOF'
import sys, time
n, path = int(sys.argv[1]), sys.argv[2]
t = int(time.time()) // 10 * 10
with open(path, "w") as f:
    for i in range(n):
        f.write("bench.tagged.load;dc=dc%d;host=host%06d;rack=r%d %d %d\n" % (i % 4, i, i % 50, i % 100, t))
PYEOF

web_port=$(free_port)
start_graphite_web() {
  local d="$work/graphite-web"
  mkdir -p "$d/storage" "$d/whisper"
  export PYTHONPATH="$root/deploy/graphite-web" GRAPHITE_SETTINGS_MODULE=local_settings \
    GRAPHITE_STORAGE_DIR="$d/storage" GRAPHITE_LOG_DIR="$d/storage" GRAPHITE_WHISPER_DIR="$d/whisper"
  "$PY" /usr/bin/django-admin migrate --settings=graphite.settings --run-syncdb --noinput > "$d/migrate.log" 2>&1
  "$PY" /usr/bin/gunicorn --bind "127.0.0.1:$web_port" --workers "$WORKERS" graphite.wsgi:application \
    > "$d/gunicorn.log" 2>&1 &
  pids+=($!)
  wait_port "$web_port" 60
}

# run NAME [standalone flags...]: prints the seconds until every point is written, and with
# --graphite-url the seconds until every series is registered
run() {
  local name=$1; shift
  local d="$work/$name" carbon kafka metrics pickle
  mkdir -p "$d"
  carbon=$(free_port); kafka=$(free_port); metrics=$(free_port); pickle=$(free_port)
  printf 'sink.fill.mode=sparse\n' > "$d/standalone.properties"
  GRAPHITE_KAFKA_NO_BUILD=1 "$root/bin/graphite-kafka" standalone --config "$d/standalone.properties" \
    --data-dir "$d/data" --bind 127.0.0.1 --carbon-port "$carbon" --udp-port "$carbon" \
    --pickle-port "$pickle" --kafka-port "$kafka" --metrics-port "$metrics" "$@" > "$d/standalone.log" 2>&1 &
  local pid=$!
  pids+=($pid)
  wait_port "$carbon" 180
  for _ in $(seq 1 300); do grep -q "assigned \[carbon.archives" "$d/standalone.log" && break; sleep 0.2; done
  local t0 written="" registered=""
  t0=$(now)
  nc -q1 127.0.0.1 "$carbon" < "$input"
  while :; do
    if [ -z "$written" ] && [ "$(counter committedPoints "$metrics")" -ge "$SERIES" ]; then
      written=$(elapsed "$t0" "$(now)")
      echo "$name: every point written after $written s ($("$PY" -c "print('%.0f' % ($SERIES / $written))") points/s)" >&2
    fi
    # every name taken by graphite-web: tagsRegistered also counts the re-registrations of every
    # tags.update.interval-th update, so the journal must be empty too
    if [ $# -gt 0 ] && [ -n "$written" ] && [ -z "$registered" ] \
        && [ "$(counter tagsRegistered "$metrics")" -ge "$SERIES" ] && [ "$(counter tagsPending "$metrics")" -eq 0 ]; then
      registered=$(elapsed "$t0" "$(now)")
      echo "$name: every series registered after $registered s (tagErrors $(counter tagErrors "$metrics"))" >&2
    fi
    [ -n "$written" ] && { [ $# -eq 0 ] || [ -n "$registered" ]; } && break
    sleep 1
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "$(date -u +%FT%TZ) $SERIES new tagged series, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run without-graphite-url
start_graphite_web
run with-graphite-url --graphite-url "http://127.0.0.1:$web_port"
# graphite-web's own view: every series is in its TagDB
found=$("$PY" -c "
import json, urllib.request
u = 'http://127.0.0.1:$web_port/tags/findSeries?expr=' + urllib.parse.quote('name=bench.tagged.load')
print(len(json.load(urllib.request.urlopen(u, timeout=300))))" 2>/dev/null || echo "?")
echo "graphite-web's TagDB holds $found of $SERIES series" >&2

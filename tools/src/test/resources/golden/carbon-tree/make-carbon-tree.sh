#!/usr/bin/env bash
# Writes a Whisper tree with Debian's carbon-cache (package graphite-carbon 1.1.7) from fixed input, and
# whisper-dump output for each file (empty slots left out), for WhisperImporterCarbonTreeIT. Every retention is at least ten
# years, so the points stay within retention for as long as the test data is in use.
#
# usage: make-carbon-tree.sh   (from this directory; needs graphite-carbon, python3-whisper, netcat)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

port=$((20000 + RANDOM % 20000))
mkdir -p "$work/conf" "$work/storage/whisper" "$work/log"
cat > "$work/conf/carbon.conf" <<CONF
[cache]
STORAGE_DIR = $work/storage
LOCAL_DATA_DIR = $work/storage/whisper
WHITELISTS_DIR = $work/storage/lists
CONF_DIR = $work/conf
LOG_DIR = $work/log
PID_DIR = $work
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
WHISPER_SPARSE_CREATE = True
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $port
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $((port + 1))
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $((port + 2))
LOG_LISTENER_CONN_SUCCESS = False
CARBON_METRIC_INTERVAL = 0
ENABLE_TAGS = True
TAGDB_URL = http://127.0.0.1:1
CONF
cat > "$work/conf/storage-schemas.conf" <<CONF
[hourly]
pattern = ^golden\.hourly\.
retentions = 1h:10y

[multi]
pattern = ^golden\.multi
retentions = 1h:10y,1d:20y
CONF
cat > "$work/conf/storage-aggregation.conf" <<CONF
[max]
pattern = \.max$
xFilesFactor = 0.1
aggregationMethod = max

[count]
pattern = \.count$
xFilesFactor = 0
aggregationMethod = sum

[absmax]
pattern = \.swing$
xFilesFactor = 0.3
aggregationMethod = absmax

[default]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
CONF

carbon-cache --config="$work/conf/carbon.conf" --nodaemon --logfile="$work/log/console.log" start &
pid=$!
for _ in $(seq 1 50); do nc -z 127.0.0.1 "$port" 2>/dev/null && break; sleep 0.2; done

# Fixed input: hourly points over five days of October 2026, with gaps, for five series.
t0=1791072000 # 2026-10-04T00:00:00Z, a multiple of 86400
python3 - "$t0" > "$work/input.txt" <<'PY'
import sys
t0 = int(sys.argv[1])
series = ["golden.hourly.cpu", "golden.multi.latency.max", "golden.multi.requests.count",
          "golden.multi.temp.swing", "golden.multi.load;host=web01;env=prod"]
for h in range(5 * 24):
    for k, name in enumerate(series):
        if (h + k) % 5 == 2:  # a gap every fifth hour, at a different hour per series
            continue
        value = ((h * 7 + k * 3) % 23) - 11 + 0.25 * k
        print(f"{name} {value} {t0 + h * 3600 + 60 * k}")
PY
nc -q1 127.0.0.1 "$port" < "$work/input.txt"

expected=$(wc -l < "$work/input.txt")
for _ in $(seq 1 100); do
  sleep 0.5
  n=0
  while IFS= read -r f; do
    n=$((n + $(whisper-fetch --from=$((t0 - 1)) --until=$((t0 + 5 * 86400)) "$f" | grep -vc None || true)))
  done < <(find "$work/storage/whisper" -name '*.wsp')
  [ "$n" -ge "$expected" ] && break
done
kill "$pid"; wait "$pid" 2>/dev/null || true

rm -rf "$here/whisper" "$here/dumps"
cp -r "$work/storage/whisper" "$here/whisper"
cp "$work/input.txt" "$here/input.txt"
mkdir -p "$here/dumps"
(cd "$here/whisper" && find . -name '*.wsp' | sort) | while IFS= read -r f; do
  out="$here/dumps/$(echo "${f#./}" | tr '/' '_').dump"
  whisper-dump "$here/whisper/$f" | grep -Ev '^[0-9]+: 0, +0$' > "$out"
done
echo "golden.multi.load;env=prod;host=web01" > "$here/tag-names.txt"
echo "wrote $(find "$here/whisper" -name '*.wsp' | wc -l) files from $expected points"

# Shell functions the benchmark scripts share. Source it after setting PY (the Python with whisper).

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # port seconds
  for _ in $(seq 1 $(($2 * 5))); do nc -z 127.0.0.1 "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "nothing listens on $1 after $2 s" >&2; return 1
}

# CPU time (user + system, seconds) the process has used so far, from /proc/PID/stat
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# start_carbon_cache DIR: Debian's carbon-cache with its files under DIR (conf/, storage/whisper, log/),
# no limits, the repository's retention (10s:6h,1m:7d,10m:5y, average, xFilesFactor 0.5); sets pid (the
# process) and port (its plaintext listener) once it listens
start_carbon_cache() {
  local d="$1"
  mkdir -p "$d/conf" "$d/storage/whisper" "$d/log"
  port=$(free_port)
  cat > "$d/conf/carbon.conf" <<CONF
[cache]
STORAGE_DIR = $d/storage
LOCAL_DATA_DIR = $d/storage/whisper
WHITELISTS_DIR = $d/storage/lists
CONF_DIR = $d/conf
LOG_DIR = $d/log
PID_DIR = $d
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
WHISPER_SPARSE_CREATE = True
LOG_UPDATES = False
LOG_CREATES = False
LOG_CACHE_HITS = False
LOG_CACHE_QUEUE_SORTS = False
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $port
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $(free_port)
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $(free_port)
LOG_LISTENER_CONN_SUCCESS = False
CARBON_METRIC_INTERVAL = 0
ENABLE_TAGS = False
CONF
  cat > "$d/conf/storage-schemas.conf" <<CONF
[default]
pattern = .*
retentions = 10s:6h,1m:7d,10m:5y
CONF
  cat > "$d/conf/storage-aggregation.conf" <<CONF
[default]
pattern = .*
xFilesFactor = 0.5
aggregationMethod = average
CONF
  carbon-cache --config="$d/conf/carbon.conf" --nodaemon --logfile="$d/log/console.log" start \
    > "$d/carbon.out" 2>&1 &
  pid=$!
  wait_port "$port" 60
}

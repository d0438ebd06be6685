#!/usr/bin/env bash
# Speed as an operator sees it: whole processes started as they are run, fed over a socket, next to
# Debian's tools fed the same input in the same run, with the first million points after start shown
# apart from the later ones.
#
#   gateway   bin/graphite-kafka gateway alone, in front of a Kafka broker in its own process (Apache
#             Kafka's kafka.Kafka from the runtime classpath, KRaft, one node), against carbon-c-relay
#             forwarding to a line-counting TCP sink. Three millions after start, each one timed from
#             the first byte sent until Kafka acknowledged every point (the gateway's pointsProduced
#             counter) or the sink counted every line.
#   standalone bin/graphite-kafka standalone against carbon-cache: the first million after start, then
#             the second, each timed until every point is readable in its file (sink-vs-carbon-cache.sh
#             with WARM=1; its header says how).
#
# The input is 1,000,000 Carbon plaintext points over 10,000 series, sent with one TCP connection (nc).
# Every process's CPU time (user + system, from /proc) is taken around each million. Each round starts
# every process afresh.
#
# usage: bench/users-view.sh   (a built tree: ./mvnw -q -B -DskipTests package; graphite-carbon,
#                               carbon-c-relay, python3-whisper, netcat)
# env:   ROUNDS (3), ONLY (gateway | standalone), PARTITIONS (12), SERIES (10000), PER_SERIES (100),
#        GATEWAY_OPTS (JVM options of the gateway; default bin/graphite-kafka's),
#        GRAPHITE_KAFKA_OPTS (the standalone's, passed through)
# Every result is a line starting with "USERS " (key=value pairs), for bench/run.sh.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bench"
ROUNDS=${ROUNDS:-3}
ONLY=${ONLY:-}
PARTITIONS=${PARTITIONS:-12}
SERIES=${SERIES:-10000}
PER_SERIES=${PER_SERIES:-100}
PY=/usr/bin/python3
total=$((SERIES * PER_SERIES))
LIB="$root/standalone/target/lib"

for tool in carbon-c-relay carbon-cache nc java "$PY"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install carbon-c-relay graphite-carbon python3-whisper netcat-openbsd)" >&2; exit 1; }
done
[ -d "$LIB" ] || { echo "no build: run ./mvnw -q -B -DskipTests package" >&2; exit 1; }

work="$(mktemp -d /tmp/users-view.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$here/lib.sh"

"$PY" "$here/points.py" input "$work/input.txt" "$SERIES" "$PER_SERIES" $(( $(date +%s) / 10 * 10 ))
seconds_between() { "$PY" -c "print('%.2f' % ($2 - $1))"; }
cpu_between() { "$PY" -c "print('%.1f' % ($2 - $1))"; }

# start_broker DIR: one KRaft node (broker and controller) in its own JVM; sets broker (its pid) and
# bootstrap
start_broker() {
  local d="$1" port cport
  port=$(free_port); cport=$(free_port)
  mkdir -p "$d"
  cat > "$d/server.properties" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/log
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
CONF
  java -cp "$LIB/*" kafka.tools.StorageTool format -c "$d/server.properties" \
    -t "$(java -cp "$LIB/*" kafka.tools.StorageTool random-uuid)" > "$d/format.log" 2>&1
  java -Xmx1g -cp "$LIB/*" kafka.Kafka "$d/server.properties" > "$d/broker.log" 2>&1 &
  broker=$!
  pids+=("$broker")
  wait_port "$port" 60
  bootstrap="127.0.0.1:$port"
  for topic in carbon.points carbon.rejects; do
    java -cp "$LIB/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
      --topic "$topic" --partitions "$PARTITIONS" --replication-factor 1 >> "$d/topics.log" 2>&1
  done
}

gateway_round() {
  local round=$1 d="$work/gateway-$round"
  start_broker "$d/broker"
  local carbon metrics
  carbon=$(free_port); metrics=$(free_port)
  cat > "$d/gateway.properties" <<CONF
bootstrap.servers=$bootstrap
bind.address=127.0.0.1
carbon.port=$carbon
pickle.port=-1
metrics.http.port=$metrics
metric.interval.seconds=0
CONF
  local opts=()
  [ -n "${GATEWAY_OPTS:-}" ] && opts=("GRAPHITE_KAFKA_OPTS=$GATEWAY_OPTS")
  # the gateway's own options: GRAPHITE_KAFKA_OPTS in the environment is the standalone's
  env -u GRAPHITE_KAFKA_OPTS GRAPHITE_KAFKA_NO_BUILD=1 "${opts[@]}" \
    "$root/bin/graphite-kafka" gateway --config "$d/gateway.properties" > "$d/gateway.log" 2>&1 &
  local gateway=$!
  pids+=("$gateway")
  wait_port "$carbon" 120
  wait_port "$metrics" 60
  for million in 1 2 3; do
    local g0 b0 t0 t1 g1 b1
    g0=$(cpu_seconds "$gateway"); b0=$(cpu_seconds "$broker")
    "$PY" "$here/users_view.py" counter "http://127.0.0.1:$metrics/metrics" \
      graphite_kafka_relays_pointsProduced_total $((million * total)) > "$d/done" &
    local waiter=$!
    t0=$(date +%s.%N)
    nc -q0 127.0.0.1 "$carbon" < "$work/input.txt"
    wait "$waiter"
    read -r t1 _ < "$d/done"
    g1=$(cpu_seconds "$gateway"); b1=$(cpu_seconds "$broker")
    echo "USERS system=gateway round=$round million=$million points=$total" \
      "seconds=$(seconds_between "$t0" "$t1") cpu=$(cpu_between "$g0" "$g1") broker_cpu=$(cpu_between "$b0" "$b1")"
  done
  kill "$gateway" "$broker"; wait "$gateway" "$broker" 2>/dev/null || true
}

relay_round() {
  local round=$1 d="$work/relay-$round"
  mkdir -p "$d"
  local sinkport relayport
  sinkport=$(free_port); relayport=$(free_port)
  # the sink tells each million through a FIFO, so nothing polls while the relay works
  mkfifo "$d/counted"
  exec 3<> "$d/counted"
  "$PY" "$here/users_view.py" sink "$sinkport" "$total" "$d/counted" &
  pids+=($!)
  wait_port "$sinkport" 10
  echo "cluster sink forward 127.0.0.1:$sinkport; match * send to sink stop;" > "$d/relay.conf"
  # a worker per core, a queue as large as a million points, stalling (not dropping) a fast client
  carbon-c-relay -f "$d/relay.conf" -p "$relayport" -w 2 -q "$total" -L 15 -U 1048576 -H bench \
    > "$d/relay.log" 2>&1 &
  local relay=$!
  pids+=("$relay")
  wait_port "$relayport" 10
  for million in 1 2 3; do
    local c0 t0 t1 c1
    c0=$(cpu_seconds "$relay")
    t0=$(date +%s.%N)
    nc -q0 127.0.0.1 "$relayport" < "$work/input.txt"
    if ! read -r -t 120 -u 3 _ t1; then
      echo "carbon-c-relay did not forward million $million of round $round in 120 s; its log:" >&2
      tail -n 5 "$d/relay.log" >&2
      echo "USERS system=relay round=$round million=$million points=$total failed=1"
      break
    fi
    c1=$(cpu_seconds "$relay")
    echo "USERS system=relay round=$round million=$million points=$total" \
      "seconds=$(seconds_between "$t0" "$t1") cpu=$(cpu_between "$c0" "$c1")"
  done
  exec 3<&-
  kill "$relay" 2>/dev/null || true
  wait "$relay" 2>/dev/null || true
}

standalone_round() {
  local round=$1
  SERIES=$SERIES PER_SERIES=$PER_SERIES RUNS=1 WARM=1 "$here/sink-vs-carbon-cache.sh" > "$work/e2e-$round.log" 2>&1 \
    || { echo "round $round of standalone vs carbon-cache failed:" >&2; cat "$work/e2e-$round.log" >&2; return 1; }
  local system million pattern
  for system in graphite-kafka carbon-cache; do
    for million in 1 2; do
      pattern="$system"; [ "$million" = 1 ] && pattern="$system (cold)"
      sed -n "s/^$pattern: $total points readable after \([0-9.]*\) s.*process CPU \([0-9.]*\) s.*/\1 \2/p" \
        "$work/e2e-$round.log" | while read -r secs cpu; do
          echo "USERS system=$( [ $system = graphite-kafka ] && echo standalone || echo carbon-cache)" \
            "round=$round million=$million points=$total seconds=$secs cpu=$cpu"
        done
    done
  done
}

echo "$(date -u +%FT%TZ) $(uname -n), $(nproc) cores; $total points, $SERIES series x $PER_SERIES, one connection" >&2
for round in $(seq 1 "$ROUNDS"); do
  if [ "$ONLY" != standalone ]; then
    gateway_round "$round"
    relay_round "$round"
  fi
  [ "$ONLY" != gateway ] && standalone_round "$round"
done

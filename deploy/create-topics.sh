#!/bin/bash
# Creates the pipeline's topics (idempotent). points, archives and rules must share their partition count.
set -euo pipefail
topics=/opt/kafka/bin/kafka-topics.sh
create() { # name partitions configs...
  local name=$1 partitions=$2; shift 2
  local args=()
  for c in "$@"; do args+=(--config "$c"); done
  "$topics" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor 3 --config min.insync.replicas=2 "${args[@]}"
}
create carbon.lines "$PARTITIONS" retention.ms=86400000 compression.type=producer
create carbon.points "$PARTITIONS" retention.ms=604800000 compression.type=producer
# archives are what a storage host replays when it is rebuilt: keep them as long as you want to be able to
create carbon.archives "$PARTITIONS" retention.ms=2592000000 compression.type=producer
# the aggregator's own topic for carbon-aggregator's rules: as many partitions as carbon.points, kept as
# long (the aggregator creates it like carbon.points when it is missing)
create carbon.rules "$PARTITIONS" retention.ms=604800000 compression.type=producer
create carbon.rejects 3 retention.ms=604800000
"$topics" --bootstrap-server "$BOOTSTRAP" --list

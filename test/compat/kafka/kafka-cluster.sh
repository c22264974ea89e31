#!/usr/bin/env bash
# A 3-node Apache Kafka cluster on loopback, beside kafka.sh's single node: KRaft, every node
# broker and controller (a static quorum of the three), the same jars (kafka.sh fetch).
#
#   kafka-cluster.sh start           format and start the three nodes; prints the bootstrap list
#   kafka-cluster.sh stop            stop every node and delete the temp data dir
#   kafka-cluster.sh stop-node ID    stop one node (SIGTERM: a controlled shutdown), data kept
#   kafka-cluster.sh start-node ID   start a stopped node again from its data
#   kafka-cluster.sh bootstrap       print the bootstrap list of the running cluster
#
# Environment: KAFKA_CACHE as for kafka.sh; KAFKA_CLUSTER_STATE (default
# <repo>/.cache/kafka/cluster-run) records the instance; KAFKA_HEAP per node (default
# -Xmx512m -Xms128m); KAFKA_START_TIMEOUT seconds per node (default 120). Settings follow
# kafka.sh's, with the internal topics replicated three times (min ISR 2) and ELR off.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
STATE="${KAFKA_CLUSTER_STATE:-$REPO/.cache/kafka/cluster-run}"
NODES=(1 2 3)

die() { echo "kafka-cluster.sh: $*" >&2; exit 1; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

node_pid() {
  [[ -f "$STATE/node-$1.pid" ]] || return 1
  local pid; pid="$(cat "$STATE/node-$1.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start_node() {
  local id="$1" cp
  node_pid "$id" >/dev/null && return 0
  cp="$("$HERE/kafka.sh" classpath)"
  setsid java ${KAFKA_HEAP:--Xmx512m -Xms128m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xshare:auto \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$STATE/node-$id.properties" > "$STATE/node-$id.log" 2>&1 < /dev/null &
  echo $! > "$STATE/node-$id.pid"
}

wait_node() {
  local id="$1" deadline=$(( $(date +%s) + ${KAFKA_START_TIMEOUT:-120} ))
  until grep -q "Kafka Server started" "$STATE/node-$id.log" 2>/dev/null; do
    node_pid "$id" >/dev/null || { tail -30 "$STATE/node-$id.log" >&2; die "node $id exited during startup"; }
    (( $(date +%s) <= deadline )) || { tail -30 "$STATE/node-$id.log" >&2; die "node $id not ready after ${KAFKA_START_TIMEOUT:-120}s"; }
    sleep 0.5
  done
}

stop_node() {
  local pid
  if pid="$(node_pid "$1")"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/node-$1.pid"
}

start() {
  if [[ -f "$STATE/bootstrap" ]] && node_pid 1 >/dev/null; then cat "$STATE/bootstrap"; return 0; fi
  "$HERE/kafka.sh" fetch
  rm -rf "$STATE"
  mkdir -p "$STATE"
  local data cp id cluster_id voters="" bootstrap=""
  data="$(mktemp -d "${TMPDIR:-/tmp}/skiff-compat-kafka-cluster.XXXXXX")"
  echo "$data" > "$STATE/data_dir"
  declare -A port cport
  for id in "${NODES[@]}"; do
    port[$id]="$(free_port)"; cport[$id]="$(free_port)"
    voters+="${voters:+,}$id@127.0.0.1:${cport[$id]}"
    bootstrap+="${bootstrap:+,}127.0.0.1:${port[$id]}"
  done
  cp="$("$HERE/kafka.sh" classpath)"
  cluster_id="$(java -Xmx64m -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)"
  for id in "${NODES[@]}"; do
    cat > "$STATE/node-$id.properties" <<EOF
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${port[$id]},CONTROLLER://127.0.0.1:${cport[$id]}
advertised.listeners=PLAINTEXT://127.0.0.1:${port[$id]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/node-$id
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0
EOF
    java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$HERE/log4j2-tools.properties" \
      -cp "$cp" kafka.tools.StorageTool format --ignore-formatted --feature eligible.leader.replicas.version=0 \
      --cluster-id "$cluster_id" --config "$STATE/node-$id.properties" > "$STATE/format-$id.log" 2>&1 \
      || { cat "$STATE/format-$id.log" >&2; die "formatting node $id failed"; }
  done
  echo "$bootstrap" > "$STATE/bootstrap"
  for id in "${NODES[@]}"; do start_node "$id"; done
  for id in "${NODES[@]}"; do wait_node "$id"; done
  echo "$bootstrap"
}

stop() {
  for id in "${NODES[@]}"; do stop_node "$id"; done
  if [[ -f "$STATE/data_dir" ]]; then
    local data; data="$(cat "$STATE/data_dir")"
    case "$data" in "${TMPDIR:-/tmp}"/skiff-compat-kafka-cluster.*) rm -rf "$data" ;; esac
    rm -f "$STATE/data_dir" "$STATE/bootstrap"
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start) start ;;
  stop) stop ;;
  stop-node) [[ -n "${1:-}" ]] || die "stop-node needs an id"; stop_node "$1" ;;
  start-node)
    [[ -n "${1:-}" ]] || die "start-node needs an id"
    start_node "$1"; wait_node "$1" ;;
  bootstrap) cat "$STATE/bootstrap" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

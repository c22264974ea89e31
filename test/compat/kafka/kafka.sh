#!/usr/bin/env bash
# Real Apache Kafka beside Skiff, without Docker: fetch a pinned release from Maven Central,
# format a KRaft single-node (combined broker + controller) data dir in a temp folder, run it
# on a free loopback port, stop it.
#
#   kafka.sh fetch                 resolve the jars into $KAFKA_CACHE (idempotent)
#   kafka.sh start                 start (fetches first); prints the bootstrap address, e.g. 127.0.0.1:40123
#   kafka.sh stop                  stop it and delete its temp data dir
#   kafka.sh status                exit 0 when running (prints the bootstrap address)
#   kafka.sh env                   print shell assignments: KAFKA_BOOTSTRAP, KAFKA_PID, KAFKA_LOG,
#                                  KAFKA_DATA_DIR, KAFKA_LIBS, KAFKA_VERSION (eval "$(kafka.sh env)")
#   kafka.sh tool NAME [ARGS...]   run one of Kafka's CLI tools with the release's classpath:
#                                  kafka-topics, kafka-console-producer, kafka-console-consumer,
#                                  kafka-consumer-groups, kafka-configs, kafka-get-offsets,
#                                  kafka-delete-records, kafka-transactions, kafka-dump-log,
#                                  kafka-storage, kafka-acls, connect-mirror-maker (MirrorMaker 2,
#                                  dedicated mode), kafka-run-class CLASS
#   kafka.sh classpath             print the classpath (for java -cp)
#   kafka.sh security-props        the security profile's settings shared with Skiff (needs KAFKA_SECURITY)
#   kafka.sh security-scram        the security profile's SCRAM users, one --add-scram value a line
#
# Environment:
#   KAFKA_VERSION    the release (default: the pin below)
#   KAFKA_CACHE      jar cache (default: <repo>/.cache/kafka/$KAFKA_VERSION)
#   KAFKA_STATE      where the running instance is recorded (default: <repo>/.cache/kafka/run);
#                    use different values to run several instances side by side
#   KAFKA_HEAP       JVM heap for the broker (default -Xmx768m -Xms256m)
#   KAFKA_PROPS      extra server.properties lines, newline separated (override the defaults)
#   KAFKA_START_TIMEOUT  seconds to wait for readiness (default 120)
#   KAFKA_SECURITY   a dir with certs.sh's key material (test/compat/security/certs.sh): start the
#                    security profile instead of the PLAINTEXT listener (see security_props below);
#                    the bootstrap printed is the SASL_PLAINTEXT listener, `env` adds KAFKA_LISTENERS
#
# The broker's settings match Skiff's defaults. Kafka's own defaults already do for
# num.partitions=1, default.replication.factor=1, auto.create.topics.enable=true,
# min.insync.replicas=1 and 50 partitions for __consumer_offsets/__transaction_state, so they
# are left unset (setting them would make DescribeConfigs report STATIC_BROKER_CONFIG);
# set here: node.id=1, replication factor 1 / min ISR 1 for the internal topics (one node),
# group.initial.rebalance.delay.ms=0 (Skiff's default; Kafka's is 3000). The KRaft dir is
# formatted with eligible.leader.replicas.version=0 (KAFKA_FORMAT_ARGS overrides): with ELR on,
# Kafka 4.x pins a cluster-level dynamic min.insync.replicas=1 that every DescribeConfigs and
# kafka-topics --describe would show, and a one-node cluster has no use for ELR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_CACHE="${KAFKA_CACHE:-$REPO/.cache/kafka/$KAFKA_VERSION}"
KAFKA_STATE="${KAFKA_STATE:-$REPO/.cache/kafka/run}"
LIBS="$KAFKA_CACHE/libs"

die() { echo "kafka.sh: $*" >&2; exit 1; }

# .complete holds the pom's checksum: a cache fetched before the pom gained a dependency (such as
# MirrorMaker 2's jars) is fetched again.
pom_sum() { cksum < "$HERE/pom.xml"; }

fetch() {
  if [[ -f "$LIBS/.complete" && "$(cat "$LIBS/.complete")" == "$(pom_sum)" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch Kafka $KAFKA_VERSION)"
  command -v java >/dev/null || die "java not found (Kafka $KAFKA_VERSION needs Java 17+)"
  echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS" >&2
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  mvn -q -B -f "$HERE/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2 \
    || die "maven could not resolve Kafka $KAFKA_VERSION"
  pom_sum > "$LIBS/.complete"
}

classpath() { fetch; printf '%s' "$LIBS/*"; }

jvm() {
  # Tools: small heap, fast start. KAFKA_TOOL_OPTS can add more. exec: the tool's pid is the
  # caller's, so it can be stopped by that pid (MirrorMaker 2 runs until stopped).
  local cp; cp="$(classpath)"
  exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Dlog4j2.configurationFile="$HERE/log4j2-tools.properties" \
    ${KAFKA_TOOL_OPTS:-} -cp "$cp" "$@"
}

tool_class() {
  case "$1" in
    kafka-topics) echo org.apache.kafka.tools.TopicCommand ;;
    kafka-console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
    kafka-console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    kafka-consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    kafka-configs) echo kafka.admin.ConfigCommand ;;
    kafka-get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
    kafka-delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
    kafka-transactions) echo org.apache.kafka.tools.TransactionsCommand ;;
    kafka-dump-log) echo org.apache.kafka.tools.DumpLogSegments ;;
    kafka-storage) echo kafka.tools.StorageTool ;;
    kafka-leader-election) echo org.apache.kafka.tools.LeaderElectionCommand ;;
    kafka-reassign-partitions) echo org.apache.kafka.tools.reassign.ReassignPartitionsCommand ;;
    kafka-log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
    kafka-metadata-quorum) echo org.apache.kafka.tools.MetadataQuorumCommand ;;
    kafka-features) echo org.apache.kafka.tools.FeatureCommand ;;
    kafka-client-metrics) echo org.apache.kafka.tools.ClientMetricsCommand ;;
    kafka-share-groups) echo org.apache.kafka.tools.consumer.group.ShareGroupCommand ;;
    kafka-console-share-consumer) echo org.apache.kafka.tools.consumer.ConsoleShareConsumer ;;
    kafka-acls) echo org.apache.kafka.tools.AclCommand ;;
    connect-mirror-maker) echo org.apache.kafka.connect.mirror.MirrorMaker ;;
    *) return 1 ;;
  esac
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

running_pid() {
  [[ -f "$KAFKA_STATE/pid" ]] || return 1
  local pid; pid="$(cat "$KAFKA_STATE/pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# The security profile's settings that Skiff gets too (test/compat/run.ts reads them with
# `security-props` and the SCRAM users with `security-scram`): listeners SASL_PLAINTEXT (PLAIN,
# SCRAM-SHA-256/512, OAUTHBEARER with Kafka's unsecured validator), SSL, MTLS (SSL with
# ssl.client.auth=required) and SASL_SSL; PEM key material from $KAFKA_SECURITY;
# StandardAuthorizer with User:admin as the only super user. SCRAM users (SECURITY_SCRAM:
# kafka-storage format --add-scram here, skiff.scram.credentials for Skiff) and PLAIN users
# share passwords: <name>-secret.
SECURITY_SCRAM=(
  "SCRAM-SHA-256=[name=admin,password=admin-secret]" "SCRAM-SHA-512=[name=admin,password=admin-secret]"
  "SCRAM-SHA-256=[name=alice,password=alice-secret]" "SCRAM-SHA-512=[name=alice,password=alice-secret]"
  "SCRAM-SHA-256=[name=bob,password=bob-secret]"
)
security_props() {
  local plain='org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";'
  local scram='org.apache.kafka.common.security.scram.ScramLoginModule required;'
  local oauth='org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";'
  echo "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL"
  echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
  local l m
  for l in sasl_plaintext sasl_ssl; do
    echo "listener.name.$l.plain.sasl.jaas.config=$plain"
    for m in scram-sha-256 scram-sha-512; do echo "listener.name.$l.$m.sasl.jaas.config=$scram"; done
    echo "listener.name.$l.oauthbearer.sasl.jaas.config=$oauth"
  done
  echo "ssl.keystore.type=PEM"
  echo "ssl.keystore.location=$KAFKA_SECURITY/broker.pem"
  echo "ssl.truststore.type=PEM"
  echo "ssl.truststore.location=$KAFKA_SECURITY/ca.pem"
  echo "listener.name.mtls.ssl.client.auth=required"
  echo 'ssl.principal.mapping.rules=RULE:^CN=([^,]+),.*$/$1/,DEFAULT'
  echo "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer"
  echo "super.users=User:admin"
}

start() {
  if running_pid >/dev/null; then cat "$KAFKA_STATE/bootstrap"; echo; return 0; fi
  fetch
  rm -rf "$KAFKA_STATE"
  mkdir -p "$KAFKA_STATE"
  local data port cport
  data="$(mktemp -d "${TMPDIR:-/tmp}/skiff-compat-kafka.XXXXXX")"
  port="$(free_port)"; cport="$(free_port)"
  while [[ "$cport" == "$port" ]]; do cport="$(free_port)"; done
  local listeners="PLAINTEXT://127.0.0.1:$port" protocols="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT" inter=PLAINTEXT
  local format_args=()
  if [[ -n "${KAFKA_SECURITY:-}" ]]; then
    [[ -f "$KAFKA_SECURITY/broker.pem" ]] || die "KAFKA_SECURITY=$KAFKA_SECURITY has no broker.pem (test/compat/security/certs.sh makes it)"
    local name p
    listeners=""; : > "$KAFKA_STATE/listeners"
    for name in SASL_PLAINTEXT SSL MTLS SASL_SSL; do
      p="$(free_port)"
      while [[ "$p" == "$cport" || "$listeners" == *":$p,"* ]]; do p="$(free_port)"; done
      listeners="$listeners$name://127.0.0.1:$p,"
      echo "$name=127.0.0.1:$p" >> "$KAFKA_STATE/listeners"
    done
    listeners="${listeners%,}"
    port="$(sed -n 's/^SASL_PLAINTEXT=127.0.0.1://p' "$KAFKA_STATE/listeners")"
    inter=SASL_PLAINTEXT
    for p in "${SECURITY_SCRAM[@]}"; do format_args+=(--add-scram "$p"); done
  fi
  {
    cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=$listeners,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=$inter
log.dirs=$data/logs
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
    if [[ -n "${KAFKA_SECURITY:-}" ]]; then
      # The broker reaches its controller and itself as User:admin over PLAIN.
      security_props
      cat <<EOF
sasl.mechanism.inter.broker.protocol=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret";
EOF
    else
      echo "listener.security.protocol.map=$protocols"
    fi
    printf '%s\n' "${KAFKA_PROPS:-}"
  } > "$KAFKA_STATE/server.properties"
  echo "$data" > "$KAFKA_STATE/data_dir"
  echo "127.0.0.1:$port" > "$KAFKA_STATE/bootstrap"
  local cp; cp="$(classpath)"
  # Format a KRaft storage dir for a standalone controller.
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$HERE/log4j2-tools.properties" \
    -cp "$cp" kafka.tools.StorageTool format --standalone --ignore-formatted ${KAFKA_FORMAT_ARGS:---feature eligible.leader.replicas.version=0} ${format_args[@]+"${format_args[@]}"} \
    --cluster-id "$(java -Xmx64m -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null)" \
    --config "$KAFKA_STATE/server.properties" > "$KAFKA_STATE/format.log" 2>&1 \
    || { cat "$KAFKA_STATE/format.log" >&2; die "formatting the KRaft dir failed"; }
  # setsid: the broker survives the shell that started it, and stop can signal it alone.
  setsid java ${KAFKA_HEAP:--Xmx768m -Xms256m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Xshare:auto \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    -cp "$cp" kafka.Kafka "$KAFKA_STATE/server.properties" > "$KAFKA_STATE/kafka.log" 2>&1 < /dev/null &
  echo $! > "$KAFKA_STATE/pid"
  local deadline=$(( $(date +%s) + ${KAFKA_START_TIMEOUT:-120} ))
  until grep -q "Kafka Server started" "$KAFKA_STATE/kafka.log" 2>/dev/null; do
    if ! running_pid >/dev/null; then tail -40 "$KAFKA_STATE/kafka.log" >&2; die "Kafka exited during startup (log: $KAFKA_STATE/kafka.log)"; fi
    if (( $(date +%s) > deadline )); then tail -40 "$KAFKA_STATE/kafka.log" >&2; stop; die "Kafka not ready after ${KAFKA_START_TIMEOUT:-120}s"; fi
    sleep 0.5
  done
  echo "127.0.0.1:$port"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [[ -f "$KAFKA_STATE/data_dir" ]]; then
    local data; data="$(cat "$KAFKA_STATE/data_dir")"
    case "$data" in "${TMPDIR:-/tmp}"/skiff-compat-kafka.*) rm -rf "$data" ;; esac
    rm -f "$KAFKA_STATE/data_dir" "$KAFKA_STATE/pid"
  fi
}

cmd="${1:-}"; shift || true
case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) running_pid >/dev/null && cat "$KAFKA_STATE/bootstrap" && echo ;;
  env)
    pid="$(running_pid || true)"
    echo "KAFKA_VERSION=$KAFKA_VERSION"
    echo "KAFKA_LIBS=$LIBS"
    echo "KAFKA_PID=$pid"
    if [[ -n "$pid" ]]; then
      echo "KAFKA_BOOTSTRAP=$(cat "$KAFKA_STATE/bootstrap")"
      echo "KAFKA_DATA_DIR=$(cat "$KAFKA_STATE/data_dir")/logs"
      # Security profile: NAME=host:port,... for SASL_PLAINTEXT, SSL, MTLS and SASL_SSL.
      if [[ -f "$KAFKA_STATE/listeners" ]]; then echo "KAFKA_LISTENERS=$(paste -sd, "$KAFKA_STATE/listeners")"; fi
    else
      echo "KAFKA_BOOTSTRAP="
      echo "KAFKA_DATA_DIR="
    fi
    echo "KAFKA_LOG=$KAFKA_STATE/kafka.log"
    ;;
  classpath) classpath; echo ;;
  security-props) [[ -n "${KAFKA_SECURITY:-}" ]] || die "security-props needs KAFKA_SECURITY"; security_props ;;
  security-scram) printf '%s\n' "${SECURITY_SCRAM[@]}" ;;
  tool)
    name="${1:-}"; shift || die "tool needs a name"
    if [[ "$name" == kafka-run-class ]]; then jvm "$@"; fi
    cls="$(tool_class "$name")" || die "unknown tool $name"
    jvm "$cls" "$@"
    ;;
  *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

#!/usr/bin/env bash
# Kafka's own CLI tools (the release kafka/kafka.sh pins) pointed at a broker: cli.sh <bootstrap> <target>.
# Prints one JSON line per scenario (client "kafka-cli"); each result is the tools' output,
# normalized (topic ids, timestamps, CRCs, producer ids, consumer ids, hosts), plus exit codes.
# COMPAT_DATA_DIR is the broker's log dir (kafka-dump-log reads the segment files there).
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
KAFKA_SH="$HERE/../kafka/kafka.sh"
B="$1"; TARGET="$2"
DATA="${COMPAT_DATA_DIR:-}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/skiff-compat-cli.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
CLIENT=kafka-cli
TOOL_TIMEOUT="${COMPAT_TOOL_TIMEOUT:-45}"

cat > "$WORK/admin.properties" <<EOF
request.timeout.ms=8000
default.api.timeout.ms=15000
retry.backoff.ms=100
EOF

"$KAFKA_SH" fetch >&2 || exit 1
echo "{\"client\":\"$CLIENT\",\"versions\":{\"kafka CLI tools\":\"$("$KAFKA_SH" env | sed -n 's/^KAFKA_VERSION=//p')\"}}"

OUT="$WORK/out"; ERRS="$WORK/errors"

normalize() {
  sed -E \
    -e 's/(TopicId:[[:space:]]*)[A-Za-z0-9_-]{22}/\1<topic-id>/g' \
    -e 's/"topicId":"[A-Za-z0-9_-]{22}"/"topicId":"<topic-id>"/g' \
    -e 's/\b1[6-9][0-9]{11}\b/<ts>/g' \
    -e 's/(crc:?[[:space:]]*)-?[0-9]+/\1<crc>/g' \
    -e 's/(producerId:?[[:space:]]*)[0-9]+/\1<pid>/g' \
    -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
    -e 's/\b(console-consumer|consumer|producer|adminclient)-[0-9]+\b/\1-<n>/g' \
    -e "s#${B}#<bootstrap>#g" \
    -e "s#${WORK}#<work>#g" \
    -e 's#/127\.0\.0\.1#<host>#g' \
    -e "s#${DATA//#/\\#}#<data-dir>#g" \
    -e 's/[[:space:]]+$//'
}

# t TOOL ARGS...: run a tool, append its normalized stdout to the scenario output; a non-zero exit
# marks the scenario failed (with the tool's stderr as the reason). tx: same, non-zero expected.
run_tool() {
  local expect="$1"; shift
  local name="$1"
  echo "\$ $*" | normalize >> "$OUT"
  timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool "$@" > "$WORK/stdout" 2> "$WORK/stderr" < "${STDIN_FILE:-/dev/null}"
  local rc=$?
  # SORTED=1: the output's order is not the broker's to keep (ListGroups walks hash maps).
  if [[ -n "${SORTED:-}" ]]; then normalize < "$WORK/stdout" | LC_ALL=C sort >> "$OUT"; else normalize < "$WORK/stdout" >> "$OUT"; fi
  echo "exit=$([[ $rc == 0 ]] && echo 0 || echo nonzero)" >> "$OUT"
  if [[ "$expect" == ok && $rc != 0 ]]; then
    { echo "$name exit $rc: $(grep -vE '^\s*at |^\[' "$WORK/stderr" | grep -E 'Exception|Error|error' | head -3 | tr '\n' ' ')"; } >> "$ERRS"
  fi
  return 0
}
t() { run_tool ok "$@"; }
tx() { run_tool fail "$@"; }

scenario() {
  local name="$1"; shift
  if [[ -n "${COMPAT_ONLY:-}" && ",$COMPAT_ONLY," != *",$name,"* ]]; then return; fi
  : > "$OUT"; : > "$ERRS"
  local t0=$SECONDS
  "$@"
  node -e '
    const fs = require("fs");
    const [client, name, out, errs] = process.argv.slice(1);
    const lines = fs.readFileSync(out, "utf8").split("\n").filter((l) => l.length > 0);
    const e = fs.readFileSync(errs, "utf8").trim();
    console.log(JSON.stringify(e ? { client, scenario: name, ok: false, error: e.slice(0, 800), result: { lines } } : { client, scenario: name, ok: true, result: { lines } }));
  ' "$CLIENT" "$name" "$OUT" "$ERRS"
  echo "[$CLIENT@$TARGET] $name $((SECONDS - t0)) s" >&2
}

A=(--command-config "$WORK/admin.properties")

# ------------------------------------------------------------------------------ scenarios

topics() {
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-topics --partitions 2 --config retention.ms=100000
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --list --exclude-internal
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --describe --topic cli-topics
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --alter --topic cli-topics --partitions 4
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --describe --topic cli-topics
  tx kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-topics-rf3 --replication-factor 3
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --delete --topic cli-topics
}

printf 'h1:a,h2:b\tk1\tv1\nh3:c\tk2\tv2\nh4:\tk3\tv3\n' > "$WORK/input.txt"
PRODUCE=(--bootstrap-server "$B" --property parse.key=true --property parse.headers=true --producer-property enable.idempotence=false --producer-property acks=all)
PLAIN=(--bootstrap-server "$B" --property parse.key=true --producer-property enable.idempotence=false --producer-property acks=all)
PRINT=(--property print.key=true --property print.headers=true --property print.partition=true --property print.offset=true --timeout-ms 10000)

console_assign() {
  # Auto-created topic; the consumer reads partition 0 from offset 0 without a group.
  STDIN_FILE="$WORK/input.txt" t kafka-console-producer "${PRODUCE[@]}" --topic cli-console
  t kafka-console-consumer --bootstrap-server "$B" --topic cli-console --partition 0 --offset earliest --max-messages 3 "${PRINT[@]}"
}

console_from_beginning() {
  STDIN_FILE="$WORK/input.txt" t kafka-console-producer "${PRODUCE[@]}" --topic cli-console-group
  t kafka-console-consumer --bootstrap-server "$B" --topic cli-console-group --from-beginning --group cli-console-group --max-messages 3 "${PRINT[@]}"
}

console_idempotent_default() {
  # Default producer settings: enable.idempotence=true, so InitProducerId comes first.
  STDIN_FILE="$WORK/input.txt" t kafka-console-producer --bootstrap-server "$B" --property parse.key=true --property parse.headers=true --topic cli-console-idem
  t kafka-console-consumer --bootstrap-server "$B" --topic cli-console-idem --partition 0 --offset earliest --max-messages 3 "${PRINT[@]}"
}

consumer_groups() {
  printf 'k%d\tv%d\n' 1 1 2 2 3 3 4 4 5 5 > "$WORK/five.txt"
  STDIN_FILE="$WORK/five.txt" t kafka-console-producer "${PLAIN[@]}" --topic cli-groups
  t kafka-console-consumer --bootstrap-server "$B" --topic cli-groups --group cli-group --from-beginning --max-messages 3 --timeout-ms 10000
  SORTED=1 t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --list
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-group
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --reset-offsets --group cli-group --topic cli-groups --to-earliest --dry-run
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --reset-offsets --group cli-group --topic cli-groups --to-offset 4 --execute
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-group --offsets
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --delete --group cli-group
}

consumer_protocol_groups() {
  # KIP-848: the console consumer with group.protocol=consumer; the group described while its
  # member runs (member ids made by the client are replaced) and after it left.
  printf 'k%d\tv%d\n' 1 1 2 2 3 3 > "$WORK/three.txt"
  STDIN_FILE="$WORK/three.txt" t kafka-console-producer "${PLAIN[@]}" --topic cli-cgp
  timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool kafka-console-consumer --bootstrap-server "$B" --topic cli-cgp --group cli-cgp-group \
    --consumer-property group.protocol=consumer --from-beginning --timeout-ms 8000 > /dev/null 2>&1 &
  local consumer=$!
  for _ in $(seq 1 40); do
    timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-cgp-group --state 2>/dev/null | grep -q Stable && break
    sleep 0.5
  done
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-cgp-group --members --verbose
  sed -i -E 's/^(cli-cgp-group +)[A-Za-z0-9_-]{22}( )/\1<member-id>\2/' "$OUT"
  wait "$consumer"
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-cgp-group
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-cgp-group --state
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --delete --group cli-cgp-group
}

streams_groups() {
  # KIP-1071: a Kafka Streams word count (StreamsEos.java, group.protocol=streams) runs while
  # kafka-streams-groups describes its group: state, members, committed offsets; then, once the
  # application has closed, the empty group and its deletion.
  if [[ -z "${STREAMS_APP_CP:-}" ]]; then echo "no Kafka Streams classpath (STREAMS_APP_CP)" >> "$ERRS"; return; fi
  local app=cli-streams- group=cli-streams-wordcount
  t kafka-topics --bootstrap-server "$B" --create --topic "${app}streams-in" --partitions 2
  t kafka-topics --bootstrap-server "$B" --create --topic "${app}streams-out" --partitions 2
  printf 'k%d\tw%d w%d\n' 1 1 1 2 2 2 3 3 3 > "$WORK/lines.txt"
  STDIN_FILE="$WORK/lines.txt" t kafka-console-producer "${PLAIN[@]}" --topic "${app}streams-in"
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$STREAMS_APP_CP" StreamsEos "$B" "$app" app "$WORK/streams-state" 25 > /dev/null 2>&1 &
  local streams=$!
  for _ in $(seq 1 60); do
    timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --describe --group "$group" --offsets 2>/dev/null | grep -q "${app}streams-in" && break
    sleep 0.5
  done
  t kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --list
  t kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --describe --group "$group" --state
  t kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --describe --group "$group" --members
  # Member ids are random.
  sed -i -E 's/^('"$group"' +)[A-Za-z0-9_-]{22}( )/\1<member-id>\2/' "$OUT"
  t kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --describe --group "$group" --offsets
  wait "$streams"
  t kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --describe --group "$group" --state
  t kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --delete --group "$group"
  tx kafka-streams-groups --bootstrap-server "$B" "${A[@]}" --describe --group "$group"
}

offsets_formatter() {
  # Commit offsets with reset-offsets (OffsetCommit through the admin client), then read them
  # back from __consumer_offsets with Kafka's OffsetsMessageFormatter.
  printf 'k%d\tv%d\n' 1 1 2 2 3 3 > "$WORK/three.txt"
  STDIN_FILE="$WORK/three.txt" t kafka-console-producer "${PLAIN[@]}" --topic cli-offsets
  t kafka-consumer-groups --bootstrap-server "$B" "${A[@]}" --reset-offsets --group cli-offsets-formatter --topic cli-offsets --to-offset 2 --execute
  local p
  p="$(node -e 'let h=0;for(const c of "cli-offsets-formatter")h=(Math.imul(31,h)+c.charCodeAt(0))|0;console.log((h&0x7fffffff)%50)')"
  # Other scenarios' groups may share the partition (a streams scenario's did) and commit at other moments on each broker:
  # read what is there and keep this group's lines.
  t kafka-console-consumer --bootstrap-server "$B" --topic __consumer_offsets --partition "$p" --offset earliest --max-messages 50 --timeout-ms 10000 \
    --formatter org.apache.kafka.tools.consumer.OffsetsMessageFormatter
  awk 'index($0, "\"group\":\"") == 0 || index($0, "\"group\":\"cli-offsets-formatter\"") > 0' "$OUT" > "$OUT.kept" && mv "$OUT.kept" "$OUT"
  # The value's schema version is the writer's choice (Kafka 4.3 writes v4 with the topic id,
  # Skiff v3): compare the content. FINDINGS.md has the details.
  sed -i -E 's/"value":\{"version":[0-9]+,/"value":{/; s/,"topicId":"<topic-id>"//' "$OUT"
}

configs() {
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-configs --partitions 1
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type topics --entity-name cli-configs --add-config retention.ms=5000,cleanup.policy=compact
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type topics --entity-name cli-configs
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type topics --entity-name cli-configs --delete-config retention.ms
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type topics --entity-name cli-configs
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type brokers --entity-name 1
}

# The first line of a refused tool's error (the broker's error class and message).
refusal() {
  grep -m1 -oE '(Exception|Error): .*' "$WORK/stderr" | normalize >> "$OUT"
}

# Dynamic broker settings change the shared broker: only harmless ones (a longer retention, a
# larger message size), and each is removed again at the end.
configs_brokers() {
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-configs-dynamic --partitions 1
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-default --add-config log.retention.ms=700000000,log.cleaner.threads=2
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-name 1 --add-config message.max.bytes=2000000
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type brokers --entity-default
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type brokers --entity-name 1
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type topics --entity-name cli-configs-dynamic --all
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-name 1 --add-config node.id=5; refusal
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-default --add-config listeners=PLAINTEXT://:1; refusal
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-default --add-config log.segment.bytes=1000; refusal
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-default --delete-config log.retention.ms,log.cleaner.threads
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type brokers --entity-name 1 --delete-config message.max.bytes
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type brokers --entity-default
}

# Kafka's loggers are log4j's and Skiff's its own areas: root is the one both have.
configs_broker_loggers() {
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type broker-loggers --entity-name 1 --add-config root=INFO
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type broker-loggers --entity-name 1
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type broker-loggers --entity-name 1 --add-config root=LOUD; refusal
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type broker-loggers --entity-name 1 --delete-config root; refusal
  awk '!/^  [^=]+=/ || /^  root=/' "$OUT" > "$WORK/kept"; mv "$WORK/kept" "$OUT"
}

configs_groups() {
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type groups --entity-name cli-configs-group --add-config consumer.session.timeout.ms=50000,share.auto.offset.reset=earliest
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type groups --entity-name cli-configs-group
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type groups --entity-name cli-configs-group --all
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type groups --entity-name cli-configs-group --add-config consumer.session.timeout.ms=1000; refusal
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type groups --entity-name cli-configs-group --add-config consumer.heartbeat.interval.ms=60000; refusal
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type groups --entity-name cli-configs-group --delete-config consumer.session.timeout.ms
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type groups --entity-name cli-configs-group
}

configs_client_metrics() {
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type client-metrics --entity-name cli-metrics --add-config 'metrics=[org.apache.kafka.producer.,org.apache.kafka.consumer.],interval.ms=1000,match=[client_id=cli-.*]'
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type client-metrics --entity-name cli-metrics
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type client-metrics --entity-name cli-metrics --all
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type client-metrics --entity-name cli-metrics --add-config interval.ms=10; refusal
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type client-metrics --entity-name cli-metrics --add-config match=[nickname=x]; refusal
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type client-metrics --entity-name cli-metrics --delete-config metrics,match
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type client-metrics --entity-name cli-metrics
}

get_offsets() {
  printf 'k%d\tv%d\n' 1 1 2 2 3 3 > "$WORK/three.txt"
  STDIN_FILE="$WORK/three.txt" t kafka-console-producer "${PLAIN[@]}" --topic cli-get-offsets
  t kafka-get-offsets --bootstrap-server "$B" --command-config "$WORK/admin.properties" --topic cli-get-offsets --time -1
  t kafka-get-offsets --bootstrap-server "$B" --command-config "$WORK/admin.properties" --topic cli-get-offsets --time -2
  t kafka-get-offsets --bootstrap-server "$B" --command-config "$WORK/admin.properties" --topic cli-get-offsets --time 1000
}

delete_records() {
  printf 'k%d\tv%d\n' 1 1 2 2 3 3 4 4 5 5 > "$WORK/five.txt"
  STDIN_FILE="$WORK/five.txt" t kafka-console-producer "${PLAIN[@]}" --topic cli-delete-records
  echo '{"partitions":[{"topic":"cli-delete-records","partition":0,"offset":3}],"version":1}' > "$WORK/delete.json"
  t kafka-delete-records --bootstrap-server "$B" --command-config "$WORK/admin.properties" --offset-json-file "$WORK/delete.json"
  t kafka-get-offsets --bootstrap-server "$B" --command-config "$WORK/admin.properties" --topic cli-delete-records --time -2
}

transactions() {
  t kafka-transactions --bootstrap-server "$B" --command-config "$WORK/admin.properties" list
  t kafka-transactions --bootstrap-server "$B" --command-config "$WORK/admin.properties" describe-producers --topic cli-console --partition 0
  # Producer ids are the broker's to choose; ListTransactions has no order.
  sed -i -E 's/^([A-Za-z0-9._-]+[[:space:]]+[0-9]+[[:space:]]+)[0-9]+([[:space:]]+[A-Za-z]+)$/\1<pid>\2/' "$OUT"
  LC_ALL=C sort -o "$OUT" "$OUT"
}

transactions_eos_abort() {
  # Exactly-once copy with Kafka's TransactionalMessageCopier (the CLI release's client: on
  # transactions v2, each transaction bumps the epoch), read back committed, the transaction
  # described; then kafka-transactions abort writing markers (WriteTxnMarkers) for a producer
  # id of our own, and one with an older epoch (INVALID_PRODUCER_EPOCH).
  t kafka-topics --bootstrap-server "$B" --command-config "$WORK/admin.properties" --create --topic cli-eos-in --partitions 1
  t kafka-topics --bootstrap-server "$B" --command-config "$WORK/admin.properties" --create --topic cli-eos-out --partitions 1
  printf 'a\nb\nc\nd\ne\nf\n' > "$WORK/eos-input.txt"
  STDIN_FILE="$WORK/eos-input.txt" t kafka-console-producer --bootstrap-server "$B" --topic cli-eos-in
  # Its progress lines carry wall-clock times: only the exit code is kept.
  timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool kafka-run-class org.apache.kafka.tools.TransactionalMessageCopier --broker-list "$B" \
    --input-topic cli-eos-in --input-partition 0 --output-topic cli-eos-out --transactional-id cli-eos --consumer-group cli-eos-group \
    --transaction-size 2 --max-messages 6 --use-group-metadata > /dev/null 2> "$WORK/stderr"
  echo "transactional copy exit=$?" >> "$OUT"
  t kafka-console-consumer --bootstrap-server "$B" --topic cli-eos-out --from-beginning --isolation-level read_committed --max-messages 6 --property print.offset=true
  t kafka-consumer-groups --bootstrap-server "$B" --command-config "$WORK/admin.properties" --describe --group cli-eos-group --offsets
  t kafka-transactions --bootstrap-server "$B" --command-config "$WORK/admin.properties" describe --transactional-id cli-eos
  t kafka-transactions --bootstrap-server "$B" --command-config "$WORK/admin.properties" abort --topic cli-eos-out --partition 0 --producer-id 424242 --producer-epoch 5 --coordinator-epoch 0
  tx kafka-transactions --bootstrap-server "$B" --command-config "$WORK/admin.properties" abort --topic cli-eos-out --partition 0 --producer-id 424242 --producer-epoch 4 --coordinator-epoch 0
  t kafka-get-offsets --bootstrap-server "$B" --command-config "$WORK/admin.properties" --topic cli-eos-out
  # The producer id is the broker's; start time and duration are the clock's.
  awk -F'\t' -v OFS='\t' '$2 ~ /^cli-eos / { $3 = "<pid>"; $7 = "<start>"; $8 = "<duration>" } { print }' "$OUT" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
}

dump_log() {
  # The segment files each broker wrote for cli-dump-log (auto-created, one partition).
  STDIN_FILE="$WORK/input.txt" t kafka-console-producer "${PRODUCE[@]}" --topic cli-dump-log --compression-codec gzip
  STDIN_FILE="$WORK/input.txt" t kafka-console-producer "${PRODUCE[@]}" --topic cli-dump-log
  sleep 1
  local dir="$DATA/cli-dump-log-0"
  if [[ -z "$DATA" || ! -d "$dir" ]]; then echo "no partition dir $dir" >> "$ERRS"; return; fi
  (cd "$dir" && ls | grep -vE '^(partition\.metadata|leader-epoch-checkpoint)$' | sort) >> "$OUT"
  t kafka-dump-log --files "$dir/00000000000000000000.log" --print-data-log
  t kafka-dump-log --files "$dir/00000000000000000000.log" --deep-iteration
  # Batch sizes (and so positions) depend on the producer's timestamp deltas, i.e. on timing.
  sed -i -E 's/position: [0-9]+/position: <pos>/g; s/ size: [0-9]+/ size: <size>/g' "$OUT"
}

dump_index() {
  # The active segment's index files of the topic dump_log wrote.
  local dir="$DATA/cli-dump-log-0"
  if [[ -z "$DATA" || ! -d "$dir" ]]; then echo "no partition dir $dir" >> "$ERRS"; return; fi
  t kafka-dump-log --files "$dir/00000000000000000000.index,$dir/00000000000000000000.timeindex"
}

leader_election() {
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-elect --partitions 2
  t kafka-leader-election --bootstrap-server "$B" "${A[@]}" --election-type preferred --topic cli-elect --partition 0
  t kafka-leader-election --bootstrap-server "$B" "${A[@]}" --election-type unclean --topic cli-elect --partition 1
  tx kafka-leader-election --bootstrap-server "$B" "${A[@]}" --election-type preferred --topic cli-elect-missing --partition 0
}

reassign_partitions() {
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-reassign --partitions 2
  echo '{"version":1,"partitions":[{"topic":"cli-reassign","partition":0,"replicas":[1]},{"topic":"cli-reassign","partition":1,"replicas":[1]}]}' > "$WORK/same.json"
  echo '{"version":1,"partitions":[{"topic":"cli-reassign","partition":0,"replicas":[2]}]}' > "$WORK/other.json"
  echo '{"version":1,"topics":[{"topic":"cli-reassign"}]}' > "$WORK/move.json"
  t kafka-reassign-partitions --bootstrap-server "$B" "${A[@]}" --generate --topics-to-move-json-file "$WORK/move.json" --broker-list 1
  t kafka-reassign-partitions --bootstrap-server "$B" "${A[@]}" --execute --reassignment-json-file "$WORK/same.json"
  t kafka-reassign-partitions --bootstrap-server "$B" "${A[@]}" --verify --reassignment-json-file "$WORK/same.json"
  t kafka-reassign-partitions --bootstrap-server "$B" "${A[@]}" --list
  tx kafka-reassign-partitions --bootstrap-server "$B" "${A[@]}" --execute --reassignment-json-file "$WORK/other.json"
  t kafka-reassign-partitions --bootstrap-server "$B" "${A[@]}" --cancel --reassignment-json-file "$WORK/same.json"
  sed -i -E 's/"log_dirs":\["[^"]*"(,"[^"]*")*\]/"log_dirs":["<dir>"]/g' "$OUT"
}

log_dirs() {
  t kafka-topics --bootstrap-server "$B" "${A[@]}" --create --topic cli-log-dirs --partitions 2
  t kafka-log-dirs --bootstrap-server "$B" "${A[@]}" --describe --topic-list cli-log-dirs
  # The log dir's path and its disk's sizes are each broker's own.
  sed -i -E 's/"logDir":"[^"]*"/"logDir":"<dir>"/g; s/"(totalBytes|usableBytes)":-?[0-9]+/"\1":<n>/g' "$OUT"
}

metadata_quorum() {
  t kafka-metadata-quorum --bootstrap-server "$B" --command-config "$WORK/admin.properties" describe --status
  t kafka-metadata-quorum --bootstrap-server "$B" --command-config "$WORK/admin.properties" describe --replication
  # Offsets, epochs and lags move with each broker's metadata log; ids and ports are its own.
  sed -i -E 's/(ClusterId|LeaderEpoch|HighWatermark|MaxFollowerLag|MaxFollowerLagTimeMs):[[:space:]]+[^[:space:]]+/\1: <v>/g;
    s/"directoryId": "[A-Za-z0-9_-]{22}"/"directoryId": "<id>"/g; s#"CONTROLLER:/[^"]*"#"CONTROLLER://<endpoint>"#g;
    s/^([0-9]+[[:space:]]+)[A-Za-z0-9_-]{22}([[:space:]]+)[0-9]+/\1<id> <n>/; s/[[:space:]]+/ /g' "$OUT"
}

features() {
  t kafka-features --bootstrap-server "$B" --command-config "$WORK/admin.properties" describe
  tx kafka-features --bootstrap-server "$B" --command-config "$WORK/admin.properties" upgrade --feature no.such.feature=1 --dry-run
  # Skiff finalizes Kafka 3.9's levels by design (src/server/features.ts): compared are the features listed.
  sed -i -E 's/(SupportedMinVersion|SupportedMaxVersion|FinalizedVersionLevel|Epoch):[[:space:]]*[^[:space:]]+/\1: <v>/g' "$OUT"
}

quotas() {
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type users --entity-name cli-quota-user --add-config producer_byte_rate=1048576000,consumer_byte_rate=2048000000
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type clients --entity-name cli-quota-client --add-config request_percentage=500
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type users --entity-name cli-quota-user --entity-type clients --entity-name cli-quota-client --add-config consumer_byte_rate=3000000000
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type clients --entity-name cli-quota-client
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type users --entity-name cli-quota-user --entity-type clients --entity-name cli-quota-client
  tx kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type users --entity-name cli-quota-user --add-config producer_byte_rate=1.5
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type users --entity-name cli-quota-user --entity-type clients --entity-name cli-quota-client --delete-config consumer_byte_rate
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type users --entity-name cli-quota-user --entity-type clients --entity-name cli-quota-client
}

user_quotas() {
  # Describing users lists their SCRAM credentials too (DescribeUserScramCredentials).
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type users --entity-name cli-quota-user2 --add-config producer_byte_rate=1048576000
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --describe --entity-type users --entity-name cli-quota-user2
}

client_metrics() {
  local CM=(--bootstrap-server "$B" --command-config "$WORK/admin.properties")
  t kafka-client-metrics "${CM[@]}" --alter --name cli-metrics --metrics org.apache.kafka.producer. --interval 60000 --match client_id=cli-.*
  t kafka-client-metrics "${CM[@]}" --describe --name cli-metrics
  t kafka-client-metrics "${CM[@]}" --list
  t kafka-client-metrics "${CM[@]}" --delete --name cli-metrics
  t kafka-client-metrics "${CM[@]}" --list
}

share_groups() {
  # KIP-932: a share consumer reads the topic from the start (share.auto.offset.reset=earliest,
  # a group config); the group is described while it runs (member ids made by the client are
  # replaced) and after it left; then its start offsets are reset, deleted, and the group goes.
  printf 'k%d\tv%d\n' 1 1 2 2 3 3 > "$WORK/three.txt"
  STDIN_FILE="$WORK/three.txt" t kafka-console-producer "${PLAIN[@]}" --topic cli-share
  t kafka-configs --bootstrap-server "$B" "${A[@]}" --alter --entity-type groups --entity-name cli-share-group --add-config share.auto.offset.reset=earliest
  timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool kafka-console-share-consumer --bootstrap-server "$B" --topic cli-share --group cli-share-group \
    --timeout-ms 20000 > "$WORK/share-consumed" 2>/dev/null &
  local consumer=$!
  # Until the member holds the partition (a share group assigns it once its share state exists).
  for _ in $(seq 1 40); do
    timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool kafka-share-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-share-group --members 2>/dev/null | grep -q 'cli-share:0' && break
    sleep 0.5
  done
  t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-share-group --members
  sed -i -E 's/^(cli-share-group +)[A-Za-z0-9_-]{22}( )/\1<member-id>\2/' "$OUT"
  wait "$consumer"
  LC_ALL=C sort "$WORK/share-consumed" >> "$OUT"
  t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-share-group --state
  t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --reset-offsets --group cli-share-group --topic cli-share --to-earliest --execute
  t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --describe --group cli-share-group --offsets
  t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --delete-offsets --group cli-share-group --topic cli-share
  SORTED=1 t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --list
  t kafka-share-groups --bootstrap-server "$B" "${A[@]}" --delete --group cli-share-group
}

scenario topics-create-list-describe-alter topics
scenario console-produce-consume-keys-headers console_assign
scenario console-consume-from-beginning-group console_from_beginning
scenario console-producer-idempotent-default console_idempotent_default
scenario consumer-groups-describe-lag-reset consumer_groups
scenario consumer-protocol-groups-describe consumer_protocol_groups
scenario share-groups-describe-reset-delete share_groups
scenario streams-groups-describe streams_groups
scenario consumer-offsets-formatter offsets_formatter
scenario configs-alter-describe configs
scenario configs-brokers-dynamic configs_brokers
scenario configs-broker-loggers configs_broker_loggers
scenario configs-groups configs_groups
scenario configs-client-metrics configs_client_metrics
scenario get-offsets get_offsets
scenario delete-records delete_records
scenario transactions-list-describe transactions
scenario transactions-eos-abort transactions_eos_abort
scenario dump-log-segments dump_log
scenario dump-log-index-files dump_index
scenario leader-election leader_election
scenario reassign-partitions reassign_partitions
scenario log-dirs-describe log_dirs
scenario metadata-quorum-describe metadata_quorum
scenario features-describe-upgrade features
scenario configs-client-quotas quotas
scenario configs-user-quotas-describe user_quotas
scenario client-metrics-alter-describe-list client_metrics

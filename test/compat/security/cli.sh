#!/usr/bin/env bash
# Kafka's CLI tools (the Java client of the release kafka/kafka.sh pins) against the security
# profile: cli.sh <bootstrap> <target>, client "kafka-cli". Client settings use PEM stores
# (ssl.truststore.type=PEM, ssl.keystore.type=PEM), as the brokers do.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
KAFKA_SH="$HERE/../kafka/kafka.sh"
B="$1"; TARGET="$2"; CLIENT=kafka-cli
CERTS="$COMPAT_CERTS"
listener() { tr ',' '\n' <<<"$COMPAT_LISTENERS" | sed -n "s/^$1=//p"; }
SSL_B="$(listener SSL)"; MTLS_B="$(listener MTLS)"; SASL_SSL_B="$(listener SASL_SSL)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/skiff-compat-seccli.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
TOOL_TIMEOUT="${COMPAT_TOOL_TIMEOUT:-45}"
OUT="$WORK/out"; ERRS="$WORK/errors"

echo "{\"client\":\"$CLIENT\",\"versions\":{\"kafka CLI tools\":\"$("$KAFKA_SH" env | sed -n 's/^KAFKA_VERSION=//p')\"}}"

# props FILE MECHANISM USER PASSWORD [PROTOCOL]: a SASL client config.
props() {
  local module=scram.ScramLoginModule
  [[ "$2" == PLAIN ]] && module=plain.PlainLoginModule
  cat > "$WORK/$1" <<P
security.protocol=${5:-SASL_PLAINTEXT}
sasl.mechanism=$2
sasl.jaas.config=org.apache.kafka.common.security.$module required username="$3" password="$4";
ssl.truststore.type=PEM
ssl.truststore.location=$CERTS/ca.pem
request.timeout.ms=8000
default.api.timeout.ms=15000
P
}
props admin.properties PLAIN admin admin-secret
props alice-plain.properties PLAIN alice alice-secret
props alice-ssl.properties SCRAM-SHA-512 alice alice-secret SASL_SSL
props wrong.properties SCRAM-SHA-256 alice not-her-password
cat > "$WORK/mtls.properties" <<P
security.protocol=SSL
ssl.truststore.type=PEM
ssl.truststore.location=$CERTS/ca.pem
ssl.keystore.type=PEM
ssl.keystore.location=$CERTS/client.pem
P

normalize() {
  sed -E \
    -e 's/(TopicId:[[:space:]]*)[A-Za-z0-9_-]{22}/\1<topic-id>/g' \
    -e "s#${B}|${SSL_B}|${MTLS_B}|${SASL_SSL_B}#<bootstrap>#g" \
    -e "s#${WORK}#<work>#g" \
    -e 's/[[:space:]]+$//'
}

# run_tool TOOL ARGS...: stdout (normalized) and the exit status go to the scenario's output;
# the exception classes and messages on stderr too, since several scenarios are about errors.
run_tool() {
  echo "\$ $*" | normalize >> "$OUT"
  timeout "$TOOL_TIMEOUT" "$KAFKA_SH" tool "$@" > "$WORK/stdout" 2> "$WORK/stderr" < "${STDIN_FILE:-/dev/null}"
  local rc=$?
  # ACLS=1: Kafka lists resources and their entries from hash maps (DescribeAcls groups them in
  # a HashMap), in no defined order: each entry becomes one "resource | entry" line, sorted.
  if [[ -n "${ACLS:-}" ]]; then
    normalize < "$WORK/stdout" | awk '/^[^[:space:]]/ { head = $0; print; next } NF { sub(/^[[:space:]]+/, ""); print head " | " $0 }' | LC_ALL=C sort >> "$OUT"
  else
    normalize < "$WORK/stdout" >> "$OUT"
  fi
  grep -oE '[A-Za-z.]+(Exception|Error): [^(]*' "$WORK/stderr" | sed -E 's/^.*\.([A-Za-z]+(Exception|Error))/\1/; s/[[:space:]]+$//' | sort -u | normalize >> "$OUT"
  echo "exit=$([[ $rc == 0 ]] && echo 0 || echo nonzero)" >> "$OUT"
  [[ $rc == 124 ]] && echo "$1 timed out after ${TOOL_TIMEOUT}s" >> "$ERRS"
  return 0
}

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
    console.log(JSON.stringify(e ? { client, scenario: name, ok: false, error: e.slice(0, 800) } : { client, scenario: name, ok: true, result: { lines } }));
  ' "$CLIENT" "$name" "$OUT" "$ERRS"
  echo "[$CLIENT@$TARGET] $name $((SECONDS - t0)) s" >&2
}

# produce_consume SCENARIO-TOPIC BOOTSTRAP CONFIG: three keyed records in, the same three out.
produce_consume() {
  printf 'k1:v1\nk2:v2\nk3:v3\n' > "$WORK/in"
  STDIN_FILE="$WORK/in" run_tool kafka-console-producer --bootstrap-server "$2" --command-config "$WORK/$3" --topic "$1" \
    --reader-property parse.key=true --reader-property key.separator=:
  run_tool kafka-console-consumer --bootstrap-server "$2" --command-config "$WORK/$3" --group "$1" \
    --topic "$1" --from-beginning --max-messages 3 --timeout-ms 20000 \
    --formatter-property print.key=true
}

acls() {
  ACLS=1 run_tool kafka-acls --bootstrap-server "$B" --command-config "$WORK/admin.properties" --add --allow-principal User:bob \
    --operation Read --operation Describe --topic sec-cli-acls --group sec-cli-acls
  ACLS=1 run_tool kafka-acls --bootstrap-server "$B" --command-config "$WORK/admin.properties" --list --topic sec-cli-acls
  ACLS=1 run_tool kafka-acls --bootstrap-server "$B" --command-config "$WORK/admin.properties" --list --principal User:bob
}
scram_user() {
  run_tool kafka-configs --bootstrap-server "$B" --command-config "$WORK/admin.properties" --alter \
    --add-config 'SCRAM-SHA-256=[iterations=8192,password=carol-secret]' --entity-type users --entity-name carol
  run_tool kafka-configs --bootstrap-server "$B" --command-config "$WORK/admin.properties" --describe --entity-type users --entity-name carol
  props carol.properties SCRAM-SHA-256 carol carol-secret
  run_tool kafka-topics --bootstrap-server "$B" --command-config "$WORK/carol.properties" --describe --topic sec-denied
}
sasl_ssl() { produce_consume sec-cli-sasl-ssl "$SASL_SSL_B" alice-ssl.properties; }
mtls() { produce_consume sec-cli-mtls "$MTLS_B" mtls.properties; }
denied() {
  printf 'k1:v1\n' > "$WORK/in"
  STDIN_FILE="$WORK/in" run_tool kafka-console-producer --bootstrap-server "$B" --command-config "$WORK/alice-plain.properties" \
    --topic sec-denied --reader-property parse.key=true --reader-property key.separator=: --command-property max.block.ms=10000
}
wrong_password() { run_tool kafka-topics --bootstrap-server "$B" --command-config "$WORK/wrong.properties" --list; }

scenario sec-cli-acls acls
scenario sec-cli-scram-user scram_user
scenario sec-cli-sasl-ssl sasl_ssl
scenario sec-cli-mtls mtls
scenario sec-cli-denied-produce denied
scenario sec-cli-wrong-password wrong_password

#!/usr/bin/env bash
# kcat (Debian's package, with its own librdkafka) against the security profile: kcat.sh
# <bootstrap> <target>, client "kcat". Each result holds kcat's output and, when it failed, the
# broker's words from kcat's error (a failure is a result here when Kafka fails the same way).
set -uo pipefail
B="$1"; TARGET="$2"; CLIENT=kcat
CERTS="$COMPAT_CERTS"
listener() { tr ',' '\n' <<<"$COMPAT_LISTENERS" | sed -n "s/^$1=//p"; }
SCENARIOS=(sec-kcat-plain sec-kcat-scram-sha-512 sec-kcat-ssl sec-kcat-mtls sec-kcat-sasl-ssl-plain)
if ! command -v kcat >/dev/null; then
  for n in "${SCENARIOS[@]}"; do
    echo "{\"client\":\"$CLIENT\",\"scenario\":\"$n\",\"ok\":false,\"error\":\"kcat is not installed (Debian: apt-get install kcat)\"}"
  done
  exit 0
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/skiff-compat-seckcat.XXXXXX")"; trap 'rm -rf "$WORK"' EXIT
echo "{\"client\":\"$CLIENT\",\"versions\":{\"kcat\":\"$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/\1 (librdkafka \2)/p' | head -1)\"}}"

emit() { # name
  node -e '
    const fs = require("fs");
    const [client, name, out] = process.argv.slice(1);
    const lines = fs.readFileSync(out, "utf8").split("\n").filter(Boolean);
    console.log(JSON.stringify({ client, scenario: name, ok: true, result: { lines } }));
  ' "$CLIENT" "$1" "$WORK/out"
}
# k BOOTSTRAP ARGS...: run kcat; its output, its exit status and the broker's words in its SASL errors.
k() {
  local b="$1"; shift
  timeout 30 kcat -b "$b" "$@" >> "$WORK/out" 2> "$WORK/stderr" < "${STDIN_FILE:-/dev/null}"
  echo "exit=$?" >> "$WORK/out"
  grep -oE 'SASL authentication error: [^(]*' "$WORK/stderr" | sed -E 's/[[:space:]]+$//' | sort -u >> "$WORK/out"
}
scenario() {
  local name="$1"; shift
  if [[ -n "${COMPAT_ONLY:-}" && ",$COMPAT_ONLY," != *",$name,"* ]]; then return; fi
  : > "$WORK/out"
  "$@"; emit "$name"
}
# produce_consume TOPIC BOOTSTRAP SETTINGS...: three keyed records in, then read back from the start.
produce_consume() {
  local topic="$1" b="$2"; shift 2
  printf 'k1:v1\nk2:v2\nk3:v3\n' > "$WORK/in"
  STDIN_FILE="$WORK/in" k "$b" "$@" -P -t "$topic" -K: -p 0
  k "$b" "$@" -C -t "$topic" -p 0 -o beginning -c 3 -e -f '%k=%s@%o\n'
}
sasl() { echo -X security.protocol="$1" -X sasl.mechanism="$2" -X sasl.username=alice -X sasl.password=alice-secret; }
TLS=(-X ssl.ca.location="$CERTS/ca.pem")

# shellcheck disable=SC2046
scenario sec-kcat-plain produce_consume sec-kcat-plain "$B" $(sasl SASL_PLAINTEXT PLAIN)
# librdkafka before 2.6.1 repeats the client nonce in its final SCRAM message; Kafka 4 checks
# the nonce as RFC 5802 says and refuses it, so with Debian's kcat this is a failure on both.
# shellcheck disable=SC2046
scenario sec-kcat-scram-sha-512 produce_consume sec-kcat-scram "$B" $(sasl SASL_PLAINTEXT SCRAM-SHA-512)
scenario sec-kcat-ssl produce_consume sec-kcat-ssl "$(listener SSL)" -X security.protocol=SSL "${TLS[@]}"
scenario sec-kcat-mtls produce_consume sec-kcat-mtls "$(listener MTLS)" -X security.protocol=SSL "${TLS[@]}" \
  -X ssl.certificate.location="$CERTS/client-cert.pem" -X ssl.key.location="$CERTS/client.key"
# shellcheck disable=SC2046
scenario sec-kcat-sasl-ssl-plain produce_consume sec-kcat-sasl-ssl "$(listener SASL_SSL)" $(sasl SASL_SSL PLAIN) "${TLS[@]}"

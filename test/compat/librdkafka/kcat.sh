#!/usr/bin/env bash
# kcat (Debian package) against a broker: kcat.sh <bootstrap> <target>. Client "kcat".
set -uo pipefail
B="$1"; TARGET="$2"; CLIENT=kcat
if ! command -v kcat >/dev/null; then
  # Say so in every scenario rather than vanish from the matrix.
  for n in kcat-produce-consume-keys-headers kcat-metadata-json kcat-query-offsets; do
    echo "{\"client\":\"$CLIENT\",\"scenario\":\"$n\",\"ok\":false,\"error\":\"kcat is not installed (Debian: apt-get install kcat)\"}"
  done
  exit 0
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/skiff-compat-kcat.XXXXXX")"; trap 'rm -rf "$WORK"' EXIT
echo "{\"client\":\"$CLIENT\",\"versions\":{\"kcat\":\"$(kcat -V 2>&1 | sed -n 's/.*kcat - .* version \([^ ]*\).*/\1/p;s/^Version \([^ ]*\).*/\1/p' | head -1)\"}}"

emit() { # name ok-file out-file
  node -e '
    const fs = require("fs");
    const [client, name, out, errs] = process.argv.slice(1);
    const lines = fs.readFileSync(out, "utf8").split("\n").filter(Boolean);
    const e = fs.readFileSync(errs, "utf8").trim();
    console.log(JSON.stringify(e ? { client, scenario: name, ok: false, error: e.slice(0, 600), result: { lines } } : { client, scenario: name, ok: true, result: { lines } }));
  ' "$CLIENT" "$1" "$WORK/out" "$WORK/errs"
}
k() { # run kcat, stdout to out, failure noted
  echo "\$ kcat ${*//$B/<bootstrap>}" >> "$WORK/out"
  timeout 30 kcat -b "$B" "$@" >> "$WORK/out" 2> "$WORK/stderr" < "${STDIN_FILE:-/dev/null}"
  local rc=$?
  [[ $rc == 0 ]] || echo "kcat $1 $2 exit $rc: $(grep -iv '^%7' "$WORK/stderr" | head -3 | tr '\n' ' ')" >> "$WORK/errs"
}
scenario() {
  local name="$1"; shift
  if [[ -n "${COMPAT_ONLY:-}" && ",$COMPAT_ONLY," != *",$name,"* ]]; then return; fi
  : > "$WORK/out"; : > "$WORK/errs"
  "$@"; emit "$name"
}

produce_consume() {
  printf 'k1:v1\nk2:v2\nk3:\n' > "$WORK/in"
  STDIN_FILE="$WORK/in" k -P -t kcat-keys -K: -H h1=a -H h2=b -z snappy -p 0
  STDIN_FILE="$WORK/in" k -P -t kcat-keys -K: -Z -p 0
  k -C -t kcat-keys -p 0 -o 0 -e -q -f 'p=%p o=%o k=%k v=%s h=%h klen=%K vlen=%S\n'
}
metadata() {
  printf 'a\nb\n' > "$WORK/in"
  STDIN_FILE="$WORK/in" k -P -t kcat-metadata -p 0
  k -L -t kcat-metadata -J
  # Broker-chosen values out.
  sed -i -E 's/"originating_broker":\{[^}]*\}/"originating_broker":"<broker>"/; s/"(port)":[0-9]+/"\1":"<port>"/g; s/"name":"127\.0\.0\.1:[0-9]+(\/[0-9]+)?"/"name":"<broker>"/g' "$WORK/out"
}
query_offsets() {
  printf 'x\ny\nz\n' > "$WORK/in"
  STDIN_FILE="$WORK/in" k -P -t kcat-query -p 0
  k -Q -t kcat-query:0:-1 -t kcat-query:0:-2
}

scenario kcat-produce-consume-keys-headers produce_consume
scenario kcat-metadata-json metadata
scenario kcat-query-offsets query_offsets

#!/usr/bin/env bash
# Test key material for the security profile: certs.sh <dir>. Writes, once per dir:
#   ca.pem / ca.key          a throwaway CA
#   broker.pem               the brokers' PKCS#8 key + certificate (CN=localhost, SAN localhost and 127.0.0.1),
#                            usable as ssl.keystore.type=PEM by Kafka and Skiff alike
#   client.pem / client.key  a client certificate for mTLS (CN=client,OU=compat,O=skiff)
#   client-cert.pem          the client certificate alone
# Keys are unencrypted: they live in a temp dir for one run.
set -euo pipefail
DIR="$1"
mkdir -p "$DIR"
cd "$DIR"
[[ -f .complete ]] && exit 0
q() { openssl "$@" >/dev/null 2>&1 || { echo "certs.sh: openssl $1 failed" >&2; openssl "$@" >&2; exit 1; }; }
q req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=skiff-compat-ca" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
sign() { # name subject ext
  q req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
  printf '%s\n' "$3" > "$1.ext"
  q x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1-cert.pem" -days 2 -extfile "$1.ext"
  rm -f "$1.csr" "$1.ext"
}
sign broker "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
sign client "/O=skiff/OU=compat/CN=client" "extendedKeyUsage=clientAuth"
# PKCS#8 ("BEGIN PRIVATE KEY"): the form Kafka's PEM keystore reads.
openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.p8
cat broker.p8 broker-cert.pem > broker.pem
rm -f broker.p8
cat client.key client-cert.pem > client.pem
touch .complete

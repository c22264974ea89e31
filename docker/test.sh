#!/usr/bin/env bash
# make docker-test: the image from docker/Dockerfile, docker/compose.yaml, the testcontainers
# module (skiff/testcontainers) and the Java example, built and exercised for real.
#
# Uses Docker where an engine answers, else Podman; as root on a machine with apt-get (a fresh CI
# machine) it installs Podman, and kcat, when missing. Skips with one line only where no
# container runtime exists. Clients reach containers only through ports mapped on 127.0.0.1;
# every container runs with --rm and everything this run created is removed on exit (the
# images stay, as a build cache).
#
# Environment (all optional): SKIFF_IMAGE (tag to build, default skiff:docker-test), NODE_IMAGE
# (the Dockerfile's base; under Podman as root a local base is built by docker/node-base.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${SKIFF_IMAGE:-skiff:docker-test}
CACHE=$PWD/.cache/container
RUN_ID=skiff-docker-test-$$
TMP=$(mktemp -d)
mkdir -p "$CACHE"

say() { printf 'docker-test: %s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }
now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# Runs a command with its output in a log, shown only when it fails.
quiet() {
  local log=$TMP/quiet.log
  "$@" >"$log" 2>&1 || { tail -40 "$log"; return 1; }
}
as_root_with_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_install() {
  say "installing $* (apt-get)"
  [ -n "${APT_UPDATED:-}" ] || { quiet apt-get update -q && APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive quiet apt-get install -y -q "$@"
}

# --- the container runtime -------------------------------------------------------------------
RT=
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  RT=docker
elif command -v podman >/dev/null 2>&1; then
  RT=podman
elif as_root_with_apt; then
  apt_install podman runc debootstrap
  RT=podman
fi
if [ -z "$RT" ]; then
  say "skipped: no container runtime (no Docker engine answers, no Podman, and not root with apt-get to install Podman)"
  exit 0
fi
if ! command -v kcat >/dev/null 2>&1; then
  as_root_with_apt || fail "kcat is needed (Debian package kcat)"
  apt_install kcat
fi
# Podman's default runtime (crun) refuses hybrid cgroups, and its default open-file limit can
# exceed the machine's hard limit: the settings docker/README.md describes, where none exist.
if [ "$RT" = podman ] && [ ! -e /etc/containers/containers.conf ] && [ "$(id -u)" = 0 ]; then
  command -v runc >/dev/null 2>&1 || apt_install runc
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n' \
    >/etc/containers/containers.conf
  say "wrote /etc/containers/containers.conf (runc, ulimits)"
fi

# --- cleanup: everything this run starts is named after RUN_ID ---------------------------------
SERVICE_PID=
COMPOSE=()
cleanup() {
  set +e
  local ids
  ids="$($RT ps -aq --filter "name=$RUN_ID" 2>/dev/null) $($RT ps -aq --filter "label=skiff.docker-test=$RUN_ID" 2>/dev/null)"
  for id in $ids; do $RT rm -f "$id" >/dev/null 2>&1; done
  if [ ${#COMPOSE[@]} -gt 0 ]; then
    "${COMPOSE[@]}" -p "$RUN_ID" -f docker/compose.yaml down -v >/dev/null 2>&1
  fi
  $RT volume rm -f "$RUN_ID" >/dev/null 2>&1
  # podman-compose 1.0 leaves its project network behind after down.
  [ "$RT" != podman ] || podman network rm -f "${RUN_ID}_default" >/dev/null 2>&1
  [ -z "$SERVICE_PID" ] || kill "$SERVICE_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ------------------------------------------------------------------------------------
build_args=()
if [ "$RT" = podman ]; then
  # Docker's HEALTHCHECK survives only in the docker image format; --network host lets RUN
  # steps reach the package mirrors, with the machine's CA bundle and Node's headers in place.
  build_args+=(--format docker --network host)
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    build_args+=(-v /etc/ssl/certs:/etc/ssl/certs:ro
      --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
      --build-arg npm_config_cafile=/etc/ssl/certs/ca-certificates.crt)
  fi
  build_args+=(--build-arg npm_config_nodedir=/usr/local)
  if [ -z "${NODE_IMAGE:-}" ] && [ "$(id -u)" = 0 ]; then
    NODE_IMAGE=localhost/skiff-node-base:20
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    t0=$(now_ns)
    docker/node-base.sh "$NODE_IMAGE"
    say "base image $NODE_IMAGE ready in $(ms_since "$t0") ms"
  fi
fi
[ -z "${NODE_IMAGE:-}" ] || build_args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
t0=$(now_ns)
$RT build "${build_args[@]}" -f docker/Dockerfile -t "$IMAGE" . >"$CACHE/build.log" 2>&1 \
  || { tail -40 "$CACHE/build.log"; fail "image build (log: .cache/container/build.log)"; }
size=$($RT image inspect --format '{{.Size}}' "$IMAGE")
say "built $IMAGE with $RT in $(ms_since "$t0") ms; image size $((size / 1000000)) MB"

# --- the image: run, produce and consume, health check, restart on the same volume -------------
run_skiff() { # name port [http port: the console, /metrics and /ready, which the health check then uses]
  $RT run -d --rm --name "$1" -p "127.0.0.1:$2:9092" ${3:+-p "127.0.0.1:$3:8080"} -v "$RUN_ID:/data" "$IMAGE" \
    start --host 0.0.0.0 --port 9092 --data-dir /data ${3:+--http-port 8080 --override skiff.http.host=0.0.0.0} \
    --override "advertised.listeners=PLAINTEXT://127.0.0.1:$2" >/dev/null 2>"$TMP/run.err" \
    || { cat "$TMP/run.err"; fail "$RT run"; }
}
kcat_produce() { # port topic lines...
  local port=$1 topic=$2
  shift 2
  printf '%s\n' "$@" | kcat -P -b "127.0.0.1:$port" -t "$topic" -X message.timeout.ms=2000 2>/dev/null
}
kcat_consume() { # port topic: every message from the beginning
  timeout 30 kcat -C -b "127.0.0.1:$1" -t "$2" -o beginning -e -q 2>/dev/null
}
wait_healthy() { # container
  local deadline=$((SECONDS + 60))
  while :; do
    if [ "$RT" = podman ]; then
      # No systemd here to run the checks on a timer: run the image's check the way it would.
      podman healthcheck run "$1" >/dev/null 2>&1 && return 0
    else
      [ "$(docker inspect --format '{{.State.Health.Status}}' "$1")" = healthy ] && return 0
    fi
    [ $SECONDS -lt $deadline ] || fail "$1 never became healthy"
    sleep 0.5
  done
}
# Retries a produce until the broker accepts it; prints the milliseconds since $1.
first_produce() { # t0 port topic message
  local deadline=$((SECONDS + 60))
  until kcat_produce "$2" "$3" "$4"; do
    [ $SECONDS -lt $deadline ] || fail "no produce succeeded within 60 s on 127.0.0.1:$2"
    sleep 0.1
  done
  ms_since "$1"
}

port=$(free_port)
http_port=$(free_port)
t0=$(now_ns)
run_skiff "$RUN_ID-a" "$port" "$http_port"
start_ms=$(first_produce "$t0" "$port" image-check m0)
say "container started in $start_ms ms ($RT run to first successful produce, kcat via 127.0.0.1:$port)"
kcat_produce "$port" image-check m1 m2 m3 || fail "kcat produce"
got=$(kcat_consume "$port" image-check | tr '\n' ' ' || true)
[ "$got" = "m0 m1 m2 m3 " ] || fail "kcat consumed '$got', expected 'm0 m1 m2 m3 '"
say "kcat: produced and consumed 4 messages"
timeout 60 node docker/kafkajs-roundtrip.mjs "127.0.0.1:$port" image-check-kafkajs 5 | sed 's/^/docker-test: /' || fail "kafkajs"
wait_healthy "$RUN_ID-a"
say "health check: healthy"
# The image carries the prebuilt addon: fetch must send segment bytes with sendfile(2) there too.
logs=$($RT logs "$RUN_ID-a" 2>&1) || fail "$RT logs"
grep -q '"sendfile":true' <<<"$logs" || fail "the broker in the image does not use the sendfile addon"
say "fetch path: sendfile addon loaded"
curl -fsS "http://127.0.0.1:$http_port/ready" >/dev/null || fail "/ready through 127.0.0.1:$http_port"
metrics=$(curl -fsS "http://127.0.0.1:$http_port/metrics") || fail "/metrics through 127.0.0.1:$http_port"
grep -q '^kafka_server_brokertopicmetrics_messagesin_total{topic="image-check"} 4$' <<<"$metrics" \
  || fail "/metrics through 127.0.0.1:$http_port does not count the 4 messages produced"
say "http: /ready and /metrics answer through 127.0.0.1:$http_port (the health check used /ready)"
$RT stop -t 10 "$RUN_ID-a" >/dev/null 2>&1
port=$(free_port)
run_skiff "$RUN_ID-b" "$port"
first_produce "$(now_ns)" "$port" image-check m4 >/dev/null
got=$(kcat_consume "$port" image-check | tr '\n' ' ' || true)
[ "$got" = "m0 m1 m2 m3 m4 " ] || fail "after a restart on the same volume kcat consumed '$got'"
say "restart on the same volume: the 4 earlier messages are still there"
$RT stop -t 10 "$RUN_ID-b" >/dev/null 2>&1
$RT volume rm -f "$RUN_ID" >/dev/null

# --- compose ----------------------------------------------------------------------------------
if [ "$RT" = docker ] && docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif [ "$RT" = podman ]; then
  command -v podman-compose >/dev/null 2>&1 || { as_root_with_apt && apt_install podman-compose; } || true
  command -v podman-compose >/dev/null 2>&1 && COMPOSE=(podman-compose)
fi
if [ ${#COMPOSE[@]} -eq 0 ]; then
  fail "no compose tool (docker compose, or podman-compose from Debian or PyPI)"
fi
port=$(free_port)
export SKIFF_IMAGE=$IMAGE SKIFF_PORT=$port SKIFF_ADVERTISED=127.0.0.1:$port
quiet "${COMPOSE[@]}" -p "$RUN_ID" -f docker/compose.yaml up -d skiff || fail "${COMPOSE[*]} up"
first_produce "$(now_ns)" "$port" compose-check c0 >/dev/null
got=$(kcat_consume "$port" compose-check | tr '\n' ' ' || true)
[ "$got" = "c0 " ] || fail "compose: kcat consumed '$got'"
cid=$($RT ps -q --filter "label=com.docker.compose.project=$RUN_ID" | head -1)
[ -n "$cid" ] || fail "compose: no container labelled with project $RUN_ID"
wait_healthy "$cid"
quiet "${COMPOSE[@]}" -p "$RUN_ID" -f docker/compose.yaml down -v || fail "${COMPOSE[*]} down"
say "compose (${COMPOSE[*]}): skiff service up, produced and consumed with kcat, healthy, down"
COMPOSE=()

# --- testcontainers (Node and Java) through the runtime's API socket ---------------------------
if [ "$RT" = podman ]; then
  podman system service --time=0 "unix://$TMP/podman.sock" >"$TMP/service.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 100); do [ -S "$TMP/podman.sock" ] && break; sleep 0.1; done
  [ -S "$TMP/podman.sock" ] || { cat "$TMP/service.log"; fail "podman system service did not start"; }
  # Ryuk's image cannot be pulled here (cleanup is ours); the host override keeps every
  # connection on 127.0.0.1.
  export DOCKER_HOST=unix://$TMP/podman.sock TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
fi
export SKIFF_DOCKER_TEST_LABEL=$RUN_ID
timeout 180 node docker/testcontainers-check.mjs "$IMAGE" | sed 's/^/docker-test: /' || fail "testcontainers (Node)"
# A main() run by exec:java, not a JUnit test: no Surefire summary in the output.
if command -v mvn >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then
  timeout 600 mvn -q -B -Dstyle.color=never -f docker/java-example/pom.xml compile exec:java "-Dexec.args=$IMAGE" >"$TMP/java.log" 2>&1 \
    || { tail -40 "$TMP/java.log"; fail "testcontainers (Java example)"; }
  grep -o 'java-example:.*' "$TMP/java.log" | sed 's/^/docker-test: /'
else
  say "Java example not run: no mvn and java on this machine"
fi
say "done"

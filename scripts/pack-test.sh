#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack` (prepack builds), then install the tarball into
# an empty project where every compiler and build tool on PATH is a stub that records being
# called, and run kafkajs against startBroker() and against `npx skiff start`. Prints the
# package size and the install time in plain lines; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/skiff-pack-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

tgz=$(npm pack --pack-destination "$work" 2>/dev/null | tail -n 1)
[ -f "$work/$tgz" ] || { echo "pack-test: npm pack produced no tarball"; exit 1; }
packed=$(stat -c %s "$work/$tgz")
read -r files unpacked < <(tar -tzvf "$work/$tgz" | awk '{ n++; s += $3 } END { print n, s }')
echo "pack-test: $tgz is $((packed / 1024)) kB packed, $((unpacked / 1024)) kB unpacked, $files files"
addons=$(tar -tzf "$work/$tgz" | sed -n 's|^package/native/sendfile/prebuilds/\([^/]*\)/.*|\1|p' | sort -u | xargs)
echo "pack-test: sendfile addon prebuilt for: ${addons:-none}"
if tar -tzf "$work/$tgz" | grep -E '\.map$|^package/(src|schemas|test)/' >/dev/null; then
  echo "pack-test: the package holds files that do not run (source maps, sources, schemas):"
  tar -tzf "$work/$tgz" | grep -E '\.map$|^package/(src|schemas|test)/' | head -5
  exit 1
fi

# Stubs ahead of the real tools: a dependency that compiles at install time fails and is named.
stubs=$work/no-compiler
mkdir -p "$stubs"
for tool in gcc cc c++ g++ clang clang++ make cmake python python3 node-gyp; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/compiler-calls.log"\nexit 1\n' "$tool" "$work" > "$stubs/$tool"
  chmod +x "$stubs/$tool"
done

app=$work/app
mkdir -p "$app"
cd "$app"
echo '{ "name": "skiff-pack-test", "version": "1.0.0", "private": true, "type": "module" }' > package.json
# kafkajs is the client of the checks below; the same version as the project's.
kafkajs=$(node -p "require('$root/node_modules/kafkajs/package.json').version")
start=$(date +%s%N)
if ! PATH="$stubs:$PATH" npm install --no-fund --no-audit --loglevel=error "$work/$tgz" "kafkajs@$kafkajs" > "$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "pack-test: npm install of the package failed"
  exit 1
fi
ms=$((($(date +%s%N) - start) / 1000000))
if [ -s "$work/compiler-calls.log" ]; then
  echo "pack-test: installing called a compiler:"
  cat "$work/compiler-calls.log"
  exit 1
fi
echo "pack-test: npm install (package and kafkajs) took $((ms / 1000)).$((ms % 1000 / 100)) s, no compiler called"

cp "$root/scripts/pack-smoke.mjs" "$app/smoke.mjs"
PATH="$stubs:$PATH" node smoke.mjs

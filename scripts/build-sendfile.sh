#!/usr/bin/env bash
# Builds native/sendfile (N-API, so one binary per platform serves Node 20 to 24) into
# native/sendfile/prebuilds/<platform>-<arch>/, where src/server/file-sender.ts looks for it.
# linux-x64 with gcc; linux-arm64 with Debian's cross compiler (gcc-aarch64-linux-gnu) when it
# is installed. The package ships these, so installing it never compiles anything. Without a
# compiler nothing is built and the broker reads segment files into buffers instead.
set -uo pipefail
cd "$(dirname "$0")/../native/sendfile"

# Node's own headers (node_api.h, uv.h): beside the running node, else from the Node that
# `make test-node24` unpacks into .cache.
node_bin=$(dirname "$(readlink -f "$(command -v node)")")
include=""
for dir in "$node_bin/../include/node" /usr/include/node /usr/local/include/node ../../.cache/node24/package/include/node; do
  if [ -f "$dir/node_api.h" ] && [ -f "$dir/uv.h" ]; then include=$dir; break; fi
done
if [ -z "$include" ]; then
  echo "sendfile addon not built: no Node headers (node_api.h, uv.h) found"
  exit 0
fi

build() { # target compiler
  local out="prebuilds/$1/skiff_sendfile.node"
  if ! command -v "$2" >/dev/null 2>&1; then
    echo "sendfile addon for $1 not built: no $2"
    return 0
  fi
  mkdir -p "prebuilds/$1"
  # Node's symbols resolve when the addon is loaded into the process.
  if "$2" -shared -fPIC -O2 -Wall -s -I"$include" -o "$out" sendfile.c 2>"build-$1.log"; then
    echo "built native/sendfile/$out"
  else
    echo "sendfile addon for $1 not built (see native/sendfile/build-$1.log)"
    rm -f "$out"
  fi
}

if [ "$(uname -s)" != Linux ]; then
  echo "sendfile addon not built: Linux only"
  exit 0
fi
case "$(uname -m)" in
  x86_64) build linux-x64 "${CC:-gcc}"; build linux-arm64 aarch64-linux-gnu-gcc ;;
  aarch64) build linux-arm64 "${CC:-gcc}"; build linux-x64 x86_64-linux-gnu-gcc ;;
  *) echo "sendfile addon not built: no target for $(uname -m)" ;;
esac

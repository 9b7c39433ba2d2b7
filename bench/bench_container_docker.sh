#!/usr/bin/env bash
# Container mode with docker, against a private docker daemon
# (tests/fixtures/dockerd.sh, root only) and a private registry on 127.0.0.1:
#  1. `engine-provisioner ensure` of a pulled image (the command, as a
#     process), counting docker calls through a counting `docker` first in
#     PATH, vs `docker pull` of the same present image and vs the one
#     `docker image inspect` the no-op makes;
#  2. where docker can run containers: `up` of a container pool (ensure,
#     run, health, handoff) vs a bare `docker run -d` of the same image plus
#     the same health wait, and `down` vs `docker stop` + `docker rm`.
# Usage: bench/bench_container_docker.sh [BUILD_DIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/fixtures/dockerd.sh"
dockerd_enter "$0" "$@"
build=$(cd "${1:-$here/../build}" && pwd)
n=${2:-20}
bin=$build/engine-provisioner
finish() { :; }
. "$here/../tests/fixtures/registry.sh"
. "$here/container_up_down.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ep-bench-docker.XXXXXX")
cleanup() {
	if [ -n "${DOCKERD_PID:-}" ]; then docker rm -f ep-bench bare-bench >/dev/null 2>&1 || true; fi
	dockerd_stop "$tmp"
	registry_stop "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
registry_env "$tmp"
dockerd_env "$tmp"
registry_start "$tmp"
if ! dockerd_start "$tmp"; then
	echo "skipped: $DOCKERD_WHY"
	exit 0
fi
echo "docker daemon $(docker version --format '{{.Server.Version}}'), client $(docker version --format '{{.Client.Version}}')"
registry_push_image "$tmp" "$REGISTRY/bench/app:v1" "bench" >/dev/null

bench_noop_setup docker "$bin" "$tmp"
digest=$(sed -n 's/^digest //p' "$EP_STATE_DIR"/images/*.rec | head -1)

registry_mark "$tmp"
PATH="$tmp/shim:$PATH" runs "$n" "$bin" ensure --config "$tmp/app.yaml" >"$tmp/cli"
calls=$(wc -l <"$tmp/docker-calls")
asked=$(registry_requests "$tmp")
start=$(runs "$n" "$bin" version)
pull=$(runs "$n" docker pull "$REGISTRY/bench/app:v1")
insp=$(runs "$n" docker image inspect "$REGISTRY/bench/app@$digest")
cli=$(cat "$tmp/cli")
echo "ensure (the command, no-op, docker): median $cli ms, $((calls / n)) docker calls per run ($calls in $n runs), $asked registry requests; process start-up alone (version): $start ms"
echo "docker pull of the present image: median $pull ms (ratio $(awk -v a="$cli" -v b="$pull" 'BEGIN {printf "%.3f", a / b}')); docker image inspect: $insp ms"

# 2. up and down against bare docker
bench_up_down docker "$bin" "$tmp"

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

mkdir -p "$tmp/shim"
cat >"$tmp/shim/docker" <<SHIM
#!/bin/sh
echo "\$*" >>"$tmp/docker-calls"
exec $(command -v docker) "\$@"
SHIM
chmod +x "$tmp/shim/docker"
cat >"$tmp/app.yaml" <<YAML
pools:
  - id: bench
    engine: vllm
    model: Qwen/Qwen2.5-0.5B-Instruct
    devices: []
    provisioning:
      mode: container
      container: {image: $REGISTRY/bench/app, tag: v1, runtime: docker}
YAML
export EP_STATE_DIR=$tmp/cli-state
PATH="$tmp/shim:$PATH" "$bin" ensure --config "$tmp/app.yaml" >/dev/null
digest=$(sed -n 's/^digest //p' "$EP_STATE_DIR"/images/*.rec | head -1)
: >"$tmp/docker-calls"

# median wall ms of N runs of each command (one per argument, split on spaces), timed in-process
medians() {
	python3 - "$n" "$@" <<'PY'
import statistics, subprocess, sys, time
n = int(sys.argv[1])
for line in sys.argv[2:]:
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(line.split(" "), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t.append((time.perf_counter() - t0) * 1000)
    print(f"{statistics.median(t):.1f}")
PY
}
registry_mark "$tmp"
PATH="$tmp/shim:$PATH" medians "$bin ensure --config $tmp/app.yaml" >"$tmp/cli"
calls=$(wc -l <"$tmp/docker-calls")
asked=$(registry_requests "$tmp")
medians "$bin version" "docker pull $REGISTRY/bench/app:v1" \
	"docker image inspect $REGISTRY/bench/app@$digest" >"$tmp/base"
{ read -r start; read -r pull; read -r insp; } <"$tmp/base"
cli=$(cat "$tmp/cli")
echo "ensure (the command, no-op, docker): median $cli ms, $((calls / n)) docker calls per run ($calls in $n runs), $asked registry requests; process start-up alone (version): $start ms"
echo "docker pull of the present image: median $pull ms (ratio $(awk -v a="$cli" -v b="$pull" 'BEGIN {printf "%.3f", a / b}')); docker image inspect: $insp ms"

# 2. up and down against bare docker
bench_up_down docker "$bin" "$tmp"

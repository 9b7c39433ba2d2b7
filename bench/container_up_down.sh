#!/usr/bin/env bash
# Sourced by bench/bench_container.sh and bench/bench_container_docker.sh:
# `up` and `down` of a container pool running the static fixture engine
# against the bare container engine doing the same (run -d plus the same
# health wait; stop + rm). Needs registry.sh's REGISTRY and helpers.
#
#   bench_up_down ENGINE BIN TMP   ENGINE: podman | docker; ROUNDS runs (default 5)

# ms CMD...: wall milliseconds of one run
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

bench_up_down() {
	local e=$1 bin=$2 tmp=$3 src D port rounds t0 t1
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/lib/fake_engine.c
	D=$(registry_push_static "$tmp" "$REGISTRY/bench/engine:1" "$src")
	port=$(registry_free_port)
	cat >"$tmp/up.yaml" <<YAML
pools:
  - id: bench
    engine: llamacpp
    model: tiny
    devices: []
    provisioning:
      mode: container
      container: {image: $REGISTRY/bench/engine, tag: "1", runtime: $e}
      model: {ref: $tmp/tiny.gguf}
      ports: [$port]
      env: {FAKE_LOADING_POLLS: "0"}
YAML
	: >"$tmp/tiny.gguf"
	export EP_RUNTIME_DIR=$tmp/rt
	if ! "$bin" up --config "$tmp/up.yaml" >"$tmp/up.err" 2>&1; then
		echo "up/down: skipped, $e cannot run containers here: $(tail -1 "$tmp/up.err")"
		return 0
	fi
	"$bin" down --pool bench >/dev/null
	rounds=${ROUNDS:-5}
	for _ in $(seq "$rounds"); do
		ms "$bin" up --config "$tmp/up.yaml" >>"$tmp/up"
		ms "$bin" down --pool bench --grace 10 >>"$tmp/down"
		t0=$(date +%s%N)
		"$e" run -d --name bare-bench --pull=never -p "127.0.0.1:$port:8080" \
			-v "$tmp:/models:ro" --env FAKE_LOADING_POLLS=0 "$REGISTRY/bench/engine@$D" \
			--model /models/tiny.gguf --host 0.0.0.0 --port 8080 >/dev/null
		until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.01; done
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000000)) >>"$tmp/bare-up"
		ms sh -c "$e stop -t 10 bare-bench && $e rm bare-bench" >>"$tmp/bare-down"
	done
	echo "up of a container pool ($e): median $(median <"$tmp/up") ms; bare $e run + health wait: $(median <"$tmp/bare-up") ms (n=$rounds)"
	echo "down of a container pool ($e): median $(median <"$tmp/down") ms; bare $e stop + rm: $(median <"$tmp/bare-down") ms"
}

#!/usr/bin/env bash
# Sourced by bench/bench_container.sh and bench/bench_container_docker.sh.
# Needs registry.sh's REGISTRY and helpers.
#
#   bench_noop_setup ENGINE BIN TMP  a pool of $REGISTRY/bench/app:v1 in TMP/app.yaml,
#                                    ensured once; ENGINE calls from then on are
#                                    counted in TMP/ENGINE-calls (a shim first in PATH
#                                    when the command runs as PATH="TMP/shim:$PATH" ...)
#   runs N CMD...                    median wall ms of N runs of CMD, timed in-process
#   bench_up_down ENGINE BIN TMP     `up` and `down` of a container pool running the
#                                    static fixture engine against the bare container
#                                    engine doing the same (run -d plus the same health
#                                    wait; stop + rm); ROUNDS runs (default 5)

# ms CMD...: wall milliseconds of one run
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

runs() {
	python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
t = []
for _ in range(n):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.append((time.perf_counter() - t0) * 1000)
print(f"{statistics.median(t):.1f}")
PY
}

bench_noop_setup() {
	local e=$1 bin=$2 tmp=$3
	mkdir -p "$tmp/shim"
	cat >"$tmp/shim/$e" <<SHIM
#!/bin/sh
echo "\$*" >>"$tmp/$e-calls"
exec $(command -v "$e") "\$@"
SHIM
	chmod +x "$tmp/shim/$e"
	cat >"$tmp/app.yaml" <<YAML
pools:
  - id: bench
    engine: vllm
    model: Qwen/Qwen2.5-0.5B-Instruct
    devices: []
    provisioning:
      mode: container
      container: {image: $REGISTRY/bench/app, tag: v1, runtime: $e}
YAML
	export EP_STATE_DIR=$tmp/cli-state
	PATH="$tmp/shim:$PATH" "$bin" ensure --config "$tmp/app.yaml" >/dev/null
	: >"$tmp/$e-calls"
}

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

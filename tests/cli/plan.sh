#!/usr/bin/env bash
# plan: the step shapes per mode, normalized flags in the details, JSON form,
# determinism (byte-identical across runs and key/flag order), no side effects.
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
set -e
cd "$T_TMP"
cfg=$FIXTURES/plan/modes.yaml

kinds() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(s["kind"] for s in d["steps"]))'; }

run "$EP_BIN" plan --config "$cfg" --pool src-gpu --json
expect_rc 0 "plan --json for a source pool"
expect_in "$(echo "$OUT" | kinds)" "preflight-tools gpu-check git-clone cmake-configure cmake-build install model-fetch run" "source steps in order"
expect_in "$OUT" "-DGGML_CUDA=ON" "deprecated LLAMA_CUBLAS mapped to GGML_CUDA"
expect_not_in "$OUT" "LLAMA_CUBLAS" "LLAMA_CUBLAS gone"
expect_not_in "$OUT" "LLAMA_CURL" "LLAMA_CURL dropped"
expect_in "$OUT" "-DLLAMA_BUILD_SERVER=ON" "server build always on"
expect_in "$OUT" "-DCMAKE_BUILD_TYPE=Release" "release build"
expect_in "$OUT" "--n-gpu-layers" "runtime flag normalized"
expect_not_in "$OUT" "hf_abcdefghijklmnopqrstuvwxyz" "env secret redacted in the plan"
expect_in "$ERR" "LLAMA_CURL" "a warning says LLAMA_CURL was dropped"

run "$EP_BIN" plan --config "$cfg" --pool src-cpu --json
expect_in "$(echo "$OUT" | kinds)" "preflight-tools git-clone cmake-configure cmake-build install model-fetch run" "CPU source pool has no gpu-check"
expect_not_in "$(echo "$OUT" | kinds)" "gpu-check" "CPU pool: no gpu-check step"
expect_in "$OUT" '"--n-gpu-layers","0"' "CPU pool gets --n-gpu-layers 0"
expect_in "$OUT" "-DGGML_CUDA=OFF" "CPU pool builds without CUDA"

run "$EP_BIN" plan --config "$cfg" --pool vllm-c --json
k=$(echo "$OUT" | kinds)
expect_in "$k" "pull-image" "container pool pulls an image"
expect_not_in "$k" "cmake" "container pool has no build steps"
expect_not_in "$k" "git-clone" "container pool has no clone"

run "$EP_BIN" plan --config "$cfg" --pool pkg-denied --json
expect_in "$(echo "$OUT" | kinds)" "policy-violation" "package install without the policy"
expect_not_in "$(echo "$OUT" | kinds)" "package-install" "no package-install step without the policy"
expect_in "$OUT" "allow_package_installs" "the violation names the key"
run "$EP_BIN" plan --config "$cfg" --pool pkg-allowed --json
expect_in "$(echo "$OUT" | kinds)" "package-install" "package install with the policy"

run "$EP_BIN" plan --config "$cfg" --pool bin --json
expect_in "$(echo "$OUT" | kinds)" "gpu-check download verify unpack install model-fetch run" "binary steps"
run "$EP_BIN" plan --config "$cfg" --pool bin-denied --json
expect_in "$(echo "$OUT" | kinds)" "policy-violation" "binary download without the policy"
expect_in "$OUT" "allow_binary_downloads" "the violation names the key"

run "$EP_BIN" plan --config "$cfg" --pool ext --json
k=$(echo "$OUT" | kinds)
expect_in "$k" "verify-external" "external verifies"
expect_not_in "$k" "download" "external has no download"
expect_not_in "$k" "cmake" "external has no build"

# Determinism: two runs byte-equal; the same pool with keys and flags reordered byte-equal.
"$EP_BIN" plan --config "$cfg" --all --json >a.json 2>/dev/null
"$EP_BIN" plan --config "$cfg" --all --json >b.json 2>/dev/null
cmp -s a.json b.json && ok "two runs are byte-identical" || not_ok "two runs differ"
"$EP_BIN" plan --config "$cfg" --pool src-gpu --json >c.json 2>/dev/null
"$EP_BIN" plan --config "$FIXTURES/plan/reordered.yaml" --pool src-gpu --json >d.json 2>/dev/null
cmp -s c.json d.json && ok "key and flag order do not change the plan" || { not_ok "reordered config changes the plan"; diff c.json d.json | head; }
python3 -c 'import json; d=json.load(open("a.json")); assert isinstance(d, list) and len(d) == 8' && ok "--all --json is an array of every pool" || not_ok "--all --json shape"

# Text form and stdin.
run "$EP_BIN" plan --config - --pool src-gpu <"$cfg"
expect_rc 0 "plan reads the config from stdin"
expect_in "$OUT" "1. preflight-tools" "text plan numbers its steps"

# Usage and unknown pools.
run "$EP_BIN" plan --config "$cfg" --pool nope
expect_rc 2 "unknown pool"
expect_in "$ERR" "src-gpu" "unknown pool error lists the pools"
run "$EP_BIN" plan
expect_rc 2 "plan without --config"

# A container pool without a container section runs the engine's own image at its pinned tag.
printf 'pools:\n  - id: v\n    engine: vllm\n    model: Qwen/Qwen2.5-0.5B-Instruct\n    devices: [0]\n    provisioning: {mode: container}\n' >v.yaml
run "$EP_BIN" plan --config v.yaml
expect_rc 0 "a container pool may leave out its container section"
expect_in "$OUT" "pull docker.io/vllm/vllm-openai:v0.8.5; pin by digest" "the engine's default image and pinned tag"
expect_in "$OUT" "--device nvidia.com/gpu=0 -p 127.0.0.1:8000:8000 docker.io/vllm/vllm-openai:v0.8.5 --model Qwen/Qwen2.5-0.5B-Instruct" "the run command takes the model by name"
rm -f v.yaml

# No side effects: nothing written in the working directory or the state directory.
rm -f a.json b.json c.json d.json out err
"$EP_BIN" plan --config "$cfg" --all >/dev/null 2>&1
[ -z "$(ls -A "$T_TMP" | grep -v '^out$\|^err$')" ] && ok "plan writes nothing" || not_ok "plan wrote: $(ls -A "$T_TMP")"
finish

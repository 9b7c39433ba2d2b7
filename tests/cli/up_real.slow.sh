#!/usr/bin/env bash
# End to end with the real llama.cpp server: build llama-server (CPU) from the
# pinned bundle, make a tiny random-weight model, then `up` -> health 200 ->
# a /completion request returns tokens -> `status` shows it -> `down` -> no
# process of its group remains, PID and handoff files gone.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"

cd "$T_TMP"
export EP_RUNTIME_DIR=$T_TMP/rt
BUNDLE=$("$EP_SOURCE_DIR/scripts/llama-bundle.sh")
COMMIT=$("$EP_SOURCE_DIR/scripts/llama-bundle.sh" --commit)
ENGINE_PID=""
cleanup() {
	[ -n "$ENGINE_PID" ] && kill -KILL -- "-$ENGINE_PID" 2>/dev/null || true
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# The server target only, CPU, with ccache (the layout keeps ccache's
# relative paths stable from run to run).
git clone -q "$BUNDLE" llama.cpp
git -C llama.cpp checkout -q "$COMMIT"
cmake -S llama.cpp -B llama.cpp/build -G Ninja -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
	-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON >cmake.log 2>&1 || { tail -30 cmake.log; exit 1; }
cmake --build llama.cpp/build --target llama-server >build.log 2>&1 || { tail -30 build.log; exit 1; }
SERVER=$T_TMP/llama.cpp/build/bin/llama-server
[ -x "$SERVER" ] && ok "llama-server built from the pinned bundle" || not_ok "llama-server built"

PY=python3
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
"$PY" "$EP_SOURCE_DIR/tests/fixtures/make-tiny-model.py" llama.cpp tiny.gguf
[ -s tiny.gguf ] && ok "tiny model made" || not_ok "tiny model made"

PORT=$((20000 + $$ % 20000))
cat >cfg.json <<JSON
{"pools":[{"id":"tiny-cpu","engine":"llamacpp","model":"tiny-random","devices":[],
  "provisioning":{"mode":"external","external":{"path":"$SERVER"},
    "model":{"ref":"$T_TMP/tiny.gguf"},"ports":[$PORT],"startup_timeout_s":300,
    "flags":["--parallel","1","--ctx-size","256"]}}]}
JSON

run "$EP_BIN" up --config cfg.json
expect_rc 0 "up starts the real llama-server"
ENGINE_PID=$(head -1 rt/pids/tiny-cpu.pid 2>/dev/null || true)
URL=$(sed -n 's/^url //p' rt/pids/tiny-cpu.pid 2>/dev/null || true)
expect_in "$OUT" "is up at" "up reports the url"
expect_in "$(cat rt/engines/tiny-cpu.json 2>/dev/null)" "\"engine_version\": \"b" "the handoff file has the engine's build"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")
[ "$CODE" = 200 ] && ok "health answers 200" || not_ok "health answers $CODE"
REPLY=$(curl -s -X POST "$URL/completion" -H 'Content-Type: application/json' \
	-d '{"prompt":"Hello","n_predict":8}')
expect_in "$REPLY" '"tokens_predicted":8' "a completion returns 8 tokens"

run "$EP_BIN" status --json
expect_in "$OUT" '"running":true' "status shows it running"
expect_in "$OUT" '"health":200' "status asks its health now"

run "$EP_BIN" down --pool tiny-cpu
expect_rc 0 "down"
expect_in "$OUT" "SIGTERM" "llama-server stops on SIGTERM"
if ps -e -o pgid=,stat= | awk -v g="$ENGINE_PID" '$1 == g && $2 !~ /^Z/ {f = 1} END {exit !f}'; then
	not_ok "no process of its group remains"
else
	ok "no process of its group remains"
fi
[ ! -e rt/pids/tiny-cpu.pid ] && [ ! -e rt/engines/tiny-cpu.json ] && ok "PID and handoff files gone" ||
	not_ok "PID and handoff files gone"
ENGINE_PID=""
finish

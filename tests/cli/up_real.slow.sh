#!/usr/bin/env bash
# End to end with the real llama.cpp server: `up` of a CPU source pool of the
# pinned bundle (ensure builds llama-server into the store, shared with
# llamacpp_real), a tiny random-weight model, then health 200 ->
# a /completion request returns tokens -> `status` shows it -> `down` -> no
# process of its group remains, PID and handoff files gone.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"

cd "$T_TMP"
export EP_RUNTIME_DIR=$T_TMP/rt
. "$FIXTURES/llama_real.sh"
ENGINE_PID=""
cleanup() {
	[ -n "$ENGINE_PID" ] && kill -KILL -- "-$ENGINE_PID" 2>/dev/null || true
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# The tiny model is written with the pinned source's own gguf-py.
git clone -q "$BUNDLE" llama.cpp 2>/dev/null
git -C llama.cpp checkout -q "$COMMIT"
PY=python3
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
"$PY" "$EP_SOURCE_DIR/tests/fixtures/make-tiny-model.py" llama.cpp tiny.gguf
[ -s tiny.gguf ] && ok "tiny model made" || not_ok "tiny model made"

# up = ensure (the engine is built from the bundle into the store, or reused)
# + spawn + health + handoff.
PORT=$((20000 + $$ % 20000))
llama_pool tiny-cpu "$T_TMP/tiny.gguf" "$PORT" '--parallel, "1", --ctx-size, "256"' >cfg.yaml
run "$EP_BIN" up --config cfg.yaml
expect_rc 0 "up starts the real llama-server"
ENGINE_PID=$(head -1 rt/pids/tiny-cpu.pid 2>/dev/null || true)
URL=$(sed -n 's/^url //p' rt/pids/tiny-cpu.pid 2>/dev/null || true)
expect_in "$OUT" "is up at" "up reports the url"
expect_in "$(cat rt/engines/tiny-cpu.json 2>/dev/null)" "\"engine_version\": \"b1 (${COMMIT:0:7})\"" "the handoff file has the engine's build, as ensure reports it"
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

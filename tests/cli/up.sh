#!/usr/bin/env bash
# up / down / status against a fixture engine (tests/lib/fake_engine.c):
# health with a loading phase, a bad flag, never healthy, TERM ignored, a
# taken port, stale and symlinked PID files, secrets and leaked descriptors.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"

FAKE=$EP_BINARY_DIR/tests/lib/ep_fake_engine
cd "$T_TMP"
RT=$T_TMP/rt
export EP_RUNTIME_DIR=$RT
SECRET=sekrit-value-4242
BASE=$((20000 + $$ % 20000))
touch "$T_TMP/model.gguf"
STARTED=()
cleanup() {
	for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$T_TMP"
}
trap cleanup EXIT

# cfg FILE ID MODE PORT: a one-pool config running the fake engine in MODE.
cfg() {
	cat >"$1" <<JSON
{"pools":[{"id":"$2","engine":"llamacpp","model":"tiny","devices":[],
  "provisioning":{"mode":"external","external":{"path":"$FAKE"},
    "model":{"ref":"$T_TMP/model.gguf"},"ports":[$4],
    "env":{"FAKE_ENGINE_MODE":"$3","HF_TOKEN":"$SECRET"},"flags":["--parallel","1"]}}]}
JSON
}

pid_of() { head -1 "$RT/pids/$1.pid"; }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# Zombies are dead: only a reaper is missing (pid 1 of some containers reaps nothing).
group_alive() { ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {f = 1} END {exit !f}'; }

# --- a healthy engine (503 while "loading", then 200)
cfg ok.json fake ok $BASE
run "$EP_BIN" up --config ok.json
expect_rc 0 "up starts the fake engine"
expect_in "$OUT" "is up at http://127.0.0.1:$BASE" "up prints the url"
expect_in "$OUT" "b4242 (fake0001)" "up reports the engine version from /props"
expect_in "$ERR" "healthy" "health is narrated"
PID=$(pid_of fake)
STARTED+=("$PID")
alive "$PID" && ok "the engine runs" || not_ok "the engine runs"
H=$(cat "$RT/engines/fake.json")
for k in '"engine": "llamacpp"' '"engine_version": "b4242 (fake0001)"' '"provisioning_mode": "external"' \
	"\"url\": \"http://127.0.0.1:$BASE\"" '"pool_id": "fake"' '"replica_id": "r0"' \
	"\"path\": \"$T_TMP/model.gguf\"" '"flags": ["--n-gpu-layers", "0", "--parallel", "1"'; do
	expect_in "$H" "$k" "handoff has $k"
done
[ "$(ps -o pgid= -p "$PID" | tr -d ' ')" = "$PID" ] && ok "own process group" || not_ok "own process group"
CMD=$(tr '\0' ' ' <"/proc/$PID/cmdline")
expect_in "$CMD" "--model $T_TMP/model.gguf --host 127.0.0.1 --port $BASE --n-gpu-layers 0 --parallel 1" "argv is model, host, port, normalized flags (a CPU engine gets --n-gpu-layers 0)"
expect_not_in "$CMD" "$SECRET" "secret not in /proc/<pid>/cmdline"
ENVIRON=$(tr '\0' '\n' <"/proc/$PID/environ")
expect_in "$ENVIRON" "HF_TOKEN=$SECRET" "the secret reaches the engine's environment"
expect_in "$ENVIRON" "CUDA_VISIBLE_DEVICES=" "CUDA_VISIBLE_DEVICES is set (empty for a CPU engine)"
expect_not_in "$ENVIRON" "EP_STATE_DIR" "the parent's other variables do not reach the engine"
LEAKS=""
for fd in /proc/"$PID"/fd/*; do
	t=$(readlink "$fd" || true)
	# The engine's own: stdin, the log, its listening and client sockets.
	case "$t" in /dev/null | "$RT/logs/fake.log" | socket:*) ;; *) LEAKS="$LEAKS $(basename "$fd")->$t" ;; esac
done
[ -z "$LEAKS" ] && ok "no descriptor of ours leaks into the engine" || not_ok "leaked descriptors:$LEAKS"
[ "$(readlink "/proc/$PID/fd/1")" = "$RT/logs/fake.log" ] && ok "stdout goes to the pool's log" || not_ok "stdout goes to the pool's log"
SECRET_HITS=$(grep -rl "$SECRET" "$RT" "$EP_STATE_DIR" 2>/dev/null || true)
[ -z "$SECRET_HITS" ] && ok "secret absent from log, PID, handoff and proof files" || not_ok "secret found in: $SECRET_HITS"
expect_not_in "$OUT$ERR" "$SECRET" "secret absent from the narration"
ls "$EP_STATE_DIR"/proofs/fake/*/spawn-command.txt >/dev/null 2>&1 && ok "spawn command in the proof bundle" || not_ok "spawn command in the proof bundle"
expect_in "$(cat "$EP_STATE_DIR"/proofs/fake/*/spawn-command.txt)" "HF_TOKEN=***" "proof bundle masks the secret"

run "$EP_BIN" up --config ok.json
expect_rc 0 "a second up succeeds"
expect_in "$OUT" "already runs" "a second up reuses the running engine"
[ "$(pid_of fake)" = "$PID" ] && ok "same pid after the second up" || not_ok "same pid after the second up"

run "$EP_BIN" status
expect_rc 0 "status"
expect_in "$OUT" "running" "status shows it running"
run "$EP_BIN" status --json
expect_in "$OUT" "\"pid\":$PID" "status --json has the pid"
expect_in "$OUT" '"health":200' "status --json asks health now"
expect_in "$OUT" '"engine_digest":"sha256:' "status --json has the digest"

run "$EP_BIN" down --pool fake
expect_rc 0 "down"
expect_in "$OUT" "SIGTERM" "down says it took SIGTERM"
alive "$PID" && not_ok "engine gone after down" || ok "engine gone after down"
[ ! -e "$RT/pids/fake.pid" ] && [ ! -e "$RT/engines/fake.json" ] && ok "PID and handoff files removed" || not_ok "PID and handoff files removed"
run "$EP_BIN" down --pool fake
expect_rc 0 "down again is a no-op"
expect_in "$OUT" "not running" "down again says not running"
run "$EP_BIN" down --all
expect_rc 0 "down --all with nothing running"

# --- an engine that exits at once
cfg exit.json bad exit $BASE
run "$EP_BIN" up --config exit.json
expect_rc 1 "up of an engine that exits"
expect_in "$ERR" "exited with status 1 during startup" "the exit status is reported"
expect_in "$ERR" "invalid argument: --no-such-flag" "the last log lines are in the error"
[ ! -e "$RT/pids/bad.pid" ] && [ ! -e "$RT/engines/bad.json" ] && ok "no PID or handoff file after a failed start" || not_ok "no PID or handoff file after a failed start"

# --- an engine that never becomes healthy
cfg never.json slow never $BASE
run "$EP_BIN" up --config never.json --timeout 3
expect_rc 1 "up of an engine that never becomes healthy"
expect_in "$ERR" "not healthy after" "the timeout is reported"
expect_in "$ERR" "HTTP 503" "the last answer is reported"
expect_in "$ERR" "fake-engine pid" "the log tail is in the error"
NPID=$(grep -o 'fake-engine pid [0-9]*' "$RT/logs/slow.log" | tail -1 | awk '{print $3}')
alive "$NPID" && not_ok "the unhealthy engine was stopped" || ok "the unhealthy engine was stopped"
[ ! -e "$RT/pids/slow.pid" ] && ok "no PID file after the timeout" || not_ok "no PID file after the timeout"

# --- an engine that ignores SIGTERM (and has a child that does too)
cfg term.json stubborn ignore-term $BASE
run "$EP_BIN" up --config term.json
expect_rc 0 "up of an engine that ignores TERM"
TPID=$(pid_of stubborn)
STARTED+=("$TPID")
run "$EP_BIN" down --pool stubborn --grace 1
expect_rc 0 "down of an engine that ignores TERM"
expect_in "$OUT" "SIGKILL" "down says it took SIGKILL"
group_alive "$TPID" && not_ok "no process of its group remains" || ok "no process of its group remains"

# --- an `up` killed while the engine loads: the next `up` finishes its job
cfg slowload.json loader ok $BASE
sed -i 's/"FAKE_ENGINE_MODE"/"FAKE_LOADING_POLLS":"12","FAKE_ENGINE_MODE"/' slowload.json
"$EP_BIN" up --config slowload.json >/dev/null 2>&1 &
UP_CLI=$!
for _ in $(seq 1 200); do [ -s "$RT/pids/loader.pid" ] && break; sleep 0.05; done
kill -KILL "$UP_CLI" 2>/dev/null || true
wait "$UP_CLI" 2>/dev/null || true
LPID=$(pid_of loader)
STARTED+=("$LPID")
[ ! -e "$RT/engines/loader.json" ] && ok "no handoff file while it loads" || not_ok "no handoff file while it loads"
run "$EP_BIN" up --config slowload.json
expect_rc 0 "up after an interrupted up"
expect_in "$OUT" "already runs" "the engine of the interrupted up is reused"
[ -e "$RT/engines/loader.json" ] && ok "the handoff file is written once healthy" || not_ok "the handoff file is written once healthy"
run "$EP_BIN" down --pool loader
expect_rc 0 "down of the reused engine"

# --- a port already taken
FAKE_ENGINE_MODE=ok "$FAKE" --port "$BASE" >/dev/null 2>&1 &
HOLDER=$!
STARTED+=("$HOLDER")
for _ in $(seq 1 400); do grep -q ":$(printf '%04X' "$BASE") 00000000:0000 0A" /proc/net/tcp && break; sleep 0.05; done
run "$EP_BIN" up --config ok.json
expect_rc 0 "up with the first port taken"
expect_in "$ERR" "port $BASE on 127.0.0.1 is taken by pid $HOLDER" "says which port was taken and by whom"
expect_in "$(cat "$RT/engines/fake.json")" "\"url\": \"http://127.0.0.1:$((BASE + 1))\"" "the next port is in the handoff file"
STARTED+=("$(pid_of fake)")
run "$EP_BIN" down --all
expect_rc 0 "down --all"
kill "$HOLDER" 2>/dev/null || true

# --- a stale PID file naming a live, unrelated process
sleep 600 &
VICTIM=$!
STARTED+=("$VICTIM")
mkdir -p "$RT/pids"
printf '%s\nstart_time 1\nport %s\n' "$VICTIM" "$BASE" >"$RT/pids/fake.pid"
run "$EP_BIN" status --pool fake --json
expect_in "$OUT" '"running":false' "status does not take a reused pid for the engine"
run "$EP_BIN" down --pool fake
expect_rc 0 "down with a stale PID file"
expect_in "$OUT" "nothing signalled" "down says it signalled nothing"
alive "$VICTIM" && ok "the unrelated process still lives" || not_ok "the unrelated process still lives"
printf '%s\nstart_time 1\nport %s\n' "$VICTIM" "$BASE" >"$RT/pids/fake.pid"
run "$EP_BIN" up --config ok.json
expect_rc 0 "up over a stale PID file"
STARTED+=("$(pid_of fake)")
alive "$VICTIM" && ok "the unrelated process still lives after up" || not_ok "the unrelated process still lives after up"
run "$EP_BIN" down --pool fake
kill "$VICTIM" 2>/dev/null || true

# --- a PID file that is a symbolic link
echo "precious" >"$T_TMP/target"
ln -s "$T_TMP/target" "$RT/pids/fake.pid"
run "$EP_BIN" down --pool fake
expect_rc 6 "down refuses a symlinked PID file"
expect_in "$ERR" "symbolic link" "the refusal names the reason"
run "$EP_BIN" up --config ok.json
expect_rc 6 "up refuses a symlinked PID file"
[ "$(cat "$T_TMP/target")" = "precious" ] && ok "the symlink's target is untouched" || not_ok "the symlink's target is untouched"
rm -f "$RT/pids/fake.pid"

# --- several pools: --all starts and stops each, status lists each
cat >two.json <<JSON
{"pools":[
 {"id":"one","engine":"llamacpp","model":"m1","devices":[0],
  "provisioning":{"mode":"external","external":{"path":"$FAKE"},"model":{"ref":"$T_TMP/model.gguf"},"ports":[$BASE]}},
 {"id":"two","engine":"llamacpp","model":"m2","devices":[],
  "provisioning":{"mode":"external","external":{"path":"$FAKE"},"model":{"ref":"$T_TMP/model.gguf"},"ports":[$BASE]}}]}
JSON
run "$EP_BIN" up --config two.json
expect_rc 2 "up of a config with several pools needs --pool or --all"
run "$EP_BIN" up --config two.json --all --json
expect_rc 0 "up --all"
expect_in "$OUT" '"pool_id":"one"' "up --all --json reports the first pool"
expect_in "$OUT" '"pool_id":"two"' "up --all --json reports the second pool"
STARTED+=("$(pid_of one)" "$(pid_of two)")
expect_in "$(tr '\0' '\n' <"/proc/$(pid_of one)/environ")" "CUDA_VISIBLE_DEVICES=0" "a GPU pool's devices become CUDA_VISIBLE_DEVICES"
run "$EP_BIN" status
expect_in "$OUT" "one " "status lists the first pool"
expect_in "$OUT" "two " "status lists the second pool"
run "$EP_BIN" down --all
expect_rc 0 "down --all stops both"
expect_in "$OUT" "pool 'one': stopped" "down --all stops the first"
expect_in "$OUT" "pool 'two': stopped" "down --all stops the second"

# --- usage
run "$EP_BIN" down
expect_rc 2 "down needs --pool or --all"
run "$EP_BIN" up --help
expect_rc 0 "up --help"
expect_in "$OUT" "--runtime-dir" "up --help documents --runtime-dir"

finish

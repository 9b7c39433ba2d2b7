#!/usr/bin/env bash
# Container pools through the CLI, with real podman and a real registry on
# 127.0.0.1: ensure pulls and pins the image, `up` runs the pinned digest
# with the port published, the model mounted read-only and the env passed by
# name, waits for health through the published port and writes the handoff;
# `status` asks podman; `down` stops with a grace period, keeps the output
# and removes the container. Failures (an engine that exits at once, one
# that never gets healthy) leave no container and no PID file behind.
# Where this host cannot run containers at all, `up`'s error is checked and
# the start is reported as skipped, with podman's reason.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/registry.sh"

registry_need_tools podman /usr/bin/docker-registry curl python3 cc
CDI_SPEC=/var/run/cdi/ep-test-$$.yaml
cleanup() {
	podman rm -f ep-c1 ep-c2 ep-c3 ep-g1 >/dev/null 2>&1 || true
	rm -f "$CDI_SPEC"
	if [ -n "${MADE_CDI_DIR:-}" ]; then rmdir /var/run/cdi 2>/dev/null || true; fi
	registry_stop "$T_TMP"
	rm -rf "$T_TMP"
}
trap cleanup EXIT
registry_env "$T_TMP"
registry_start "$T_TMP"
cd "$T_TMP"
export EP_RUNTIME_DIR=$T_TMP/rt
IMG=$REGISTRY/ep/fake-engine
SECRET=s3cr3t-value-4242
D=$(registry_push_static "$T_TMP" "$IMG:1" "$EP_SOURCE_DIR/tests/lib/fake_engine.c")
expect_in "$D" "sha256:" "the fixture engine image is in the registry ($D)"
mkdir -p models
printf 'GGUF-not-really' >models/tiny.gguf

# cfg FILE ID PORT MODE [DEVICES]: a container pool running the fixture engine in MODE.
cfg() {
	cat >"$1" <<YAML
pools:
  - id: $2
    engine: llamacpp
    model: tiny
    devices: [${5:-}]
    provisioning:
      mode: container
      container: {image: $IMG, tag: "1", runtime: podman}
      model: {ref: $T_TMP/models/tiny.gguf}
      ports: [$3]
      startup_timeout_s: 30
      env: {FAKE_ENGINE_MODE: $4, FAKE_SECRET: $SECRET}
      flags: [--parallel, "2"]
YAML
}
# no_container NAME DESC: podman has no container of that name
no_container() {
	if [ -z "$(podman ps -a -q --filter "name=^$1\$")" ]; then ok "$2"; else not_ok "$2: $1 exists"; fi
}
P1=$(registry_free_port)
cfg c1.yaml c1 "$P1" ok

run "$EP_BIN" plan --config c1.yaml
expect_rc 0 "plan of a container pool"
expect_in "$OUT" "podman run -d --name ep-c1 --pull=never -p 127.0.0.1:$P1:8080 -v $T_TMP/models:/models:ro --env FAKE_ENGINE_MODE --env FAKE_SECRET $IMG:1 --model /models/tiny.gguf --host 0.0.0.0 --port 8080" "plan shows the run command"
expect_not_in "$OUT" "$SECRET" "plan does not show the secret"

if ! registry_can_run "$T_TMP"; then
	run "$EP_BIN" up --config c1.yaml
	expect_rc 5 "up where containers cannot start"
	expect_in "$ERR" "cannot start containers on this host" "up says the host cannot start containers"
	expect_not_in "$ERR" "$SECRET" "the secret is not in the error"
	[ ! -e rt/pids/c1.pid ] && ok "no PID file is left" || not_ok "a PID file is left"
	no_container ep-c1 "no container is left"
	echo "ok - SKIP starting a container: this host cannot run containers: $CAN_RUN_WHY"
	finish
	exit
fi
ok "this host can run containers"

# --- up: pulls, pins, runs the digest, healthy through the published port
run "$EP_BIN" up --config c1.yaml
expect_rc 0 "up of a container pool"
expect_in "$OUT" "pool 'c1' is up at http://127.0.0.1:$P1 (container ep-c1, pid" "up names the container and url"
expect_in "$OUT" "image: $IMG@$D" "up reports the pinned image"
expect_in "$OUT" "b4242 (fake0001)" "the version is read from the engine in the container"
[ "$(podman inspect --format '{{.State.Status}}' ep-c1)" = running ] && ok "podman runs ep-c1" || not_ok "ep-c1 does not run"
expect_in "$(podman inspect --format '{{.ImageName}}' ep-c1)" "@$D" "the container runs the digest, not the tag"
mounts=$(podman inspect --format '{{range .Mounts}}{{.Source}}>{{.Destination}}:{{.RW}} {{end}}' ep-c1)
expect_in "$mounts" "$T_TMP/models>/models:false" "the model directory is mounted read-only"
props=$(curl -s "http://127.0.0.1:$P1/props")
expect_in "$props" '"model_found":true' "the engine opens the model at the mounted path"
expect_in "$props" "\"secret_len\":${#SECRET}" "the env value reaches the engine"
expect_in "$(podman inspect --format '{{.Config.Cmd}}' ep-c1)" "--parallel 2" "the normalized flags reach the engine"
pid=$(head -1 rt/pids/c1.pid)
[ "$pid" = "$(podman inspect --format '{{.State.Pid}}' ep-c1)" ] && ok "the PID file records the container's process ($pid)" || not_ok "PID file pid $pid"
grep -q '^container ep-c1$' rt/pids/c1.pid && ok "the PID file names the container" || not_ok "PID file: $(cat rt/pids/c1.pid)"
h=$(cat rt/engines/c1.json)
expect_in "$h" '"provisioning_mode": "container"' "handoff: container mode"
expect_in "$h" "\"url\": \"http://127.0.0.1:$P1\"" "handoff: url"
leak=$(grep -rl -- "$SECRET" rt "$EP_STATE_DIR" 2>/dev/null || true)
[ -z "$leak" ] && ok "the secret is in no runtime or state file" || not_ok "secret in: $leak"
# the pattern comes from a file, so this grep's own command line does not hold it
printf '%s\n' "$SECRET" >secret.pattern
hits=$(grep -lF -f secret.pattern /proc/[0-9]*/cmdline 2>/dev/null || true)
[ -z "$hits" ] && ok "the secret is on no command line (container engine, conmon, engine)" || not_ok "secret on the command line of: $hits"
rm -f secret.pattern

# --- up again: found, not started twice
id1=$(podman inspect --format '{{.Id}}' ep-c1)
run "$EP_BIN" up --config c1.yaml
expect_rc 0 "second up"
expect_in "$OUT" "already runs at http://127.0.0.1:$P1 (container ep-c1" "second up finds the running container"
[ "$(podman inspect --format '{{.Id}}' ep-c1)" = "$id1" ] && ok "the same container keeps running" || not_ok "the container was replaced"

# --- status asks podman
run "$EP_BIN" status --json
expect_rc 0 "status"
expect_in "$OUT" '"pool_id":"c1","running":true' "status: running"
expect_in "$OUT" '"container":"ep-c1","container_state":"running"' "status: the container and its state"
expect_in "$OUT" '"health":200' "status: healthy"
expect_in "$OUT" "\"engine_digest\":\"$D\"" "status: the image digest"

# --- down: TERM within the grace period, output kept, container removed
run "$EP_BIN" down --pool c1 --grace 10
expect_rc 0 "down"
expect_in "$OUT" "stopped and removed container 'ep-c1' with SIGTERM" "down stops the container with TERM"
no_container ep-c1 "the container is removed"
[ ! -e rt/pids/c1.pid ] && [ ! -e rt/engines/c1.json ] && ok "PID and handoff files are removed" || not_ok "files left: $(ls rt/pids rt/engines)"
expect_in "$(cat rt/logs/c1.log)" "fake-engine listening on port 8080" "the container's output is kept in the pool's log"
run "$EP_BIN" status
expect_in "$OUT" "no engines started" "status after down"

# --- a container that ends by itself: status says so, down removes it
run "$EP_BIN" up --config c1.yaml
expect_rc 0 "up again"
podman kill ep-c1 >/dev/null
run "$EP_BIN" status --json --pool c1
expect_in "$OUT" '"running":false' "status sees the container has stopped"
expect_in "$OUT" '"container_state":"exited"' "status gives podman's state"
run "$EP_BIN" down --pool c1
expect_rc 0 "down of a stopped container"
expect_in "$OUT" "container 'ep-c1' was not running; removed it" "down says it was not running"
no_container ep-c1 "the stopped container is removed"

# --- an engine that exits at once: its status and output, nothing left
P2=$(registry_free_port)
cfg c2.yaml c2 "$P2" exit
run "$EP_BIN" up --config c2.yaml
expect_rc 1 "up of an engine that exits at start"
expect_in "$ERR" "exited with status 1 during startup" "the exit status is reported"
expect_in "$ERR" "invalid argument: --no-such-flag" "the engine's own last lines are in the error"
no_container ep-c2 "no container is left"
[ ! -e rt/pids/c2.pid ] && ok "no PID file is left" || not_ok "rt/pids/c2.pid is left"

# --- an engine that never gets healthy: stopped and removed after the timeout
P3=$(registry_free_port)
cfg c3.yaml c3 "$P3" never
run "$EP_BIN" up --config c3.yaml --timeout 2
expect_rc 1 "up of an engine that never gets healthy"
expect_in "$ERR" "not healthy after 2 s (last answer: HTTP 503)" "the timeout and last answer are reported"
no_container ep-c3 "no container is left"
[ ! -e rt/pids/c3.pid ] && [ ! -e rt/engines/c3.json ] && ok "no PID or handoff file is left" || not_ok "files left"

# --- a GPU pool: the stand-in driver passes the GPU preflight, the CDI check
# follows, and podman resolves `--device nvidia.com/gpu=0` from a stand-in CDI
# spec (the device node is /dev/null; only the way the GPU is asked for is real)
FAKECUDA="$EP_BINARY_DIR/tests/lib/libfakecuda.so"
gpu_env=(env EP_CUDA_DRIVER_LIBRARY="$FAKECUDA" EP_FAKECUDA_DEVICES="9.0:81559:NVIDIA H100 80GB HBM3"
	EP_FAKECUDA_DRIVER=13000)
P4=$(registry_free_port)
cfg g1.yaml g1 "$P4" ok 0
if [ ! -e "$FAKECUDA" ]; then
	echo "ok - SKIP GPU container: the stand-in driver library was not built"
elif grep -qs "nvidia.com/gpu" /etc/cdi/* /var/run/cdi/*; then
	echo "ok - SKIP GPU container: this host has a real NVIDIA CDI spec; no stand-in is put beside it"
elif [ "$(id -u)" != 0 ]; then
	echo "ok - SKIP GPU container: only root can put a stand-in CDI spec in /var/run/cdi"
else
	run "${gpu_env[@]}" "$EP_BIN" up --config g1.yaml
	expect_rc 5 "up of a GPU container pool without a CDI spec"
	expect_in "$ERR" "no CDI spec lists 'nvidia.com/gpu'" "the missing CDI spec is named"
	expect_in "$ERR" "nvidia-ctk cdi generate" "and how to make one"
	[ -d /var/run/cdi ] || MADE_CDI_DIR=1
	mkdir -p /var/run/cdi
	cat >"$CDI_SPEC" <<'YAML'
cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      env: [NVIDIA_VISIBLE_DEVICES=0]
      deviceNodes: [{path: /dev/nvidia0, hostPath: /dev/null}]
YAML
	run "${gpu_env[@]}" "$EP_BIN" up --config g1.yaml
	expect_rc 0 "up of a GPU container pool with a CDI spec"
	expect_in "$(cat rt/logs/g1.log)" "--device nvidia.com/gpu=0" "the GPU is asked for by CDI"
	props=$(curl -s "http://127.0.0.1:$P4/props")
	expect_in "$props" '"dev_nvidia0":true' "the container has the CDI device node"
	expect_in "$props" '"nvidia_visible_devices":"0"' "and the CDI spec's environment"
	run "$EP_BIN" down --pool g1
	expect_rc 0 "down of the GPU container pool"
	no_container ep-g1 "the GPU container is removed"
fi

finish

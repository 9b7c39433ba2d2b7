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
. "$FIXTURES/container_life.sh"
LIFE_ENGINE=podman

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

container_life_checks

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

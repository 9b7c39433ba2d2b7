#!/usr/bin/env bash
# Container pools with `runtime: docker` through the CLI, against a real,
# private docker daemon (tests/fixtures/dockerd.sh) and a real registry on
# 127.0.0.1: ensure pulls by tag and pins the registry's digest, a second
# ensure contacts no registry and runs one docker command, `--locked`
# refuses a moved tag (also one that moved to another manifest of the same
# image), a missing image, a missing tag, an unauthorized pull and a
# stopped registry each give their own error; then up/status/down run the
# pinned digest with `docker run`. Where the daemon cannot start, or cannot
# run containers, that part is reported as skipped with the reason, and
# what needs no daemon is still checked.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/fixtures/dockerd.sh"
dockerd_enter "$0" "$@"
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/registry.sh"
. "$FIXTURES/container_life.sh"
LIFE_ENGINE=docker

if ! command -v docker >/dev/null; then
	echo "ok - SKIP docker: 'docker' is not installed (scripts/deps.sh installs docker.io)"
	finish
	exit
fi
registry_need_tools podman /usr/bin/docker-registry curl python3 cc
cleanup() {
	if [ -n "${DOCKERD_PID:-}" ]; then
		docker rm -f ep-c1 ep-c2 ep-c3 ep-g1 ep-g2 >/dev/null 2>&1 || true
	fi
	dockerd_stop "$T_TMP"
	registry_stop "$T_TMP/auth" 2>/dev/null
	registry_stop "$T_TMP"
	rm -rf "$T_TMP"
}
trap cleanup EXIT
cd "$T_TMP"
registry_env "$T_TMP"
dockerd_env "$T_TMP"
registry_start "$T_TMP"
export EP_RUNTIME_DIR=$T_TMP/rt

# docker, counted: every call the library makes goes through this shim
REAL_DOCKER=$(command -v docker)
mkdir -p bin
cat >bin/docker <<SHIM
#!/bin/sh
echo "\$*" >>"$T_TMP/docker-calls"
exec "$REAL_DOCKER" "\$@"
SHIM
chmod +x bin/docker
export PATH="$T_TMP/bin:$PATH"
calls() { if [ -f docker-calls ]; then wc -l <docker-calls; else echo 0; fi; }

IMG=$REGISTRY/ep/fake-engine
APP=$REGISTRY/t/app
SECRET=s3cr3t-value-4242
D=$(registry_push_static "$T_TMP" "$IMG:1" "$EP_SOURCE_DIR/tests/lib/fake_engine.c")
expect_in "$D" "sha256:" "the fixture engine image is in the registry ($D)"
mkdir -p models
printf 'GGUF-not-really' >models/tiny.gguf

# pool_cfg FILE ID IMAGE TAG PORT MODE [DEVICES]: a docker container pool running IMAGE:TAG.
pool_cfg() {
	cat >"$1" <<YAML
pools:
  - id: $2
    engine: llamacpp
    model: tiny
    devices: [${7:-}]
    provisioning:
      mode: container
      container: {image: $3, tag: "$4", runtime: docker}
      model: {ref: $T_TMP/models/tiny.gguf}
      ports: [$5]
      startup_timeout_s: 30
      env: {FAKE_ENGINE_MODE: $6, FAKE_SECRET: $SECRET}
      flags: [--parallel, "2"]
YAML
}
# cfg FILE ID PORT MODE [DEVICES]: a pool running the fixture engine (container_life.sh)
cfg() { pool_cfg "$1" "$2" "$IMG" 1 "$3" "$4" "${5:-}"; }
# value KEY: the "KEY":"..." string of the last $OUT
value() { printf '%s\n' "$OUT" | sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p" | head -1; }
P1=$(registry_free_port)
pool_cfg c1.yaml c1 "$IMG" 1 "$P1" ok

run "$EP_BIN" plan --config c1.yaml
expect_rc 0 "plan of a docker container pool"
expect_in "$OUT" "docker run -d --name ep-c1 --pull=never -p 127.0.0.1:$P1:8080 -v $T_TMP/models:/models:ro --env FAKE_ENGINE_MODE --env FAKE_SECRET $IMG:1 --model /models/tiny.gguf --host 0.0.0.0 --port 8080" "plan shows the docker run command"

# --- no daemon (yet): docker is installed but not usable; nothing is pulled
registry_mark "$T_TMP"
run "$EP_BIN" ensure --config c1.yaml
expect_rc 5 "ensure when the docker daemon is not running"
expect_in "$ERR" "is not usable ('docker version' failed: Cannot connect to the Docker daemon" "the daemon's absence is named"
[ "$(registry_requests "$T_TMP")" -eq 0 ] && ok "nothing was pulled" || not_ok "the registry was asked"

if ! dockerd_start "$T_TMP"; then
	echo "ok - SKIP docker daemon: $DOCKERD_WHY"
	finish
	exit
fi
ok "a private docker daemon runs ($(docker version --format '{{.Server.Version}}'), client $(docker version --format '{{.Client.Version}}'))"

# --- ensure: pull by tag pins the registry's digest
registry_mark "$T_TMP"
: >docker-calls
run "$EP_BIN" ensure --config c1.yaml --json
expect_rc 0 "ensure pulls with docker"
[ "$(value engine_digest)" = "$D" ] && ok "engine_digest is the digest podman's push reported" || not_ok "engine_digest '$(value engine_digest)', expected $D"
[ "$(value image_ref)" = "$IMG@$D" ] && ok "image_ref is image@sha256" || not_ok "image_ref $(value image_ref)"
n=$(registry_requests "$T_TMP")
[ "$n" -gt 0 ] && ok "the pull reached the registry ($n requests)" || not_ok "no registry request logged"
expect_in "$(cat docker-calls)" "pull $IMG:1" "docker pulled the tag"
expect_in "$(docker image inspect --format '{{range .RepoDigests}}{{.}} {{end}}' "$IMG:1")" "$IMG@$D" "docker holds the image under that digest"

# --- a second ensure: no registry request, one docker call
registry_mark "$T_TMP"
: >docker-calls
run "$EP_BIN" ensure --config c1.yaml --json
expect_rc 0 "second ensure"
[ "$(value engine_digest)" = "$D" ] && ok "the same digest" || not_ok "engine_digest $(value engine_digest)"
n=$(registry_requests "$T_TMP")
[ "$n" -eq 0 ] && ok "second ensure: 0 registry requests" || not_ok "second ensure made $n registry requests"
[ "$(calls)" -le 1 ] && ok "second ensure: at most one docker call ($(calls): $(cat docker-calls))" || not_ok "$(calls) docker calls: $(cat docker-calls)"

# --- the image vanishes from docker: the pinned digest (not the tag) is pulled again
docker rmi -f "$IMG:1" "$IMG@$D" >/dev/null 2>&1 || true
: >docker-calls
run "$EP_BIN" ensure --config c1.yaml --json
expect_rc 0 "ensure after the image was removed from docker"
[ "$(value engine_digest)" = "$D" ] && ok "the same digest again" || not_ok "engine_digest $(value engine_digest)"
expect_in "$(cat docker-calls)" "pull $IMG@$D" "docker pulled the pinned digest"

# --- --locked: a moved tag is refused
pool_cfg l1.yaml l1 "$APP" v1 8000 ok
DA1=$(registry_push_image "$T_TMP" "$APP:v1" "first")
run "$EP_BIN" ensure --config l1.yaml --json
expect_rc 0 "ensure of a second image"
[ "$(value engine_digest)" = "$DA1" ] && ok "it pins $DA1" || not_ok "engine_digest $(value engine_digest)"
"$EP_BIN" catalog lock --config l1.yaml >engines.lock
expect_in "$(cat engines.lock)" "$DA1" "the lock file pins the digest"
run "$EP_BIN" ensure --config l1.yaml --locked engines.lock --json
expect_rc 0 "ensure --locked while the tag has not moved"
DA2=$(registry_push_image "$T_TMP" "$APP:v1" "second")
[ "$DA1" != "$DA2" ] && ok "v1 moved to $DA2" || not_ok "the retag kept the digest"
run "$EP_BIN" ensure --config l1.yaml --json
expect_rc 0 "plain ensure after the tag moved"
[ "$(value engine_digest)" = "$DA1" ] && ok "plain ensure keeps the pinned digest" || not_ok "engine_digest $(value engine_digest)"
run "$EP_BIN" ensure --config l1.yaml --locked engines.lock --json
expect_rc 6 "ensure --locked refuses the moved tag"
expect_in "$ERR" "now resolves to '$DA2' but the lock file pins '$DA1'" "the error names both digests"

# --- a tag moved to another manifest of the same image (OCI, then Docker v2s2):
# docker keeps one image with both digests; the pull's own answer decides
registry_push_image "$T_TMP" "$REGISTRY/t/two:v1" "same content" >/dev/null
two_push() {
	(
		export CONTAINERS_STORAGE_CONF="$T_TMP/podman/build-storage.conf"
		podman push -q --tls-verify=false --format "$1" --digestfile "$T_TMP/two.$1" \
			"$REGISTRY/t/two:v1" >/dev/null
	)
	cat "$T_TMP/two.$1"
}
DT1=$(two_push oci)
pool_cfg t1.yaml t1 "$REGISTRY/t/two" v1 8000 ok
run "$EP_BIN" ensure --config t1.yaml --json
expect_rc 0 "ensure of the OCI manifest"
[ "$(value engine_digest)" = "$DT1" ] && ok "it pins the OCI manifest's digest" || not_ok "engine_digest $(value engine_digest), expected $DT1"
"$EP_BIN" catalog lock --config t1.yaml >two.lock
DT2=$(two_push v2s2)
[ "$DT1" != "$DT2" ] && ok "v1 now serves the v2s2 manifest $DT2" || not_ok "both formats have one digest"
run "$EP_BIN" ensure --config t1.yaml --locked two.lock --json
expect_rc 6 "ensure --locked refuses the tag moved to another manifest"
expect_in "$ERR" "now resolves to '$DT2'" "the error names the manifest the tag serves now"
run env EP_STATE_DIR="$T_TMP/state-two" "$EP_BIN" ensure --config t1.yaml --json
expect_rc 0 "a fresh ensure of the moved tag"
[ "$(value engine_digest)" = "$DT2" ] && ok "it pins what the tag serves now" || not_ok "engine_digest $(value engine_digest), expected $DT2"

# --- not found: an image and a tag
pool_cfg m1.yaml m1 "$REGISTRY/t/missing" v1 8000 ok
run "$EP_BIN" ensure --config m1.yaml
expect_rc 1 "missing image"
expect_in "$ERR" "image '$REGISTRY/t/missing:v1' not found in registry '$REGISTRY'" "missing image error"
pool_cfg m2.yaml m2 "$APP" nope 8000 ok
run "$EP_BIN" ensure --config m2.yaml
expect_rc 1 "missing tag"
expect_in "$ERR" "image '$APP:nope' not found in registry '$REGISTRY'" "missing tag error"

# --- a registry that wants credentials: refused without them, docker's own
# DOCKER_CONFIG after `docker login`, or REGISTRY_AUTH_FILE naming a docker config.json
MAIN=$REGISTRY
EP_TEST_REGISTRY_AUTH=htpasswd registry_start "$T_TMP/auth"
AUTH=$REGISTRY
REGISTRY=$MAIN
mkdir -p pauth dauth
podman login --tls-verify=false --authfile pauth/auth.json -u ep --password-stdin "$AUTH" <<<ep-test >/dev/null
REGISTRY_AUTH_FILE=$T_TMP/pauth/auth.json registry_push_image "$T_TMP" "$AUTH/t/app:v1" "private" >/dev/null
pool_cfg a1.yaml a1 "$AUTH/t/app" v1 8000 ok
run env EP_STATE_DIR="$T_TMP/state-a1" "$EP_BIN" ensure --config a1.yaml
expect_rc 1 "a registry that wants credentials"
expect_in "$ERR" "registry '$AUTH' refused access to image '$AUTH/t/app:v1' (unauthorized)" "unauthorized error"
expect_in "$ERR" "docker login $AUTH" "it says how to log in with docker"
DOCKER_CONFIG=$T_TMP/dauth docker login -u ep --password-stdin "$AUTH" <<<ep-test >/dev/null 2>&1
run env EP_STATE_DIR="$T_TMP/state-a2" REGISTRY_AUTH_FILE="$T_TMP/dauth/config.json" "$EP_BIN" ensure --config a1.yaml
expect_rc 0 "REGISTRY_AUTH_FILE naming a docker config.json"
run env EP_STATE_DIR="$T_TMP/state-a3" DOCKER_CONFIG="$T_TMP/dauth" REGISTRY_AUTH_FILE="$T_TMP/pauth/auth.json" "$EP_BIN" ensure --config a1.yaml
expect_rc 0 "docker's DOCKER_CONFIG, with podman's REGISTRY_AUTH_FILE beside it"
# the credentials (user ep, password ep-test) as config.json holds them
leak=$(grep -rlF "$(printf 'ep:ep-test' | base64)" "$EP_STATE_DIR" "$T_TMP"/state-a* 2>/dev/null || true)
[ -z "$leak" ] && ok "the credentials are in no state file" || not_ok "credentials in: $leak"
registry_stop "$T_TMP/auth"

# --- containers: up/status/down, where docker can run them here
can_run() {
	local ctx
	ctx=$(mktemp -d "$T_TMP/ctx.XXXXXX")
	printf 'int main(void) { return 0; }\n' >"$ctx/true.c"
	cc -static -o "$ctx/true" "$ctx/true.c" &&
		tar -C "$ctx" -cf "$ctx/true.tar" true &&
		docker import -c 'ENTRYPOINT ["/true"]' "$ctx/true.tar" ep-can-run:1 >/dev/null || {
		CAN_RUN_WHY="cannot make a test image"
		return 1
	}
	if CAN_RUN_WHY=$(docker run --rm ep-can-run:1 2>&1); then return 0; fi
	CAN_RUN_WHY=$(printf '%s\n' "$CAN_RUN_WHY" | grep -v "^Run 'docker run --help'" | grep . | tail -1)
	return 1
}
stopped_registry() {
	registry_stop "$T_TMP"
	pool_cfg u1.yaml u1 "$APP" v2 8000 ok
	run "$EP_BIN" ensure --config u1.yaml
	expect_rc 1 "stopped registry"
	expect_in "$ERR" "registry '$REGISTRY' unreachable while pulling '$APP:v2'" "unreachable error"
	expect_not_in "$ERR" "not found" "unreachable is not reported as not found"
}

if ! can_run; then
	run "$EP_BIN" up --config c1.yaml
	expect_rc 5 "up where docker cannot start containers"
	expect_in "$ERR" "cannot start containers on this host" "up says the host cannot start containers"
	no_container ep-c1 "no container is left"
	echo "ok - SKIP starting a docker container: $CAN_RUN_WHY"
	stopped_registry
	finish
	exit
fi
ok "docker can run containers here"

container_life_checks

# --- GPUs: the stand-in driver passes the GPU preflight and a stand-in
# nvidia-ctk the toolkit check; the daemon, without the NVIDIA runtime,
# then refuses `--gpus` (which shows the flag, one GPU or a list, parsed)
FAKECUDA="$EP_BINARY_DIR/tests/lib/libfakecuda.so"
if [ ! -e "$FAKECUDA" ]; then
	echo "ok - SKIP GPU container: the stand-in driver library was not built"
elif docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}' | grep -q nvidia; then
	echo "ok - SKIP GPU container: this daemon has the NVIDIA runtime"
else
	printf '#!/bin/sh\nexit 0\n' >bin/nvidia-ctk
	chmod +x bin/nvidia-ctk
	gpu_env=(env EP_CUDA_DRIVER_LIBRARY="$FAKECUDA" EP_FAKECUDA_DEVICES="9.0:81559:NVIDIA H100 80GB HBM3;9.0:81559:NVIDIA H100 80GB HBM3"
		EP_FAKECUDA_DRIVER=13000)
	pool_cfg g1.yaml g1 "$IMG" 1 "$(registry_free_port)" ok 0
	pool_cfg g2.yaml g2 "$IMG" 1 "$(registry_free_port)" ok "0, 1"
	run "${gpu_env[@]}" "$EP_BIN" plan --config g2.yaml
	expect_in "$OUT" "--gpus '\"device=0,1\"'" "plan: two GPUs as one quoted --gpus list"
	for g in g1 g2; do
		run "${gpu_env[@]}" "$EP_BIN" up --config $g.yaml
		expect_rc 5 "up of GPU pool $g without the NVIDIA runtime in docker"
		expect_in "$ERR" "could not select device driver" "$g: docker's own reason"
		expect_in "$ERR" "nvidia-ctk runtime configure --runtime=docker" "$g: what to run"
		no_container ep-$g "$g: no container is left"
		[ ! -e rt/pids/$g.pid ] && ok "$g: no PID file is left" || not_ok "rt/pids/$g.pid is left"
	done
	rm -f bin/nvidia-ctk
fi

stopped_registry
finish

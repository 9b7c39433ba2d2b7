#!/usr/bin/env bash
# Container pools through ensure, doctor and catalog lock: a container engine
# that is missing or unusable, and a GPU pool without the NVIDIA container
# toolkit, each fail fast (exit 5) before anything is pulled, saying what to
# install; a no-op ensure of a pulled image runs no container engine at all;
# a lock file pins the digest and `ensure --locked` refuses a moved tag.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/registry.sh"

registry_need_tools podman /usr/bin/docker-registry curl python3
trap 'registry_stop "$T_TMP"; rm -rf "$T_TMP"' EXIT
registry_env "$T_TMP"
registry_start "$T_TMP"
cd "$T_TMP"
IMG=$REGISTRY/ep/app
D=$(registry_push_image "$T_TMP" "$IMG:1" "one")
GOOD_CONF=$CONTAINERS_CONF
printf '[engine\nbroken\n' >broken.conf

# cfg FILE RUNTIME [DEVICES]
cfg() {
	cat >"$1" <<YAML
pools:
  - id: c1
    engine: vllm
    model: Qwen/Qwen2.5-0.5B-Instruct
    devices: [${3:-}]
    provisioning:
      mode: container
      container: {image: $IMG, tag: "1", runtime: $2}
YAML
}
cfg podman.yaml podman
cfg docker.yaml docker

# a runtime that is not installed (a PATH without docker, installed here or not):
# named, with the install command, before any pull
mkdir -p no-docker
registry_mark "$T_TMP"
run env PATH="$T_TMP/no-docker" "$EP_BIN" ensure --config docker.yaml
expect_rc 5 "ensure with a container runtime that is not installed"
expect_in "$ERR" "needs tools this host lacks: 'docker' (for a container engine); install them with: apt-get install -y -- docker.io" "the runtime and its install are named"
[ "$(registry_requests "$T_TMP")" -eq 0 ] && ok "nothing was pulled" || not_ok "the registry was asked"
run env PATH="$T_TMP/no-docker" "$EP_BIN" doctor --config docker.yaml
expect_rc 5 "doctor with a missing container runtime"
expect_in "$OUT" "pool c1: cannot be provisioned here: pool 'c1' needs tools this host lacks: 'docker'" "doctor names it"

# podman that cannot work (a broken configuration): not usable, before any pull
registry_mark "$T_TMP"
run env CONTAINERS_CONF="$T_TMP/broken.conf" "$EP_BIN" ensure --config podman.yaml
expect_rc 5 "ensure with an unusable podman"
expect_in "$ERR" "is not usable ('podman info' failed:" "the engine's own failure is quoted"
[ "$(registry_requests "$T_TMP")" -eq 0 ] && ok "nothing was pulled" || not_ok "the registry was asked"
run env CONTAINERS_CONF="$T_TMP/broken.conf" "$EP_BIN" doctor --config podman.yaml
expect_rc 5 "doctor with an unusable podman"
expect_in "$OUT" "pool c1: cannot be provisioned here: container engine" "doctor says why"

# a usable podman: pulled once; a no-op ensure afterwards starts no engine,
# so it succeeds even when podman itself would fail now
run "$EP_BIN" doctor --config podman.yaml
expect_rc 0 "doctor with a usable podman"
expect_in "$OUT" "pool c1: ok" "doctor: the pool can be provisioned"
run "$EP_BIN" --log-format json ensure --config podman.yaml --json
expect_rc 0 "ensure pulls"
expect_in "$OUT" "\"engine_digest\":\"$D\"" "the digest is pinned"
expect_in "$ERR" '"action":"preflight"' "the engine was checked before the pull"
run env CONTAINERS_CONF="$T_TMP/broken.conf" "$EP_BIN" --log-format json ensure --config podman.yaml --json
expect_rc 0 "no-op ensure runs no container engine (it would fail)"
expect_in "$OUT" "\"engine_digest\":\"$D\"" "the no-op reports the same digest"
export CONTAINERS_CONF=$GOOD_CONF

# the lock file pins the digest; the tag moves; --locked refuses it, plain ensure keeps the pin
run "$EP_BIN" catalog show "$D"
expect_rc 0 "the catalog knows the pinned image by its digest"
expect_in "$OUT" "location:       $IMG@$D" "the catalog locates it at image@digest"
expect_in "$OUT" "mode:           container" "the catalog row is a container"
"$EP_BIN" catalog lock --config podman.yaml >pools.lock && ok "catalog lock" || not_ok "catalog lock failed"
expect_in "$(cat pools.lock)" "$D" "the lock file holds the image digest"
D2=$(registry_push_image "$T_TMP" "$IMG:1" "two")
[ "$D2" != "$D" ] && ok "the tag moved to $D2" || not_ok "the retag kept the digest"
run "$EP_BIN" ensure --config podman.yaml --locked pools.lock
expect_rc 6 "ensure --locked of a moved tag"
expect_in "$ERR" "now resolves to '$D2' but the lock file pins '$D'" "the error names both digests"
run "$EP_BIN" ensure --config podman.yaml --json
expect_rc 0 "plain ensure after the retag"
expect_in "$OUT" "\"engine_digest\":\"$D\"" "plain ensure keeps the pinned digest"

# a GPU pool without the NVIDIA container toolkit, with the stand-in driver
FAKECUDA="$EP_BINARY_DIR/tests/lib/libfakecuda.so"
if [ -e "$FAKECUDA" ] && ! grep -qs "nvidia.com/gpu" /etc/cdi/* /var/run/cdi/*; then
	cfg gpu.yaml podman 0
	registry_mark "$T_TMP"
	run env EP_CUDA_DRIVER_LIBRARY="$FAKECUDA" EP_FAKECUDA_DEVICES="9.0:81559:NVIDIA H100" \
		EP_FAKECUDA_DRIVER=13000 "$EP_BIN" ensure --config gpu.yaml
	expect_rc 5 "ensure of a GPU container pool without a CDI spec"
	expect_in "$ERR" "error: GPUs requested but no CDI spec lists 'nvidia.com/gpu'" "the CDI spec is missing"
	expect_in "$ERR" "nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml" "it says what to run"
	[ "$(registry_requests "$T_TMP")" -eq 0 ] && ok "nothing was pulled" || not_ok "the registry was asked"
	run env -u EP_CUDA_DRIVER_LIBRARY "$EP_BIN" ensure --config gpu.yaml
	expect_rc 5 "ensure of a GPU container pool with no driver"
	expect_in "$ERR" "error: no NVIDIA driver found" "no driver fails first"
else
	echo "ok - SKIP GPU container preflight: no stand-in driver, or a real CDI spec is present"
fi

finish

#!/usr/bin/env bash
# The GPU probe cache through ensure, with the stand-in driver library and a
# stand-in kernel driver directory (EP_NVIDIA_PROC_DIR): the first ensure of
# a GPU pool initialises the driver, a second one does not; a changed
# kernel driver, a GPU the kernel sees appear or vanish, another
# CUDA_VISIBLE_DEVICES, or another library each probe again; a failed probe
# is never remembered, and doctor always probes.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/binary_env.sh"

FAKECUDA="$EP_BINARY_DIR/tests/lib/libfakecuda.so"
if [ ! -e "$FAKECUDA" ]; then
	echo "skip - the stand-in driver library was not built"
	finish
	exit 0
fi
export EP_CA_FILE="$CA"
ZIP="$WWW/llama-release.zip"
echo "not a model" >"$T_TMP/model.gguf"
cat >"$T_TMP/gpu.yaml" <<Y
pools:
  - id: rel
    engine: llamacpp
    model: tiny
    devices: [0]
    provisioning:
      mode: binary
      allow_binary_downloads: true
      binary:
        url: https://127.0.0.1:$HTTPS/files/llama-release.zip
        checksum: "$(sha_of "$ZIP")"
      model: {ref: $T_TMP/model.gguf}
Y
NV=$T_TMP/nvproc
mkdir -p "$NV/gpus/0000:01:00.0"
echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.00  test" >"$NV/version"
export EP_NVIDIA_PROC_DIR=$NV EP_CUDA_DRIVER_LIBRARY=$FAKECUDA EP_FAKECUDA_DRIVER=13000 \
	EP_FAKECUDA_DEVICES="9.0:81559:NVIDIA H100 80GB HBM3" EP_FAKECUDA_LOG=$T_TMP/cuinit.log
inits() { [ -f "$T_TMP/cuinit.log" ] && wc -l <"$T_TMP/cuinit.log" | tr -d ' ' || echo 0; }
# ensure_inits DESC WANT: run ensure, check it succeeded and how many cuInit calls it made
ensure_inits() {
	local before
	before=$(inits)
	run "$EP_BIN" ensure --config "$T_TMP/gpu.yaml"
	expect_rc 0 "$1"
	[ $(($(inits) - before)) -eq "$2" ] && ok "$1: $2 driver initialisation(s)" ||
		not_ok "$1: $(($(inits) - before)) driver initialisations, expected $2"
}

ensure_inits "first ensure of a GPU pool" 1
ensure_inits "second ensure" 0
[ -f "$EP_STATE_DIR/gpu-cache.json" ] && ok "the probe is kept in the state directory" || not_ok "no gpu-cache.json"
echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.10  test" >"$NV/version"
ensure_inits "after a driver change" 1
ensure_inits "and again" 0
mkdir "$NV/gpus/0000:02:00.0"
ensure_inits "after a GPU appeared" 1
rmdir "$NV/gpus/0000:02:00.0"
ensure_inits "after a GPU vanished" 1
CUDA_VISIBLE_DEVICES=0 ensure_inits "with CUDA_VISIBLE_DEVICES" 1
ensure_inits "without it again" 1

# the GPU is gone (the kernel lists none, the driver reports none): fail fast, and a
# failed probe is not remembered, so every run probes and fails
rmdir "$NV/gpus/0000:01:00.0"
rm -f "$T_TMP/cuinit.log"
for i in 1 2 3; do
	EP_FAKECUDA_DEVICES="" run "$EP_BIN" ensure --config "$T_TMP/gpu.yaml"
	expect_rc 5 "no GPU: fail fast ($i)"
done
expect_in "$ERR" "no NVIDIA GPU found" "the failure is the fresh probe's"
[ "$(inits)" -eq 3 ] && ok "failed probes are never cached (3 runs, $(inits) initialisations)" || not_ok "$(inits) initialisations"
mkdir "$NV/gpus/0000:01:00.0"

# doctor always probes afresh
ensure_inits "the GPU is back as it was: the earlier probe answers" 0
before=$(inits)
run "$EP_BIN" doctor --config "$T_TMP/gpu.yaml"
expect_rc 0 "doctor"
[ $(($(inits) - before)) -ge 1 ] && ok "doctor probes the driver itself" || not_ok "doctor used the cache"

# no kernel driver directory: nothing is cached
rm -rf "$NV"
ensure_inits "without a kernel driver directory" 1
ensure_inits "still probing" 1
# an override library the kernel's directory does not describe: nothing is cached
mkdir -p "$NV/gpus/0000:01:00.0" && echo "NVRM version: 580.00" >"$NV/version"
unset EP_NVIDIA_PROC_DIR
ensure_inits "an override library without EP_NVIDIA_PROC_DIR" 1
ensure_inits "is probed every time" 1

finish

#!/usr/bin/env bash
# GPU fail-fast through `ensure`: a GPU pool on a host without the NVIDIA
# driver (this machine has the CUDA toolkit and no driver: the real loader
# path), with a stand-in driver reporting no device, or a device index that
# does not exist, is refused with exit 5 and a diagnostic saying what was
# found and what to do, before any git, cmake or ninja process starts.
# A CPU pool (devices: []) on the same host gets no GPU check at all.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/source_lib.sh"
FAKECUDA="$EP_BINARY_DIR/tests/lib/libfakecuda.so"

gpu_pool() {
	cat <<P
pools:
  - id: gpu
    engine: llamacpp
    model: fixture
    devices: [$1]
    provisioning:
      mode: source
      source: {repo: $REPO, ref: v1}
      model: {ref: $MODEL}
P
}

gpu_pool 0 >"$T_TMP/g.yaml"
: >"$TOOLS_LOG"
run env -u EP_CUDA_DRIVER_LIBRARY "$EP_BIN" ensure --config "$T_TMP/g.yaml"
expect_rc 5 "no driver: ensure fails fast"
expect_in "$ERR" "no NVIDIA driver found" "says what was found"
expect_in "$ERR" "devices: []" "and what to do"
expect_in "$(wc -l <"$TOOLS_LOG")" "0" "no git, cmake or ninja ran"
[ -z "$(ls -A "$EP_STATE_DIR/mirrors" 2>/dev/null)" ] && ok "nothing was cloned" || not_ok "a mirror exists"

if [ -e "$FAKECUDA" ]; then
	: >"$TOOLS_LOG"
	run env EP_CUDA_DRIVER_LIBRARY="$FAKECUDA" EP_FAKECUDA_DEVICES="" EP_FAKECUDA_DRIVER=13000 \
		"$EP_BIN" ensure --config "$T_TMP/g.yaml"
	expect_rc 5 "a driver with no device: ensure fails fast"
	expect_in "$(wc -l <"$TOOLS_LOG")" "0" "no git, cmake or ninja ran"

	gpu_pool 3 >"$T_TMP/g3.yaml"
	run env EP_CUDA_DRIVER_LIBRARY="$FAKECUDA" EP_FAKECUDA_DEVICES="8.6:24576:NVIDIA RTX A5000" \
		EP_FAKECUDA_DRIVER=13000 "$EP_BIN" ensure --config "$T_TMP/g3.yaml"
	expect_rc 5 "a device index that does not exist"
	expect_in "$ERR" "GPU device 3, which does not exist" "names the index"
	expect_in "$ERR" "RTX A5000" "and the devices that exist"
	expect_in "$(wc -l <"$TOOLS_LOG")" "0" "no git, cmake or ninja ran"

	run env EP_CUDA_DRIVER_LIBRARY="$FAKECUDA" EP_FAKECUDA_DEVICES="8.6:24576:NVIDIA RTX A5000" \
		EP_FAKECUDA_DRIVER=12040 "$EP_BIN" ensure --config "$T_TMP/g.yaml"
	expect_rc 5 "a driver older than the CUDA toolkit"
	expect_in "$ERR" "13.0" "names the toolkit's CUDA version"
	expect_in "$(wc -l <"$TOOLS_LOG")" "0" "no git, cmake or ninja ran"
else
	echo "skip: the stand-in driver library was not built"
fi

config "$T_TMP/c.yaml" "$(pool cpu v1 "" "")"
run env -u EP_CUDA_DRIVER_LIBRARY "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "a CPU pool on the same host builds (no GPU check)"
finish

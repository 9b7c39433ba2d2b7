#!/usr/bin/env bash
# GPU smoke check, for a host with an NVIDIA driver: builds the detection
# code with nothing but a C compiler, runs it against the real driver and
# compares with nvidia-smi. Exit 0 when the driver and at least one GPU are
# found. Usage: tests/gpu/smoke.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${TMPDIR:-/tmp}/ep-gpu-smoke}
mkdir -p "$out"
cc=${CC:-cc}
"$cc" -std=c11 -D_GNU_SOURCE -O1 -Iinclude -Isrc/lib -o "$out/detect" tests/gpu/detect.c \
	src/lib/gpu.c src/lib/cuda.c src/lib/buf.c src/lib/error.c src/lib/log.c \
	src/lib/strvec.c src/lib/proc.c src/lib/fs.c src/lib/probe.c src/lib/state.c \
	-ljansson -lcrypto -ldl 2>"$out/build.log" || {
	# without jansson: detection alone
	"$cc" -std=c11 -D_GNU_SOURCE -O1 -Iinclude -Isrc/lib -DEP_SMOKE_NO_CUDA -o "$out/detect" \
		tests/gpu/detect.c src/lib/gpu.c src/lib/buf.c src/lib/error.c src/lib/log.c \
		src/lib/strvec.c -ldl 2>>"$out/build.log"
}
echo "== nvidia-smi"
nvidia-smi --query-gpu=index,name,memory.total,compute_cap,driver_version --format=csv || true
echo "== ep detection"
"$out/detect" | tee "$out/detect.txt"

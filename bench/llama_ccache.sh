#!/usr/bin/env bash
# Real llama.cpp server target (CPU, from the pinned bundle) through
# `ensure`: a cold build with an empty ccache, then a fresh state directory
# (a fresh build tree) with that now-warm ccache, then a no-op ensure.
# Prints the three times and the cold/warm ratio. Takes ~10+ minutes on
# 2 cores. Uses a Release build of engine-provisioner in build-bench/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bdir=${EP_BENCH_BUILD_DIR:-$root/build-bench}
cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$bdir" --target engine-provisioner >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ep-llama-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
bundle=$("$root/scripts/llama-bundle.sh")
commit=$("$root/scripts/llama-bundle.sh" --commit)
echo "model" >"$tmp/model.gguf"
cat >"$tmp/c.yaml" <<C
pools:
  - id: llama-cpu
    engine: llamacpp
    model: bench
    devices: []
    provisioning:
      mode: source
      source: {repo: $bundle, ref: $commit, build: {cmake_flags: [-DGGML_CUDA=OFF]}}
      model: {ref: $tmp/model.gguf}
C
export CCACHE_DIR=$tmp/ccache
ms() { echo $(( ($2 - $1) / 1000000 )); }
t0=$(date +%s%N)
"$bdir/engine-provisioner" --state-dir "$tmp/cold" -q ensure --config "$tmp/c.yaml" >/dev/null
t1=$(date +%s%N)
"$bdir/engine-provisioner" --state-dir "$tmp/warm" -q ensure --config "$tmp/c.yaml" >/dev/null
t2=$(date +%s%N)
"$bdir/engine-provisioner" --state-dir "$tmp/warm" -q ensure --config "$tmp/c.yaml" >/dev/null
t3=$(date +%s%N)
cold=$(ms "$t0" "$t1") warm=$(ms "$t1" "$t2") noop=$(ms "$t2" "$t3")
echo "llama.cpp cold ensure (empty ccache, clone + configure + build + install): $cold ms"
echo "llama.cpp fresh build tree, warm ccache: $warm ms"
echo "llama.cpp no-op ensure: $noop ms"
awk -v c="$cold" -v w="$warm" 'BEGIN { printf "cold / warm-ccache ratio: %.1f\n", c / w }'
ccache --show-stats 2>/dev/null | grep -iE 'hit|miss' | head -4 || true

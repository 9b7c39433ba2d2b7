#!/usr/bin/env bash
# Ensure benchmarks on the fixture engine (tests/fixtures/engine-repo.sh):
#  1. no-op ensure of a built pool (median, child processes) against
#     `cmake --build` of the same up-to-date tree, in the same run;
#  2. plan-to-PreparedEngine for 8 pools sharing one entry against 8 pools
#     with 8 distinct entries (cold state each time).
# Uses a Release build (no sanitizers) in build-bench/. Prints figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bdir=${EP_BENCH_BUILD_DIR:-$root/build-bench}
cmake -S "$root" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$bdir" --target engine-provisioner bench_ensure >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ep-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$root/tests/fixtures/engine-repo.sh" "$tmp/fx" >/dev/null
echo "model" >"$tmp/model.gguf"
pool() { # ID FLAVOR
	cat <<P
  - id: $1
    engine: llamacpp
    model: fixture
    devices: []
    provisioning:
      mode: source
      source: {repo: $tmp/fx/repo, ref: v2, build: {cmake_flags: [-DFIX_FLAVOR=$2]}}
      model: {ref: $tmp/model.gguf}
      flags: [--metrics]
P
}
{ echo "pools:"; pool p1 plain; } >"$tmp/one.yaml"
"$bdir/bench/bench_ensure" --config "$tmp/one.yaml" --pool p1 --state-dir "$tmp/state1" \
	-n "${N:-50}" --cli "$bdir/engine-provisioner"

{ echo "pools:"; for i in 1 2 3 4 5 6 7 8; do pool "s$i" shared; done; } >"$tmp/shared.yaml"
{ echo "pools:"; for i in 1 2 3 4 5 6 7 8; do pool "d$i" "f$i"; done; } >"$tmp/distinct.yaml"
for kind in shared distinct; do
	state=$tmp/state-$kind
	# warm the mirror so both measure the same git work (none) and the builds
	"$bdir/engine-provisioner" --state-dir "$state" -q ensure --config "$tmp/one.yaml" >/dev/null
	start=$(date +%s%N)
	"$bdir/engine-provisioner" --state-dir "$state" -q ensure --config "$tmp/$kind.yaml" --all --json >/dev/null
	end=$(date +%s%N)
	echo "8 pools, $kind entries: plan-to-PreparedEngine $(( (end - start) / 1000000 )) ms ($(find "$state/store" -mindepth 1 -maxdepth 1 ! -name '.tmp-*' | wc -l) store entries)"
done

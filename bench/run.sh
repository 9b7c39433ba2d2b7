#!/usr/bin/env bash
# Runs the quick benchmarks against a release build and prints their figures;
# lists the longer ones (each prints its own figures and its baseline).
# usage: bench/run.sh [BUILD_DIR]   (default: build-bench, configured here)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" >/dev/null
echo "== plan of 1,000 pools (bench/bench_plan.py)"
python3 "$root/bench/bench_plan.py" "$build"
echo
echo "== no-op ensure and shared vs distinct entries (bench/ensure.sh)"
EP_BENCH_BUILD_DIR=$build N=${N:-50} "$root/bench/ensure.sh"
cat <<MORE

Longer benchmarks:
  bench/llama_ccache.sh                      real llama.cpp: cold build vs fresh tree with warm ccache
  bench/bench_download.sh $build 100 5   100 MB download+verify+install vs curl + sha256sum + bsdtar
  bench/bench_container.sh $build 20     no-op ensure of a pulled image vs podman pull
  bench/bench_container_docker.sh $build 20   the same with a private docker daemon (root)
  $build/bench/bench_up SERVER MODEL [ROUNDS]   up overhead vs a bare start of the same engine
  $build/bench/bench_config N            config load time for N pools
  $build/bench/bench_flags               flag normalization per pool
MORE

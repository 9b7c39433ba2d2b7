#!/usr/bin/env bash
# Runs every benchmark against a release build and prints its figures.
# usage: bench/run.sh [BUILD_DIR]   (default: build-bench, configured here)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" >/dev/null
for b in "$root"/bench/bench_*; do
  case "$b" in
    *.py) echo "== $(basename "$b")"; python3 "$b" "$build" ;;
    *.sh) echo "== $(basename "$b")"; bash "$b" "$build" ;;
  esac
done

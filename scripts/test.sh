#!/usr/bin/env bash
# Sets up and runs every test: installs the Debian packages, builds the
# library and the tool with AddressSanitizer and UndefinedBehaviorSanitizer
# (warnings as errors), and runs the whole ctest suite, the real llama.cpp
# build included. Pass ctest options after the command, e.g. `-L unit`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
build=${EP_TEST_BUILD_DIR:-$root/build-asan}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEP_WERROR=ON -DEP_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure -j "$(nproc)" "$@"

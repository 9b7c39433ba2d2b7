#!/usr/bin/env bash
# The demo: installs what is needed, builds engine-provisioner, then runs it on
# the example configs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
build=$root/build
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
ep=$build/engine-provisioner
$ep version

#!/usr/bin/env bash
# The demo: on a fresh Debian/Ubuntu machine, install what is needed, build
# engine-provisioner, then do the whole job on a built-in demo pool:
#   validate and plan the pool config, check the host (doctor),
#   provision llama.cpp's llama-server from the pinned source bundle
#   (CUDA for the detected GPU; a CPU engine when the host has none),
#   make a tiny test model, start the engine (up), send one completion
#   request, show the answer and status, and stop it (down).
# Everything it writes stays under .demo/ in the checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
build=$root/build
echo "== building engine-provisioner"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
ep=$build/engine-provisioner
demo=$root/.demo
mkdir -p "$demo"
export EP_STATE_DIR=$demo/state EP_RUNTIME_DIR=$demo/runtime

echo "== fetching the pinned llama.cpp source (node-llama-cpp's git bundle)"
bundle=$("$root/scripts/llama-bundle.sh")
commit=$("$root/scripts/llama-bundle.sh" --commit)
echo "   $bundle at $commit"

if [ ! -s "$demo/tiny.gguf" ]; then
  echo "== making a tiny random-weight llama model (llama.cpp's gguf-py and numpy)"
  rm -rf "$demo/llama-src"
  git clone -q "$bundle" "$demo/llama-src" 2>/dev/null
  git -C "$demo/llama-src" checkout -q "$commit"
  py=python3 # Debian's python3-numpy belongs to /usr/bin/python3, which may not be first on PATH
  for p in /usr/bin/python3 python3; do
    if "$p" -c 'import numpy' 2>/dev/null; then py=$p; break; fi
  done
  "$py" "$root/tests/fixtures/make-tiny-model.py" "$demo/llama-src" "$demo/tiny.gguf"
  rm -rf "$demo/llama-src"
fi

# GPU when the host has one (the engine is built for its architecture);
# otherwise, said clearly, a CPU engine: `devices: []` is how a pool asks for one.
if "$ep" doctor --json 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["gpu"]["devices"] else 1)'; then
  devices="[0]"
  echo "== an NVIDIA GPU is present: the demo pool uses GPU 0 (a CUDA build)"
else
  devices="[]"
  echo "== no NVIDIA GPU or driver on this host: the demo pool is a CPU engine (devices: [])"
fi

cat >"$demo/demo.yaml" <<YAML
pools:
  - id: demo
    engine: llamacpp
    model: tiny-random-llama
    devices: $devices
    ctx: 256
    provisioning:
      mode: source
      source:
        repo: $bundle
        ref: $commit
      model:
        ref: $demo/tiny.gguf
      ports: [18080]
      startup_timeout_s: 300
      flags: [--parallel, "1", --no-webui]
YAML

echo
echo "== validate"
"$ep" validate --config "$demo/demo.yaml"
echo
echo "== plan (no side effects)"
"$ep" plan --config "$demo/demo.yaml"
echo
echo "== doctor"
"$ep" doctor --config "$demo/demo.yaml" || true
echo
echo "== ensure (the first run builds llama-server: ~10 minutes on 2 cores, ~1 with a warm ccache)"
"$ep" ensure --config "$demo/demo.yaml"
echo
EP_BIN=$ep "$root/scripts/demo-run.sh" "$demo/demo.yaml" demo

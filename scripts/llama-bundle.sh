#!/usr/bin/env bash
# Prints the path of the pinned llama.cpp source bundle, fetching it first if
# needed. The bundle ships inside the npm package node-llama-cpp
# (llama/gitRelease.bundle); the package version and the bundle's sha256 are
# pinned here, so every test and the demo build the same llama.cpp commit.
set -euo pipefail
NLC_VERSION=3.22.1
BUNDLE_SHA256=5f5d1105d5df040738d87b8290e5d17e7362131cdcfdb0831618e0ea528b4a51
BUNDLE_COMMIT=de3ff815ea7d559ee917f063901b8986f038abc6

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${EP_LLAMA_CACHE:-$root/.cache/llama-bundle}
bundle=$dir/llama.cpp-$NLC_VERSION.bundle
if [ "${1:-}" = "--commit" ]; then echo "$BUNDLE_COMMIT"; exit 0; fi
if [ ! -f "$bundle" ] || ! echo "$BUNDLE_SHA256  $bundle" | sha256sum -c --quiet - 2>/dev/null; then
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/tmp.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null)
  tar -xzf "$tmp/node-llama-cpp-$NLC_VERSION.tgz" -C "$tmp" package/llama/gitRelease.bundle
  echo "$BUNDLE_SHA256  $tmp/package/llama/gitRelease.bundle" | sha256sum -c --quiet -
  mv "$tmp/package/llama/gitRelease.bundle" "$bundle"
fi
echo "$bundle"

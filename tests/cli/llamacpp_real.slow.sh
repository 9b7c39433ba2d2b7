#!/usr/bin/env bash
# The real llama.cpp, from the pinned node-llama-cpp bundle
# (scripts/llama-bundle.sh), built in CPU mode (devices: []) through
# `ensure`: build_ref is the bundle's commit, the store's llama-server runs
# after the build tree is deleted, a second ensure runs no git or cmake,
# and tests/fixtures/check-help.sh (when present) accepts the binary.
# A cold build takes ~10 minutes on 2 cores; ccache makes reruns quick.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"

. "$FIXTURES/llama_real.sh"
echo "not a model" >"$T_TMP/model.gguf"
llama_pool llama-cpu "$T_TMP/model.gguf" >"$T_TMP/c.yaml"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "llama.cpp builds from the bundle"
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$OUT" "$1" 2>/dev/null || true; }
expect_in "$(field build_ref)" "$COMMIT" "build_ref is the bundle's commit"
BIN=$(field binary_path)
FIRST=$OUT
rm -rf "$EP_STATE_DIR/builds" # only this test deletes it, after the build
run "$BIN" --version
expect_rc 0 "the store's llama-server runs without its build tree"
expect_in "$OUT$ERR" "version: " "and prints its version"
expect_in "$OUT$ERR" "${COMMIT:0:7}" "of the pinned commit"

mkdir -p "$T_TMP/wrap"
for t in git cmake ninja; do
	printf '#!/bin/sh\necho %s >>"%s"\nexit 1\n' "$t" "$T_TMP/ran" >"$T_TMP/wrap/$t"
	chmod +x "$T_TMP/wrap/$t"
done
PATH="$T_TMP/wrap:$PATH" run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "second ensure"
if [ -e "$T_TMP/ran" ]; then not_ok "second ensure ran $(tr '\n' ' ' <"$T_TMP/ran")"; else ok "second ensure ran no git, cmake or ninja"; fi
if [ "$OUT" = "$FIRST" ]; then ok "same PreparedEngine"; else not_ok "PreparedEngine changed"; fi

if [ -x "$EP_SOURCE_DIR/tests/fixtures/check-help.sh" ]; then
	run "$EP_SOURCE_DIR/tests/fixtures/check-help.sh" "$BIN"
	expect_rc 0 "check-help.sh accepts the built llama-server"
fi
finish

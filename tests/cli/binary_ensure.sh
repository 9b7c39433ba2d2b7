#!/usr/bin/env bash
# Binary and external modes through the command a user runs: `ensure`
# refuses a download without allow_binary_downloads (exit 4, naming the
# key), downloads, verifies and installs a release archive over https
# from the loopback server, reports the PreparedEngine, and a second
# ensure downloads nothing; a wrong checksum is exit 6 with nothing in
# the store; external mode describes a binary that exists.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/binary_env.sh"

export EP_CA_FILE="$CA"
echo "not a model" >"$T_TMP/model.gguf"
ZIP="$WWW/llama-release.zip"
SUM=$(sha_of "$ZIP")

# bin_pool FILE ALLOW CHECKSUM
bin_pool() {
	cat >"$1" <<Y
pools:
  - id: rel
    engine: llamacpp
    model: tiny
    devices: []
    provisioning:
      mode: binary
      allow_binary_downloads: $2
      binary:
        url: https://127.0.0.1:$HTTPS/files/llama-release.zip
        checksum: "$3"
      model: {ref: $T_TMP/model.gguf}
Y
}

bin_pool "$T_TMP/deny.yaml" false "$SUM"
run "$EP_BIN" ensure --config "$T_TMP/deny.yaml" --json
expect_rc 4 "a download without the policy is refused"
expect_in "$ERR" "allow_binary_downloads" "the error names the key to set"
expect_in "$(count /files/llama-release.zip)" "0" "and nothing was requested"

bin_pool "$T_TMP/ok.yaml" true "$SUM"
run "$EP_BIN" ensure --config "$T_TMP/ok.yaml" --json
expect_rc 0 "ensure downloads, verifies and installs the release"
expect_in "$OUT" '"provisioning_mode":"binary"' "PreparedEngine says binary mode"
expect_in "$OUT" "\"engine_digest\":\"$(sha_of "$FIXTURES/llama-server-fixture.sh")\"" "engine_digest is the binary's sha256"
expect_in "$OUT" '"engine_version":"b1 (abc1234)"' "engine_version is what the binary reports"
expect_in "$OUT" '"model_path":"'"$T_TMP"'/model.gguf"' "the model is resolved"
FIRST=$OUT
run "$EP_BIN" ensure --config "$T_TMP/ok.yaml" --json
expect_rc 0 "second ensure"
expect_in "$(count /files/llama-release.zip)" "1" "a second ensure downloads nothing"
[ "$OUT" = "$FIRST" ] && ok "same inputs, same PreparedEngine" || not_ok "PreparedEngine changed"

bin_pool "$T_TMP/bad.yaml" true "sha256:$(printf '0%.0s' $(seq 64))"
rm -rf "$EP_STATE_DIR/store" "$EP_STATE_DIR/downloads"
run "$EP_BIN" ensure --config "$T_TMP/bad.yaml" --json
expect_rc 6 "a wrong checksum is refused"
expect_in "$ERR" "$SUM" "the error names the actual digest"
[ -z "$(ls -A "$EP_STATE_DIR/store" 2>/dev/null)" ] && ok "nothing in the store" || not_ok "store: $(ls -A "$EP_STATE_DIR/store")"

cat >"$T_TMP/ext.yaml" <<Y
pools:
  - id: ext
    engine: llamacpp
    model: tiny
    devices: []
    provisioning:
      mode: external
      external: {path: $FIXTURES/llama-server-fixture.sh}
      model: {ref: $T_TMP/model.gguf}
Y
run "$EP_BIN" ensure --config "$T_TMP/ext.yaml" --json
expect_rc 0 "external mode describes an existing binary"
expect_in "$OUT" '"provisioning_mode":"external"' "PreparedEngine says external"
expect_in "$OUT" "\"engine_digest\":\"$(sha_of "$FIXTURES/llama-server-fixture.sh")\"" "its digest is computed"
finish

#!/usr/bin/env bash
# A full disk during ensure: the state directory is a small tmpfs (mounted
# in a private mount namespace, so nothing outside the test sees it) and a
# binary-mode release is downloaded into it. Running out of space while
# downloading, and while unpacking, each give an error naming the path and
# the cause, and leave no store entry and no temporary behind (a partial
# download that filled the disk is deleted; a whole, verified one is kept);
# with room again, the same ensure succeeds.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/binary_env.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "ok - SKIP disk full: needs root and unshare -m to mount a small tmpfs privately"
	finish
	exit 0
fi
export EP_CA_FILE="$CA"
python3 "$FIXTURES/make_archives.py" release "$T_TMP/big" "$FIXTURES/llama-server-fixture.sh" --pad-mb 3
cp "$T_TMP/big/llama-release.tar.gz" "$WWW/big.tar.gz"
echo "not a model" >"$T_TMP/model.gguf"
cat >"$T_TMP/big.yaml" <<Y
pools:
  - id: big
    engine: llamacpp
    model: tiny
    devices: []
    provisioning:
      mode: binary
      allow_binary_downloads: true
      binary:
        url: https://127.0.0.1:$HTTPS/files/big.tar.gz
        checksum: "$(sha_of "$WWW/big.tar.gz")"
      model: {ref: $T_TMP/model.gguf}
Y
ST=$T_TMP/st
mkdir -p "$ST"
# in_tmpfs SIZE: ensure with the state directory on a SIZE tmpfs; sets OUT, ERR, RC and
# FILES (what is left in the state directory, relative, catalog and locks aside)
in_tmpfs() {
	set +e
	unshare -m sh -c '
		mount -t tmpfs -o size="$1" tmpfs "$2" || exit 99
		EP_STATE_DIR="$2" "$3" ensure --config "$4" >"$5/out" 2>"$5/err"
		echo $? >"$5/rc"
		cd "$2" && find . -type f ! -path "./locks/*" ! -name "catalog.db*" ! -path "./proofs/*" | sort >"$5/files"
	' sh "$1" "$ST" "$EP_BIN" "$T_TMP/big.yaml" "$T_TMP"
	set -e
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	RC=$(cat "$T_TMP/rc")
	FILES=$(cat "$T_TMP/files")
}

in_tmpfs 1m
expect_rc 1 "out of space while downloading"
expect_in "$ERR" "No space left on device" "the cause is named"
expect_in "$ERR" "$ST/" "and the path"
expect_in "$ERR" "deleted it to give the space back" "the partial download is deleted, and it says so"
[ -z "$FILES" ] && ok "nothing is left in the state directory" || not_ok "left: $FILES"

in_tmpfs 4500k
expect_rc 1 "out of space while unpacking"
expect_in "$ERR" "No space left on device" "the cause is named"
expect_not_in "$FILES" "store/" "no store entry"
expect_not_in "$FILES" ".tmp" "no temporary is left"
[ "$FILES" = "./downloads/$(sha_of "$WWW/big.tar.gz" | cut -d: -f2)" ] && ok "only the whole, verified download is kept (for the next try)" || not_ok "left: $FILES"

in_tmpfs 32m
expect_rc 0 "with room, the same ensure succeeds"
expect_in "$FILES" "store/" "and installs the engine"

finish

#!/usr/bin/env bash
# libcurl, libarchive and libcrypto are loaded on first use, not at start:
# the tool is not linked against them, version/validate/plan never map them
# (the dynamic loader's own trace says so) and work where they are missing;
# a download, an unpack or a digest without them fails naming the library
# and the package, and a library without the entry points is refused by name.
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
set -e
cd "$T_TMP"
DRIVER="$EP_BINARY_DIR/tests/lib/ep-binary-driver"
cfg=$EP_SOURCE_DIR/examples/all-pools.yaml
bin_cfg=$EP_SOURCE_DIR/examples/llamacpp-binary.yaml

needed=$(ldd "$EP_BIN")
expect_not_in "$needed" "libcurl" "the tool is not linked against libcurl"
expect_not_in "$needed" "libarchive" "the tool is not linked against libarchive"
expect_not_in "$needed" "libcrypto" "the tool is not linked against libcrypto"

# LD_DEBUG=files: one line per object the loader maps, dlopen'ed ones included.
for args in "version" "validate --config $cfg" "plan --config $cfg --all --json" \
	"plan --config $bin_cfg --all --json"; do
	run env LD_DEBUG=files "$EP_BIN" $args
	expect_rc 0 "$args"
	expect_not_in "$ERR" "libcurl" "$args maps no libcurl"
	expect_not_in "$ERR" "libarchive" "$args maps no libarchive"
	expect_not_in "$ERR" "libcrypto" "$args maps no libcrypto"
	run env EP_CURL_LIBRARY=libep-missing.so.0 EP_ARCHIVE_LIBRARY=libep-missing.so.0 \
		EP_CRYPTO_LIBRARY=libep-missing.so.0 "$EP_BIN" $args
	expect_rc 0 "$args without any of the three"
done

# A download needs libcurl (the URL parser is the first user).
run env EP_CURL_LIBRARY=libep-missing.so.0 "$DRIVER" download "http://127.0.0.1:9/x.zip" \
	"$T_TMP/x.zip" "sha256:$(printf '%064d' 0)"
expect_rc 5 "a download without libcurl is a preflight failure"
expect_in "$ERR" "cannot load libcurl 'libep-missing.so.0' (named by EP_CURL_LIBRARY)" \
	"the message names the library and the variable"
expect_in "$ERR" "install it with: apt-get install libcurl4" "the message names the package"

# A library that loads but is not libcurl.
run env EP_CURL_LIBRARY=libarchive.so.13 "$DRIVER" download "http://127.0.0.1:9/x.zip" \
	"$T_TMP/x.zip" "sha256:$(printf '%064d' 0)"
expect_rc 5 "a library without libcurl's entry points is refused"
expect_in "$ERR" "libcurl 'libarchive.so.13' (named by EP_CURL_LIBRARY) has no 'curl_global_init'" \
	"the message names the missing entry point"

# Unpacking needs libarchive; with it, the same archive unpacks.
mkdir -p src tree
echo hello >src/hello.txt
tar -czf a.tar.gz -C src hello.txt
run env EP_ARCHIVE_LIBRARY=libep-missing.so.0 "$DRIVER" extract a.tar.gz tree
expect_rc 5 "an unpack without libarchive is a preflight failure"
expect_in "$ERR" "cannot load libarchive 'libep-missing.so.0'" "the message names libarchive"
expect_in "$ERR" "apt-get install libarchive13" "the message names its package"
run env LD_DEBUG=files "$DRIVER" extract a.tar.gz tree
expect_rc 0 "the default libarchive unpacks"
expect_in "$ERR" "libarchive.so.13" "it was loaded at run time"
[ "$(cat tree/hello.txt)" = hello ] && ok "the file came out" || not_ok "hello.txt"

# An external engine's digest needs libcrypto; with it, the digest is made.
FAKE=$EP_BINARY_DIR/tests/lib/ep_fake_engine
run env EP_CRYPTO_LIBRARY=libep-missing.so.0 "$DRIVER" ensure-external "$FAKE"
expect_rc 5 "a digest without libcrypto is a preflight failure"
expect_in "$ERR" "cannot load libcrypto 'libep-missing.so.0' (named by EP_CRYPTO_LIBRARY), needed for sha256 digests" \
	"the message names libcrypto and the variable"
expect_in "$ERR" "apt-get install libssl3" "the message names its package"
run env LD_DEBUG=files "$DRIVER" ensure-external "$FAKE"
expect_rc 0 "the default libcrypto makes the digest"
expect_in "$ERR" "libcrypto.so.3" "it was loaded at run time"
expect_in "$OUT" "engine_digest=sha256:$(sha256sum "$FAKE" | cut -d' ' -f1)" "the digest is right"

finish

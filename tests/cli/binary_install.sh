#!/usr/bin/env bash
# Binary mode end to end: release archives (zip, tar.gz, tar.xz, tar.zst)
# downloaded from the loopback server, unpacked, the engine found and run,
# installed into the store; a second install downloads nothing; the policy
# key; hostile archives refused with the store and a sentinel untouched;
# external mode on a path and on a running URL.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/binary_env.sh"

export EP_CA_FILE="$CA"
base="https://127.0.0.1:$HTTPS"
ST="$EP_STATE_DIR"
mkdir -p "$ST"
ENGINE_SHA=$(sha_of "$FIXTURES/llama-server-fixture.sh")

# store_clean: no entry and no staging left in the store
store_clean() {
	local n
	n=$(find "$ST/store" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	[ "$n" -eq 0 ]
}

ZIP="$WWW/llama-release.zip"
run "$DRIVER" install "$ST" "$base/files/llama-release.zip" "$(sha_of "$ZIP")"
expect_rc 0 "install from a release zip over https"
expect_in "$OUT" "version=b1 (abc1234)" "engine_version is what the binary reports"
expect_in "$OUT" "digest=$ENGINE_SHA" "engine_digest is the binary's sha256"
expect_in "$OUT" "reused=0" "first install is fresh"
bin=$(sed -n 's/^binary=//p' <<<"$OUT")
case "$bin" in "$ST/store/"*/tree/*/llama-server) ok "the binary is in the store" ;;
*) not_ok "binary path '$bin'" ;; esac
"$bin" --version 2>&1 | grep 'version: 1' >/dev/null && ok "the installed binary runs" || not_ok "binary"
[ -e "$ST/downloads/$(sha_of "$ZIP" | cut -c8-)" ] && ok "the download is cached by checksum" ||
	not_ok "download cache"
ls -a "$ST/store" | grep -q '^\.tmp-' && not_ok "staging left" || ok "no staging left"

run "$DRIVER" install "$ST" "$base/files/llama-release.zip" "$(sha_of "$ZIP")"
expect_rc 0 "second install"
expect_in "$OUT" "reused=1" "the store entry is reused"
expect_in "$OUT" "attempts=0" "nothing downloaded"
expect_in "$(count /files/llama-release.zip)" "1" "the server saw one request in all"

# Four processes released together install the same archive: one download.
CST="$T_TMP/cstate"
mkdir -p "$CST"
TXZ="$WWW/llama-release.tar.xz"
pids=()
for i in 1 2 3 4; do
	"$DRIVER" install "$CST" "$base/cut/llama-release.tar.xz" "$(sha_of "$TXZ")" --backoff 10 \
		>"$T_TMP/c$i.out" 2>&1 &
	pids+=($!)
done
crc=0
for p in "${pids[@]}"; do wait "$p" || crc=1; done
[ "$crc" -eq 0 ] && ok "concurrent installs all succeed" || not_ok "a concurrent install failed"
expect_in "$(count /cut/llama-release.tar.xz)" "2" "one download in all (cut once, resumed once)"
[ "$(cat "$T_TMP"/c*.out | grep -c 'reused=0')" -eq 1 ] && ok "exactly one process installed" ||
	not_ok "more than one install"

run "$DRIVER" install "$T_TMP/pstate" "$base/files/llama-release.zip" "$(sha_of "$ZIP")" --progress
expect_rc 0 "install with a progress display"
expect_in "$ERR" "downloading:" "the progress line is drawn"

for ext in tar.gz tar.xz tar.zst; do
	f="$WWW/llama-release.$ext"
	[ -f "$f" ] || continue
	run "$DRIVER" install "$ST" "$base/files/llama-release.$ext" "$(sha_of "$f")"
	expect_rc 0 "install from a release .$ext"
	expect_in "$OUT" "digest=$ENGINE_SHA" ".$ext: same engine digest"
done

run "$DRIVER" ensure-binary "$ST" "$base/files/llama-release.zip" "$(sha_of "$ZIP")"
expect_rc 4 "binary mode without allow_binary_downloads"
expect_in "$ERR" "allow_binary_downloads: true" "the error names the key to set"
run "$DRIVER" ensure-binary "$ST" "$base/files/llama-release.zip" "$(sha_of "$ZIP")" --allow
expect_rc 0 "binary mode with allow_binary_downloads"
expect_in "$OUT" "provisioning_mode=binary" "provisioning_mode binary"
expect_in "$OUT" "engine_version=b1 (abc1234)" "ensure reports the version"
expect_in "$OUT" "engine_digest=$ENGINE_SHA" "ensure reports the digest"
run "$DRIVER" ensure-binary "$ST" "$base/files/llama-release.zip" "not-a-checksum" --allow
expect_rc 3 "a malformed checksum is a config error"

# Killed mid-download (SIGKILL): the next run resumes the partial file.
KST="$T_TMP/kstate"
TGZ="$WWW/llama-release.tar.gz"
KSHA=$(sha_of "$TGZ")
mkdir -p "$KST"
"$DRIVER" install "$KST" "$base/stall/llama-release.tar.gz" "$KSHA" --stall 60 >/dev/null 2>&1 &
kpid=$!
part="$KST/downloads/${KSHA#sha256:}.partial"
for _ in $(seq 300); do [ -s "$part" ] && break; sleep 0.1; done
kill -9 "$kpid" 2>/dev/null || true
wait "$kpid" 2>/dev/null || true
[ -s "$part" ] && ok "a killed download leaves its partial file" || not_ok "no partial after kill"
run "$DRIVER" install "$KST" "$base/files/llama-release.tar.gz" "$KSHA"
expect_rc 0 "the next run succeeds with no repair"
expect_not_in "$OUT" "resumed_from=0" "it resumed the partial file"
ls -a "$KST/store" | grep -q '^\.tmp-' && not_ok "staging left" || ok "no staging left after the kill"

# An archive without the engine binary.
mkdir -p "$T_TMP/noengine/x" && echo hi >"$T_TMP/noengine/x/readme"
tar -C "$T_TMP/noengine" -czf "$WWW/noengine.tar.gz" x
run "$DRIVER" install "$ST" "$base/files/noengine.tar.gz" "$(sha_of "$WWW/noengine.tar.gz")"
expect_rc 11 "an archive without llama-server"
expect_in "$ERR" "has no file named 'llama-server'" "says what is missing"

# Hostile archives, from a second state directory whose store starts empty.
ST="$T_TMP/hstate"
mkdir -p "$ST" "$T_TMP/hostile"
python3 "$FIXTURES/make_archives.py" hostile "$T_TMP/hostile" --up 3 --bomb-mb 64
echo "sentinel" >"$ST/sentinel"
for a in dotdot.tar absolute.tar symlink-out.tar symlink-abs.tar symlink-chain.tar \
	hardlink-out.tar device.tar fifo.tar setuid.tar bomb.tar.gz truncated.tar.gz \
	zip-dotdot.zip zip-symlink-out.zip; do
	run "$DRIVER" install "$ST" "$T_TMP/hostile/$a" "$(sha_of "$T_TMP/hostile/$a")"
	if [ "$a" = truncated.tar.gz ]; then expect_rc 12 "$a refused as damaged"; else
		expect_rc 13 "$a refused"
	fi
	expect_in "$ERR" "archive '" "$a: the error names the archive"
	[ "$(cat "$ST/sentinel")" = "sentinel" ] && [ "$(stat -c %h "$ST/sentinel")" = 1 ] &&
		ok "$a: sentinel unchanged" || not_ok "$a: sentinel changed"
	store_clean && ok "$a: nothing left in the store" || not_ok "$a: store not clean"
done
[ ! -e /tmp/ep-absolute-pwned ] && [ ! -e /tmp/ep-symlink-pwned ] && ok "nothing written in /tmp" ||
	not_ok "a file escaped to /tmp"
run "$DRIVER" install "$ST" "$T_TMP/hostile/bomb.tar.gz" "$(sha_of "$T_TMP/hostile/bomb.tar.gz")"
expect_in "$ERR" "decompression bomb" "the bomb is named as such"

# External mode.
run "$DRIVER" ensure-external "$FIXTURES/llama-server-fixture.sh"
expect_rc 0 "external mode with a binary path"
expect_in "$OUT" "provisioning_mode=external" "provisioning_mode external"
expect_in "$OUT" "engine_version=b1 (abc1234)" "external binary version"
expect_in "$OUT" "engine_digest=$ENGINE_SHA" "external binary digest"
run "$DRIVER" ensure-external "$T_TMP/no-such-engine"
expect_rc 11 "external path that does not exist"
run "$DRIVER" ensure-external "$FIXTURES/make_archives.py.missing"
expect_rc 11 "external path missing"
run "$DRIVER" ensure-external "$FIXTURES/faultserver.py"
expect_rc 12 "external path that reports no version"
run "$DRIVER" ensure-external "http://127.0.0.1:$HTTP"
expect_rc 0 "external mode with a running URL"
expect_in "$OUT" "engine_version=b1 (abc1234)" "version from /props"
expect_in "$(count /health)" "1" "/health probed"
run "$DRIVER" ensure-external "http://127.0.0.1:$HTTP/loading"
expect_rc 15 "an engine still loading"
expect_in "$ERR" "not healthy" "says it is not healthy"

finish

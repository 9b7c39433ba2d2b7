#!/usr/bin/env bash
# Verified downloads against a real fault-injecting server on 127.0.0.1:
# TLS, checksum mismatch, 404, 503/429 with Retry-After, a cut connection
# resumed with Range, a server that ignores Range, stalls, oversized bodies,
# an https->http redirect, the URL policy, local sources and the cache.
set -euo pipefail
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
. "$FIXTURES/binary_env.sh"

TGZ="$WWW/llama-release.tar.gz"
SHA=$(sha_of "$TGZ")
BAD="sha256:$(printf '0%.0s' $(seq 64))"
DL="$T_TMP/dl"
mkdir -p "$DL"
export EP_CA_FILE="$CA"
base="https://127.0.0.1:$HTTPS"

run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/a" "$SHA"
expect_rc 0 "https download of a good archive"
expect_in "$OUT" "attempts=1 " "one request"
expect_in "$ERR" "downloaded and verified" "narrated with size and requests"
[ "$(sha_of "$DL/a")" = "$SHA" ] && ok "the file is in place and verified" || not_ok "file differs"
[ ! -e "$DL/a.partial" ] && ok "no partial file left" || not_ok "partial left"

run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/a" "$SHA"
expect_rc 0 "second download"
expect_in "$OUT" "cached=1" "the cached file is re-verified and used"
expect_in "$(count /files/llama-release.tar.gz)" "1" "no second request"

EP_CA_FILE= run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/notrust" "$SHA"
expect_rc 7 "an untrusted certificate fails"
expect_in "$ERR" "TLS failure" "the error says TLS"
expect_not_in "$ERR" "retrying" "TLS errors are not retried"

run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/bad" "$BAD"
expect_rc 12 "a wrong checksum"
expect_in "$ERR" "checksum mismatch for '$base/files/llama-release.tar.gz'" "names the URL"
expect_in "$ERR" "expected $BAD, got $SHA" "names expected and actual"
[ ! -e "$DL/bad" ] && [ ! -e "$DL/bad.partial" ] && ok "the bytes were deleted" ||
	not_ok "bytes left after a mismatch"

run "$DRIVER" download "$base/404/llama-release.tar.gz" "$DL/404" "$SHA"
expect_rc 7 "404"
expect_in "$ERR" "server answered 404" "names the status"
expect_in "$(count /404/llama-release.tar.gz)" "1" "404: exactly one request"

for code in 503 429; do
	run "$DRIVER" download "$base/$code/llama-release.tar.gz" "$DL/$code" "$SHA"
	expect_rc 0 "$code then 200"
	expect_in "$(count /$code/llama-release.tar.gz)" "2" "$code: exactly two requests"
	expect_in "$ERR" "retrying in 1000 ms" "$code: Retry-After honoured"
done

run "$DRIVER" download "$base/always503/llama-release.tar.gz" "$DL/a503" "$SHA" --attempts 3 \
	--retry-after-cap 0 --backoff 10
expect_rc 7 "a server that always answers 503"
expect_in "$ERR" "gave up after 3 attempts" "bounded retries"
expect_in "$(count /always503/llama-release.tar.gz)" "3" "always 503: exactly three requests"

run "$DRIVER" download "$base/cut/llama-release.tar.gz" "$DL/cut" "$SHA" --backoff 10
expect_rc 0 "a connection cut at half, then resumed"
expect_in "$OUT" "attempts=2 " "two requests"
expect_not_in "$OUT" "resumed_from=0 " "the second request resumed with Range"
[ "$(sha_of "$DL/cut")" = "$SHA" ] && ok "resumed file verified whole" || not_ok "resumed file differs"

head -c 100 "$TGZ" >"$DL/norange.partial"
run "$DRIVER" download "$base/norange/llama-release.tar.gz" "$DL/norange" "$SHA"
expect_rc 0 "a server that ignores Range"
expect_in "$OUT" "restarts=1" "the partial was discarded and the file started over"
[ "$(sha_of "$DL/norange")" = "$SHA" ] && ok "restarted file verified" || not_ok "restart differs"

head -c 100 /dev/urandom >"$DL/garbage.partial"
run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/garbage" "$SHA"
expect_rc 12 "a damaged partial file fails the whole-file hash after resume"
[ ! -e "$DL/garbage.partial" ] && ok "a hash failure deletes the partial" || not_ok "partial kept"
run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/garbage" "$SHA"
expect_rc 0 "a re-run then succeeds"

run "$DRIVER" download "$base/stall/llama-release.tar.gz" "$DL/stall" "$SHA" --stall 1 \
	--attempts 2 --backoff 10
expect_rc 7 "a stalled body"
expect_in "$ERR" "gave up after 2 attempts" "stalls are retried, boundedly"
[ -e "$DL/stall.partial" ] && ok "a network failure keeps the partial" || not_ok "partial lost"
run "$DRIVER" download "$base/stallonce/llama-release.tar.gz" "$DL/stallonce" "$SHA" --stall 1 \
	--backoff 10
expect_rc 0 "a stall, then a resumed download"

run "$DRIVER" download "$base/files/llama-release.tar.gz" "$DL/big" "$SHA" --max-bytes 100
expect_rc 7 "a body over the size cap (Content-Length)"
expect_in "$ERR" "exceeds the size cap of 100 bytes" "names the cap"
run "$DRIVER" download "$base/nolength/llama-release.tar.gz" "$DL/big2" "$SHA" --max-bytes 100
expect_rc 7 "a body over the size cap (no Content-Length)"
[ ! -e "$DL/big2.partial" ] && [ ! -e "$DL/big2" ] && ok "nothing kept" || not_ok "oversize kept"

run "$DRIVER" download "$base/redirect-http/llama-release.tar.gz" "$DL/redir" "$SHA"
expect_rc 13 "an https->http redirect"
expect_in "$ERR" "redirects to 'http://127.0.0.1:$HTTP/files/" "names the redirect"
expect_in "$(count /redirect-http/llama-release.tar.gz)" "1" "one request, not retried"

run "$DRIVER" download "http://example.com/llama.zip" "$DL/x" "$SHA"
expect_rc 13 "plain http to a non-loopback host"
expect_in "$ERR" "use https" "says what to use"
run "$DRIVER" download "ftp://127.0.0.1/llama.zip" "$DL/x" "$SHA"
expect_rc 13 "an ftp URL"

run "$DRIVER" download "http://127.0.0.1:$HTTP/files/llama-release.tar.gz" "$DL/loop" "$SHA"
expect_rc 0 "plain http to loopback"
run "$DRIVER" download "http://localhost:$HTTP/files/llama-release.tar.gz" "$DL/loop2" "$SHA"
expect_rc 0 "plain http to localhost"

run "$DRIVER" download "file://$TGZ" "$DL/file" "$SHA"
expect_rc 0 "a file: URL"
run "$DRIVER" download "$TGZ" "$DL/path" "$SHA"
expect_rc 0 "a local path"
run "$DRIVER" download "file://$WWW/missing.zip" "$DL/missing" "$SHA"
expect_rc 11 "a missing local file"

run "$DRIVER" download "$base/files/llama-release.zip" "$DL/off" "$(sha_of "$WWW/llama-release.zip")" \
	--offline
expect_rc 7 "offline and not cached"
expect_in "$ERR" "offline" "says it is offline"

finish

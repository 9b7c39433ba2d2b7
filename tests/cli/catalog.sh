#!/usr/bin/env bash
# catalog list/show/lock and gc against a state directory populated through
# the library (ep-catalog-fixture), with a real SQLite catalog.
set -eu
. "$EP_SOURCE_DIR/tests/cli_lib.sh"
FIX="$EP_BINARY_DIR/tests/lib/ep-catalog-fixture"
S="$EP_STATE_DIR"

K0=00000000000000000000000000000000 # pool a, an older run
K1=11111111111111111111111111111111 # pool a, current
K2=22222222222222222222222222222222 # pool b, current
K3=33333333333333333333333333333333 # pinned by a lock only
K4=44444444444444444444444444444444 # unreferenced, in use
K5=55555555555555555555555555555555 # unreferenced
SHA1=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
SHA2=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb

pool() { # id ref
	printf '{"id": "%s", "engine": "llamacpp", "model": "m.gguf", "devices": [],
	  "provisioning": {"mode": "source", "source": {"repo": "/src/fixture", "ref": "%s"}}}' "$1" "$2"
}
printf '{"pools": [%s, %s]}\n' "$(pool a v1)" "$(pool b main)" >"$T_TMP/ab.json"
printf '{"pools": [%s, %s, %s]}\n' "$(pool a v1)" "$(pool b main)" "$(pool c v2)" >"$T_TMP/abc.json"

run "$EP_BIN" catalog list
expect_rc 0 "list on an empty catalog"
run "$EP_BIN" catalog
expect_rc 2 "catalog without a subcommand"
run "$EP_BIN" catalog lock
expect_rc 2 "lock without --config"
expect_in "$ERR" "--config FILE" "lock says what it needs"

"$FIX" "$S" entry $K0 source $SHA1 sha256:00 1000
"$FIX" "$S" entry $K1 source $SHA1 sha256:11 2000
"$FIX" "$S" entry $K2 source $SHA2 sha256:22 2000
"$FIX" "$S" entry $K3 source $SHA2 sha256:33 2000
"$FIX" "$S" entry $K4 source $SHA2 sha256:44 2000
"$FIX" "$S" entry $K5 source - sha256:55 3000
"$FIX" "$S" run a $K0 built
"$FIX" "$S" run a $K1 reused
"$FIX" "$S" run b $K2 built
"$FIX" "$S" run b - "failed: build"

run "$EP_BIN" catalog list
expect_rc 0 "list"
expect_in "$OUT" "$K1  llamacpp   source     aaaaaaaaaaaa" "list shows key, engine, mode, build ref"
[ "$(printf '%s\n' "$OUT" | grep -c '^[0-9]\{32\} ')" -eq 6 ] && ok "list shows 6 engines" || not_ok "list shows 6 engines: $OUT"
run "$EP_BIN" catalog list --json
expect_rc 0 "list --json"
n=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" = 6 ] && ok "list --json is a JSON array of 6" || not_ok "list --json: $n"

run "$EP_BIN" catalog show $K1
expect_rc 0 "show"
expect_in "$OUT" "build_ref:      $SHA1" "show has the build ref"
expect_in "$OUT" "engine_digest:  sha256:11" "show has the digest"
expect_in "$OUT" " a                    reused" "show lists the key's runs"
run "$EP_BIN" catalog show 2222 --json
expect_rc 0 "show by prefix, --json"
v=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["key"], d["inputs"]["ref"], d["runs"][0]["outcome"])')
[ "$v" = "$K2 v1 built" ] && ok "show --json has the inputs and the runs" || not_ok "show --json: $v"
run "$EP_BIN" catalog show ffff
expect_rc 1 "show an unknown key"
expect_in "$ERR" "no engine 'ffff' in the catalog" "show names the missing key"

run "$EP_BIN" catalog lock --config "$T_TMP/abc.json"
expect_rc 1 "lock with a pool never prepared"
expect_in "$ERR" "pool 'c' not prepared" "lock names the unprepared pool"
[ -z "$OUT" ] && ok "nothing written on failure" || not_ok "partial lock written"
run "$EP_BIN" catalog lock --config "$T_TMP/ab.json"
expect_rc 0 "lock"
printf '%s\n' "$OUT" >"$T_TMP/engines.lock"
v=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(p["pool_id"]+":"+p["commit"][:4]+":"+p["store_key"][:4]+":"+p["ref"] for p in d["pools"]))' "$T_TMP/engines.lock")
[ "$v" = "a:aaaa:1111:v1 b:bbbb:2222:main" ] && ok "lock pins commit, key and ref per pool" || not_ok "lock content: $v"
run "$EP_BIN" catalog lock --config "$T_TMP/ab.json"
[ "$OUT" = "$(cat "$T_TMP/engines.lock")" ] && ok "lock is byte-identical on a second run" || not_ok "lock differs"
printf '{"version": 1, "pools": [{"pool_id": "z", "store_key": "%s"}]}\n' $K3 >"$T_TMP/k3.lock"

run "$EP_BIN" gc
expect_rc 2 "gc without a config or lock"
run "$EP_BIN" gc --lock "$T_TMP/missing.lock"
expect_rc 1 "gc with a missing lock file"

"$FIX" "$S" hold store-$K4 "$T_TMP/ready" "$T_TMP/release" &
holder=$!
for _ in $(seq 600); do [ -e "$T_TMP/ready" ] && break; sleep 0.05; done

run "$EP_BIN" gc --config "$T_TMP/ab.json" --lock "$T_TMP/k3.lock" --dry-run
expect_rc 0 "gc --dry-run"
expect_in "$OUT" "would remove store entry $K0 (1000 bytes)" "dry run names an old entry"
expect_in "$OUT" "would remove 4 entries, would free 4000 bytes" "dry run totals"
[ -d "$S/store/$K0" ] && [ -d "$S/builds/$K5" ] && ok "dry run removed nothing" || not_ok "dry run removed files"

run "$EP_BIN" gc --config "$T_TMP/ab.json" --lock "$T_TMP/k3.lock"
expect_rc 0 "gc"
expect_in "$OUT" "removed store entry $K5 (2.9 KiB)" "gc reports a removal with its size"
expect_in "$OUT" "removed build entry $K0" "gc removes an old build tree"
expect_in "$OUT" "kept store entry $K4: lock 'store-$K4' is held by pid $holder" "gc keeps an entry in use"
expect_in "$OUT" "removed 4 entries, freed 4000 bytes (3.9 KiB); kept 6 referenced, 2 in use" "gc totals"
for k in $K0 $K5; do
	[ ! -e "$S/store/$k" ] && [ ! -e "$S/builds/$k" ] && ok "unreferenced $k removed" || not_ok "$k left"
done
for k in $K1 $K2 $K4; do
	[ -x "$S/store/$k/bin/llama-server" ] && [ -d "$S/builds/$k" ] && ok "$k kept" || not_ok "$k removed"
done
[ -x "$S/store/$K3/bin/llama-server" ] && ok "entry pinned by the lock kept" || not_ok "locked-in entry removed"
ls -a "$S/store" | grep -q '^\.gc-' && not_ok "gc left a temporary" || ok "no temporaries left"
run "$EP_BIN" catalog list
expect_not_in "$OUT" "$K0" "removed entries leave the catalog"
expect_in "$OUT" "$K4" "the entry in use stays in the catalog"

touch "$T_TMP/release"
wait $holder
run "$EP_BIN" gc --lock "$T_TMP/engines.lock"
expect_rc 0 "gc with the lock alone"
expect_in "$OUT" "removed store entry $K4" "entry removed once its lock is free"
expect_in "$OUT" "removed store entry $K3" "lock-only pin dropped when not given"
[ -d "$S/store/$K1" ] && [ -d "$S/store/$K2" ] && ok "entries in engines.lock kept" || not_ok "engines.lock entries removed"
run "$FIX" "$S" check
expect_in "$OUT" "ok" "catalog passes integrity_check"

finish

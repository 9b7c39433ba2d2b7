#!/usr/bin/env bash
# Source mode, idempotence: a second ensure runs no git, cmake or ninja (a
# PATH of recording wrappers proves it); runtime flag changes rebuild
# nothing; a CMake flag change makes a new entry; pools with the same
# inputs share one entry; the entry runs after its build tree is deleted;
# the store holds no staging leftovers; a damaged entry is detected; the
# proof bundle holds the plan, logs, inputs and PreparedEngine.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/source_lib.sh"

config "$T_TMP/c.yaml" "$(pool p1 v2 "" "--metrics")"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "first ensure builds"
FIRST=$OUT
expect_in "$(count_configure)" "1" "one configure"
expect_in "$(store_entries)" "1" "one store entry"
expect_in "$(store_tmps)" "0" "no staging left"

config "$T_TMP/c.yaml" "$(pool p1 "${V2:0:10}" "" "--metrics")"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json # resolves the short SHA once
for ref in v2 "$V2" "${V2:0:10}"; do
	config "$T_TMP/c.yaml" "$(pool p1 "$ref" "" "--metrics")"
	: >"$TOOLS_LOG"
	run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
	expect_rc 0 "second ensure of $ref"
	expect_in "$(wc -l <"$TOOLS_LOG")" "0" "no git, cmake or ninja ran for $ref"
	expect_in "$(json_field "$OUT" engine_digest)" "$(json_field "$FIRST" engine_digest)" "same digest for $ref"
done
config "$T_TMP/c.yaml" "$(pool p1 v2 "" "--metrics")"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
if [ "$OUT" = "$FIRST" ]; then ok "same inputs, same PreparedEngine"; else not_ok "PreparedEngine differs: $OUT"; fi

# Runtime flags only: nothing rebuilt, new flags reported.
config "$T_TMP/c.yaml" "$(pool p1 v2 "" "--metrics, --parallel, \"4\"")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "runtime flag change"
expect_in "$(wc -l <"$TOOLS_LOG")" "0" "runtime flag change runs no tool"
expect_in "$OUT" "\"--parallel\",\"4\"" "the new flags are reported"
expect_in "$(store_entries)" "1" "still one entry"

# Two pools with the same build inputs share one entry.
config "$T_TMP/c2.yaml" "$(pool a v2 "" "--metrics")" "$(pool b v2 "" "")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/c2.yaml" --all --json
expect_rc 0 "two pools, one entry"
expect_in "$(python3 -c 'import json,sys; a=json.loads(sys.argv[1]); print(len(a), len({p["store_key"] for p in a}))' "$OUT")" "2 1" "two PreparedEngines, one store key"
expect_in "$(wc -l <"$TOOLS_LOG")" "0" "and nothing ran"

# A CMake flag change is a new entry, built from the same mirror.
config "$T_TMP/c.yaml" "$(pool p1 v2 "-DFIX_FLAVOR=spicy" "--metrics")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "cmake flag change"
expect_in "$(count_configure)" "1" "cmake flag change configures once"
expect_in "$(store_entries)" "2" "a second entry"
SPICY=$(json_field "$OUT" binary_path)
run "$SPICY" --version
expect_in "$ERR" "flavor spicy" "the new flag reached the build"

# The entry runs with its build tree gone (shared library found by $ORIGIN).
rm -rf "$EP_STATE_DIR/builds"
run "$SPICY" --version
expect_rc 0 "store binary runs without its build tree"
expect_in "$ERR" "version: 2" "and reports its version"
BUILD_LOG_PROOF=$(ls -d "$EP_STATE_DIR"/proofs/p1/* | tail -1)
PF=$(grep -l "FIX_FLAVOR=spicy" "$EP_STATE_DIR"/proofs/p1/*/inputs.json | head -1)
PFDIR=$(dirname "$PF")
for f in plan.json preflight.txt inputs.json prepared.json configure.log build.log; do
	if [ -s "$PFDIR/$f" ]; then ok "proof bundle has $f"; else not_ok "proof bundle lacks $f ($PFDIR)"; fi
done
: "$BUILD_LOG_PROOF"

# The manifest records the inputs, the digest and the time.
M=$(dirname "$(dirname "$SPICY")")/manifest.json
expect_in "$(cat "$M")" '"digest": "sha256:' "manifest has the digest"
expect_in "$(cat "$M")" '"created_at"' "manifest has the time"
expect_in "$(cat "$M")" "\"commit\": \"$V2\"" "manifest has the commit"

# A damaged entry is found, not used.
chmod u+w "$SPICY"
printf 'x' >>"$SPICY"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 6 "damaged entry is refused"
expect_in "$ERR" "damaged" "and called damaged"

# --offline with a tag already resolved: still nothing to do.
config "$T_TMP/c.yaml" "$(pool p1 v2 "" "--metrics")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json --offline
expect_rc 0 "offline no-op"
expect_in "$(wc -l <"$TOOLS_LOG")" "0" "offline no-op runs nothing"

# A full SHA in upper case is the same commit, and the same entry.
config "$T_TMP/c.yaml" "$(pool p1 "$(echo "$V2" | tr a-f A-F)" "" "--metrics")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "upper-case full SHA"
expect_in "$(json_field "$OUT" build_ref)" "$V2" "upper-case SHA is normalized"
expect_in "$(wc -l <"$TOOLS_LOG")" "0" "and reuses the entry without git"
finish

#!/usr/bin/env bash
# Source mode, crashes: ensure is killed with SIGKILL at each checkpoint
# (during the clone, before configure, before the build, after staging but
# before the rename, before the catalog write); the next run succeeds with
# no manual repair, the store holds exactly one complete entry and no
# staging directory, and the catalog (when there is one) passes
# PRAGMA integrity_check.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/source_lib.sh"

config "$T_TMP/c.yaml" "$(pool p1 v1 "" "")"
for cp in clone configure build install catalog; do
	export EP_STATE_DIR=$T_TMP/state-$cp
	marker=$T_TMP/marker-$cp
	EP_TEST_CHECKPOINT=$cp EP_TEST_CHECKPOINT_FILE=$marker \
		"$EP_BIN" ensure --config "$T_TMP/c.yaml" --json >"$T_TMP/bg.out" 2>"$T_TMP/bg.err" &
	pid=$!
	for _ in $(seq 1 600); do
		[ -s "$marker" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -s "$marker" ]; then ok "reached checkpoint $cp"; else not_ok "checkpoint $cp not reached: $(cat "$T_TMP/bg.err")"; fi
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ "$cp" = install ]; then
		expect_in "$(store_tmps)" "1" "a staging directory is left by the kill at $cp"
		expect_in "$(store_entries)" "0" "and no entry is visible"
	fi
	run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
	expect_rc 0 "ensure after a kill at $cp"
	expect_in "$(json_field "$OUT" build_ref)" "$V1" "right commit after $cp"
	expect_in "$(store_entries)" "1" "exactly one entry after $cp"
	expect_in "$(store_tmps)" "0" "no staging left after $cp"
	run "$(json_field "$OUT" binary_path)" --version
	expect_in "$ERR" "version: 1" "the entry runs after $cp"
	if [ -f "$EP_STATE_DIR/catalog.db" ]; then
		expect_in "$(sqlite3 "$EP_STATE_DIR/catalog.db" 'PRAGMA integrity_check')" "ok" "catalog intact after $cp"
	fi
done
finish

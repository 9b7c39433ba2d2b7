#!/usr/bin/env bash
# Source mode, failures and placement: a failing configure quotes its log
# and names it and publishes nothing; --offline without a mirror of a
# remote repository fails before anything runs; source.build.cache_dir
# holds the mirrors, builds and store of its pool; --no-wait/--pool usage.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/source_lib.sh"

config "$T_TMP/c.yaml" "$(pool p1 v1 "-DCMAKE_C_COMPILER=/nonexistent/cc" "")"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml"
expect_rc 1 "a failing configure fails ensure"
expect_in "$ERR" "cmake configure failed" "the step is named"
expect_in "$ERR" "configure.log" "the log is named"
expect_in "$ERR" "/nonexistent/cc" "the log's last lines are quoted"
expect_in "$(store_entries)" "0" "nothing published"
expect_in "$(store_tmps)" "0" "no staging left"
expect_in "$(cat "$EP_STATE_DIR"/proofs/p1/*/error.txt)" "cmake configure failed" "the proof bundle has the error"

config "$T_TMP/c.yaml" "$(pool p1 v1 "" "" "https://127.0.0.1:9/engine.git")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --offline
expect_rc 1 "offline without a mirror fails"
expect_in "$ERR" "--offline" "and says why"
expect_in "$(count_tool git)" "0" "no git ran"

config "$T_TMP/c.yaml" "$(pool p1 v1 "" "")"
sed -i "s|          cmake_flags: \[\]|          cmake_flags: []\n          cache_dir: $T_TMP/cache|" "$T_TMP/c.yaml"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "cache_dir pool"
expect_in "$(json_field "$OUT" binary_path)" "$T_TMP/cache/store/" "the entry is under cache_dir"
if ls "$T_TMP"/cache/mirrors/*.git >/dev/null 2>&1; then ok "the mirror is under cache_dir"; else not_ok "no mirror under cache_dir"; fi

config "$T_TMP/two.yaml" "$(pool a v1 "" "")" "$(pool b v1 "" "")"
run "$EP_BIN" ensure --config "$T_TMP/two.yaml"
expect_rc 2 "two pools need --pool or --all"
run "$EP_BIN" ensure --config "$T_TMP/two.yaml" --pool nope
expect_rc 2 "unknown pool"
run "$EP_BIN" ensure --config "$T_TMP/two.yaml" --all --locked "$T_TMP/engines.lock"
expect_rc 1 "--locked with a missing lock file"
expect_in "$ERR" "engines.lock" "the error names the lock file"

# --locked: the lock pins the commit a ref resolved to; a config whose ref now
# resolves elsewhere is refused before anything is built.
config "$T_TMP/l.yaml" "$(pool lp v1 "" "")"
run "$EP_BIN" ensure --config "$T_TMP/l.yaml" --json
expect_rc 0 "ensure before locking"
"$EP_BIN" catalog lock --config "$T_TMP/l.yaml" >"$T_TMP/engines.lock"
expect_in "$(cat "$T_TMP/engines.lock")" "$V1" "the lock pins v1's commit"
run "$EP_BIN" ensure --config "$T_TMP/l.yaml" --locked "$T_TMP/engines.lock" --json
expect_rc 0 "ensure --locked with the same resolution"
config "$T_TMP/l.yaml" "$(pool lp v2 "" "")"
: >"$TOOLS_LOG"
run "$EP_BIN" ensure --config "$T_TMP/l.yaml" --locked "$T_TMP/engines.lock" --json
expect_rc 6 "ensure --locked refuses a ref that resolves to another commit"
expect_in "$ERR" "$V2" "the error names the new commit"
expect_in "$ERR" "$V1" "and the pinned one"
expect_in "$(count_configure)" "0" "nothing was built"
config "$T_TMP/l2.yaml" "$(pool other v1 "" "")"
run "$EP_BIN" ensure --config "$T_TMP/l2.yaml" --locked "$T_TMP/engines.lock" --json
expect_rc 6 "a pool missing from the lock is refused"
run "$EP_BIN" ensure
expect_rc 2 "--config is required"
finish

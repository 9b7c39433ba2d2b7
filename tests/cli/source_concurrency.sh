#!/usr/bin/env bash
# Source mode, concurrency: 8 ensure processes for pools that share one
# entry build it once (counted from the cmake wrapper's log) and all print
# the same engine; 2 different entries build in parallel (their build
# intervals overlap); --no-wait fails at once naming the holder.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/source_lib.sh"

pools=()
for i in 1 2 3 4 5 6 7 8; do pools+=("$(pool "p$i" v2 "" "--metrics")"); done
config "$T_TMP/c.yaml" "${pools[@]}"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$EP_BIN" ensure --config "$T_TMP/c.yaml" --pool "p$i" --json >"$T_TMP/o$i" 2>"$T_TMP/e$i" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_in "$fails" "0" "all 8 concurrent ensures succeed"
expect_in "$(count_configure)" "1" "exactly one configure for 8 processes"
expect_in "$(grep -cE '^cmake [0-9]+ start [0-9]+ --build' "$TOOLS_LOG")" "1" "exactly one build"
keys=$(for i in 1 2 3 4 5 6 7 8; do python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(p["store_key"], p["engine_digest"], p["build_ref"], p["binary_path"])' "$T_TMP/o$i"; done | sort -u | wc -l)
expect_in "$keys" "1" "all 8 print the same engine"
expect_in "$(store_entries)" "1" "one store entry"

# Two different entries build at the same time.
config "$T_TMP/d.yaml" "$(pool a v2 "-DFIX_FLAVOR=a" "")" "$(pool b v2 "-DFIX_FLAVOR=b" "")"
: >"$TOOLS_LOG"
WRAP_SLOW=3 "$EP_BIN" ensure --config "$T_TMP/d.yaml" --pool a >/dev/null 2>"$T_TMP/ea" &
pa=$!
WRAP_SLOW=3 "$EP_BIN" ensure --config "$T_TMP/d.yaml" --pool b >/dev/null 2>"$T_TMP/eb" &
pb=$!
rca=0 rcb=0
wait $pa || rca=$?
wait $pb || rcb=$?
expect_in "$rca$rcb" "00" "both different entries build"
overlap=$(python3 - "$TOOLS_LOG" <<'PY'
import sys
starts, ends = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] != "cmake":
        continue
    if f[2] == "start" and len(f) > 4 and f[4] == "--build":
        starts[f[1]] = int(f[3])
    elif f[2] == "end" and f[1] in starts:
        ends[f[1]] = int(f[3])
iv = [(starts[p], ends[p]) for p in starts if p in ends]
print("overlap" if len(iv) == 2 and iv[0][0] < iv[1][1] and iv[1][0] < iv[0][1] else "serial %s" % iv)
PY
)
expect_in "$overlap" "overlap" "the two builds ran in parallel"
expect_not_in "$(cat "$T_TMP/ea" "$T_TMP/eb")" "waiting for lock 'store-" "neither waited for the other's entry"

# --no-wait names the holder.
config "$T_TMP/n.yaml" "$(pool n v2 "-DFIX_FLAVOR=n" "")"
EP_TEST_CHECKPOINT=build EP_TEST_CHECKPOINT_FILE=$T_TMP/nmark \
	"$EP_BIN" ensure --config "$T_TMP/n.yaml" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 600); do [ -s "$T_TMP/nmark" ] && break; sleep 0.1; done
run "$EP_BIN" ensure --config "$T_TMP/n.yaml" --no-wait
expect_rc 7 "--no-wait fails at once"
expect_in "$ERR" "held by pid $holder" "and names the holder"
kill -9 "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
run "$EP_BIN" ensure --config "$T_TMP/n.yaml" --no-wait
expect_rc 0 "the lock died with its holder"
finish

#!/usr/bin/env bash
# tests/fixtures/check-help.sh: a binary whose --help matches the pinned fixture
# passes; one whose option list differs fails with a diff naming the flag.
. "$EP_SOURCE_DIR/tests/cli_lib.sh"

check="$FIXTURES/check-help.sh"

# Stand-in llama-server binaries that print a given help text.
fake() {
	printf '#!/bin/sh\n[ "$1" = --help ] || exit 64\ncat "%s"\necho "log line" >&2\n' "$2" >"$T_TMP/$1"
	chmod +x "$T_TMP/$1"
}

fake same "$FIXTURES/llama-server-help.txt"
run bash "$check" "$T_TMP/same"
expect_rc 0 "the pinned help agrees with itself"
expect_in "$OUT" "agrees with the pinned help" "says it agrees"

# defaults in descriptions may differ between builds: only --full sees them
sed 's/(default: 2048)/(default: 4096)/' "$FIXTURES/llama-server-help.txt" >"$T_TMP/defaults.txt"
fake defaults "$T_TMP/defaults.txt"
run bash "$check" "$T_TMP/defaults"
expect_rc 0 "a changed default is not an option change"
run bash "$check" "$T_TMP/defaults" --full
expect_rc 1 "--full compares the whole text"

# a renamed flag and a flag that lost its value
sed -e 's/^--swa-full    /--swa-fuller  /' -e 's/^--keep N      /--keep        /' \
	"$FIXTURES/llama-server-help.txt" >"$T_TMP/changed.txt"
fake changed "$T_TMP/changed.txt"
run bash "$check" "$T_TMP/changed"
expect_rc 1 "a changed option list is reported"
expect_in "$OUT" "+--swa-fuller" "the diff names the new spelling"
expect_in "$OUT" "---swa-full" "the diff names the old spelling"
expect_in "$OUT" "---keep N" "the diff names the flag whose value changed"

run bash "$check" "$T_TMP/missing-binary"
expect_rc 2 "a binary that cannot run"
run bash "$check"
expect_rc 2 "usage error"

finish

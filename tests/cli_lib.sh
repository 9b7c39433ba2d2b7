# Shared helpers for the CLI tests (sourced, not run). Each test gets a
# private scratch directory that is removed when it ends.
set -u
: "${EP_BIN:?EP_BIN must name the built engine-provisioner}"
: "${EP_SOURCE_DIR:?}"
: "${EP_BINARY_DIR:?}"
FIXTURES="$EP_SOURCE_DIR/tests/fixtures"
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ep-test.XXXXXX")
trap 'rm -rf "$T_TMP"' EXIT
export EP_STATE_DIR="$T_TMP/state"
T_PASS=0
T_FAIL=0

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR, status in $RC.
run() {
	set +e
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	set -e
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# expect_rc N DESC
expect_rc() {
	if [ "$RC" -eq "$1" ]; then ok "$2 (exit $1)"; else
		not_ok "$2: exit $RC, expected $1"
		echo "  stdout: $OUT" | head -20
		echo "  stderr: $ERR" | head -20
	fi
}

# expect_in HAYSTACK NEEDLE DESC
expect_in() {
	case "$1" in *"$2"*) ok "$3" ;; *)
		not_ok "$3: '$2' not found"
		printf '  in: %s\n' "$1" | head -20
		;;
	esac
}

expect_not_in() {
	case "$1" in *"$2"*)
		not_ok "$3: '$2' found"
		printf '  in: %s\n' "$1" | head -20
		;;
	*) ok "$3" ;; esac
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

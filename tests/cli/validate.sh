#!/usr/bin/env bash
# validate: every bad-config class exits 3 with FILE:LINE:COL, the key path
# and its message; all errors of a file come in one run, and every command
# that loads a config reports them alike; stdin works; the examples are
# valid; hostile input is refused; nothing is ever written.
set -eu
. "$EP_SOURCE_DIR/tests/cli_lib.sh"

CFG="$FIXTURES/config"
WORK="$T_TMP/cwd"
mkdir -p "$WORK"
cd "$WORK"

# bad FIXTURE "LINE:COL: KEY: MESSAGE"
bad() {
	run "$EP_BIN" validate --config "$CFG/$1"
	expect_rc 3 "$1"
	expect_in "$ERR" "$CFG/$1:$2" "$1 names position, key and problem"
}

bad bad-syntax.yaml "4:13: pools[0]: invalid YAML or JSON: mapping values are not allowed"
bad bad-syntax.json "1:46: pools[0]: invalid YAML or JSON: did not find expected node content"
bad bad-unknown-key.yaml "8:7: pools[0].provisioning.sourse: unknown key 'sourse' (did you mean 'source'?)"
bad bad-wrong-type.yaml "5:14: pools[0].devices: expected a list, got a number"
bad bad-wrong-type.yaml "6:14: pools[0].preload: expected true or false, got a string 'yes'"
bad bad-port-range.yaml "11:21: pools[0].provisioning.ports[1]: 70000 is out of range; allowed: a number from 1 to 65535"
bad bad-device-range.yaml "5:18: pools[0].devices[1]: 1024 is out of range; allowed: a number from 0 to 1023"
bad bad-negative.yaml "5:10: pools[0].ctx: -512 is negative"
bad bad-ctx-range.yaml "5:10: pools[0].ctx: 0 is out of range"
bad bad-engine.yaml "3:13: pools[0].engine: unknown engine 'llama.cpp'; allowed: 'llamacpp', 'vllm', 'tgi' or 'triton' (did you mean 'llamacpp'?)"
bad bad-mode.yaml "7:13: pools[0].provisioning.mode: unknown mode 'docker'; allowed: 'source', 'container', 'package', 'binary' or 'external'"
bad bad-duplicate-id.yaml "11:9: pools[1].id: duplicate pool id 'p1' (first used by pools[0] at line 2)"
bad bad-pool-id.yaml "2:9: pools[0].id: pool id '../etc' is not allowed; allowed: a letter or digit"
bad bad-dash-ref.yaml "10:14: pools[0].provisioning.source.ref: '--upload-pack=touch /tmp/x' begins with '-'"
bad bad-dash-repo.yaml "9:15: pools[0].provisioning.source.repo: '-oProxyCommand=x' begins with '-'"
bad bad-dash-url.yaml "9:14: pools[0].provisioning.binary.url: '--output=/etc/passwd' begins with '-'"
bad bad-dash-image.yaml "8:16: pools[0].provisioning.container.image: '--privileged' begins with '-'"
bad bad-source-missing.yaml "6:13: pools[0].provisioning.source: mode 'source' needs a 'source' section with 'repo'"
bad bad-source-ref.yaml "9:9: pools[0].provisioning.source.ref: missing required key 'ref'"
bad bad-binary-checksum.yaml "9:9: pools[0].provisioning.binary.checksum: missing required key 'checksum'"
bad bad-binary-checksum-format.yaml "10:19: pools[0].provisioning.binary.checksum: 'md5:d41d8cd98f00b204e9800998ecf8427e' is not a checksum"
bad bad-package-name.yaml "7:16: pools[0].provisioning.package.name: missing required key 'name'"
bad bad-external.yaml "7:17: pools[0].provisioning.external: mode 'external' needs 'path' (an engine binary) or 'url'"
bad bad-duplicate-key.yaml "4:5: pools[0].engine: duplicate key 'engine' (first at line 3, column 5)"
bad bad-devices-missing.yaml "2:5: pools[0].devices: missing required key 'devices'"
bad bad-alias.yaml "7:5: pools[1]: aliases ('*name') are not allowed"
bad bad-env-key.yaml "11:26: pools[0].provisioning.env.9LIVES: '9LIVES' is not an environment variable name"
bad bad-env-key.yaml "11:37: pools[0].provisioning.env.BAD-NAME: 'BAD-NAME' is not an environment variable name"
bad bad-quoted-number.yaml "11:15: pools[0].provisioning.ports[0]: expected a number from 1 to 65535, got the quoted string \"8080\""
bad bad-empty.yaml "1:1: the config is empty"

# All errors of a file in one run, in file order.
run "$EP_BIN" validate --config "$CFG/bad-many.yaml"
expect_rc 3 "bad-many.yaml"
got=$(printf '%s\n' "$ERR" | sed -n 's/^[^:]*:\([0-9]*\):\([0-9]*\): \([^:]*\):.*/\1:\2 \3/p' | tr '\n' ' ')
want="7:15 pools[0].provisioning.source.ref 8:9 pools[1].id 9:13 pools[1].engine 10:18 pools[1].devices[1] 14:15 pools[1].provisioning.ports[0] 20:58 pools[2].provisioning.binary.checksum 21:26 pools[2].provisioning.flags[1] "
if [ "$got" = "$want" ]; then ok "bad-many.yaml: seven errors in file order"; else
	not_ok "bad-many.yaml: got '$got'"; fi
case "$ERR" in "$CFG/bad-many.yaml:7:15: pools[0].provisioning.source.ref: missing"*)
	ok "bad-many.yaml: the first line is the first problem" ;;
*) not_ok "bad-many.yaml: stderr begins '${ERR%%$'\n'*}'" ;; esac
expect_in "$ERR" "engine-provisioner: error: '$CFG/bad-many.yaml' is not a valid config (7 problems)" \
	"bad-many.yaml: the summary line counts them"

# Every command that loads a config reports a bad one as validate does: a
# line per problem, then the summary line, exit 3.
want_err=$ERR
for cmd in plan doctor ensure up gc "catalog lock"; do
	# shellcheck disable=SC2086
	run "$EP_BIN" $cmd --config "$CFG/bad-many.yaml"
	expect_rc 3 "$cmd on bad-many.yaml"
	if [ "$ERR" = "$want_err" ]; then ok "$cmd prints one line per problem, then the summary"; else
		not_ok "$cmd prints the problems otherwise"
		printf '  stderr: %s\n' "$ERR" | head -10
	fi
done

# --json
run "$EP_BIN" validate --config "$CFG/bad-engine.yaml" --json
expect_rc 3 "--json on a bad config"
expect_in "$OUT" '{"valid":false,"errors":[{"line":3,"col":13,"key":"pools[0].engine","message":"unknown engine' "--json lists the error"
run "$EP_BIN" validate --json --config "$EP_SOURCE_DIR/examples/all-pools.yaml"
expect_rc 0 "--json on a good config"
expect_in "$OUT" '{"valid":true,"pools":4,"errors":[]}' "--json says valid"

# stdin
run bash -c "\"\$0\" validate --config - <\"\$1\"" "$EP_BIN" "$EP_SOURCE_DIR/examples/llamacpp-source-cuda.yaml"
expect_rc 0 "stdin"
expect_in "$OUT" "-: 1 pool valid" "stdin is named '-'"
run bash -c "\"\$0\" validate --config - <\"\$1\"" "$EP_BIN" "$CFG/bad-wrong-type.yaml"
expect_rc 3 "bad config on stdin"
expect_in "$ERR" "-:5:14: pools[0].devices: expected a list" "stdin errors name '-'"

# Every example is valid.
for f in "$EP_SOURCE_DIR"/examples/*.yaml "$EP_SOURCE_DIR"/examples/*.json; do
	run "$EP_BIN" validate --config "$f"
	expect_rc 0 "$(basename "$f")"
	expect_in "$OUT" "$f: " "$(basename "$f") reports"
	expect_in "$OUT" " valid" "$(basename "$f") is valid"
done

# Hostile input: bigger than 16 MiB, 100k nested brackets.
python3 -c 'import sys; sys.stdout.write("pools:\n" + "  - {id: p, engine: llamacpp}\n" * 700000)' >"$T_TMP/huge.yaml"
run "$EP_BIN" validate --config "$T_TMP/huge.yaml"
expect_rc 3 "a config over 16 MiB"
expect_in "$ERR" "huge.yaml: the config is larger than 16 MiB; refused" "huge input refused"
run bash -c "\"\$0\" validate --config - <\"\$1\"" "$EP_BIN" "$T_TMP/huge.yaml"
expect_rc 3 "over 16 MiB on stdin"
expect_in "$ERR" "the config is larger than 16 MiB" "huge stdin refused"
python3 -c 'import sys; sys.stdout.write("[" * 100000)' >"$T_TMP/deep.yaml"
run "$EP_BIN" validate --config "$T_TMP/deep.yaml"
expect_rc 3 "100k nested lists"
expect_in "$ERR" "deep.yaml:1:65: " "deep nesting: where"
expect_in "$ERR" "nesting deeper than 64 levels; refused" "deep nesting refused"
rm -f "$T_TMP/huge.yaml" "$T_TMP/deep.yaml"

# Usage and unreadable files.
run "$EP_BIN" validate
expect_rc 2 "no --config"
expect_in "$ERR" "--config FILE is required" "no --config: says so"
run "$EP_BIN" validate --config x --bogus
expect_rc 2 "unknown option"
run "$EP_BIN" validate --config "$T_TMP/missing.yaml"
expect_rc 1 "missing file"
expect_in "$ERR" "cannot open config '$T_TMP/missing.yaml'" "missing file: says which"
run "$EP_BIN" validate --help
expect_rc 0 "--help"
expect_in "$OUT" "usage: engine-provisioner validate --config FILE [--json]" "--help shows usage"
run "$EP_BIN" help
expect_in "$OUT" "validate" "help lists validate"

# Nothing was written: no state directory, the working directory is empty.
run "$EP_BIN" --state-dir "$T_TMP/state2" validate --config "$CFG/bad-many.yaml"
if [ ! -e "$EP_STATE_DIR" ] && [ ! -e "$T_TMP/state2" ]; then ok "no state directory was created"; else
	not_ok "a state directory was created"; fi
if [ -z "$(ls -A "$WORK")" ]; then ok "the working directory stayed empty"; else
	not_ok "files appeared in the working directory: $(ls -A "$WORK")"; fi

finish

#!/usr/bin/env bash
# Source mode, refs: tags (light and annotated), branches (and a branch that
# moves), short and full SHAs, bundles, and the refs that must fail: missing,
# ambiguous short SHA, a name that is both a branch and a tag, option-like
# refs and ext:: repositories.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/source_lib.sh"

ensure_ref() { # REF [REPO]: ensure a one-pool config, JSON out
	config "$T_TMP/c.yaml" "$(pool p1 "$1" "" "" "${2:-}")"
	run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
}

ensure_ref v1
expect_rc 0 "tag v1 builds"
expect_in "$(json_field "$OUT" build_ref)" "$V1" "tag v1 resolves to its commit"
BIN=$(json_field "$OUT" binary_path)
run "$BIN" --version
expect_in "$ERR" "version: 1 (${V1:0:7})" "the store's binary is version 1"

ensure_ref v2
expect_rc 0 "annotated tag v2"
expect_in "$(json_field "$OUT" build_ref)" "$V2" "annotated tag peels to its commit"
expect_in "$(json_field "$OUT" engine_version)" "b2 (${V2:0:7})" "engine_version from --version"

ensure_ref dev
expect_rc 0 "branch dev"
expect_in "$(json_field "$OUT" build_ref)" "$DEV" "branch resolves to its tip"

ensure_ref "${V2:0:8}"
expect_rc 0 "short SHA"
expect_in "$(json_field "$OUT" build_ref)" "$V2" "short SHA resolves to the full commit"

ensure_ref "$V1"
expect_rc 0 "full SHA"
expect_in "$(json_field "$OUT" build_ref)" "$V1" "full SHA"
expect_in "$(json_field "$OUT" binary_path)" "$BIN" "full SHA of tag v1 reuses tag v1's entry"
expect_in "$(store_entries)" "3" "three commits, three entries"

ensure_ref no-such-ref
expect_rc 1 "missing ref fails"
expect_in "$ERR" "'no-such-ref' not found" "missing ref is named"

ensure_ref "$AMBIG"
expect_rc 3 "ambiguous short SHA fails"
expect_in "$ERR" "ambiguous short SHA" "ambiguity is explained"

ensure_ref both
expect_rc 3 "tag and branch of one name fails"
expect_in "$ERR" "both a branch and a tag" "which kinds collide is said"

ensure_ref refs/tags/both
expect_rc 0 "a full ref name settles it"
expect_in "$(json_field "$OUT" build_ref)" "$V1" "refs/tags/both is v1"

ensure_ref "--upload-pack=touch $T_TMP/pwned"
expect_rc 3 "option-like ref refused"
expect_in "$ERR" "begins with '-'" "the reason is given"

ensure_ref v1 "ext::sh -c touch% $T_TMP/pwned"
expect_rc 6 "ext:: transport refused"
ensure_ref v1 "--upload-pack=touch"
expect_rc 3 "option-like repo refused"
if [ -e "$T_TMP/pwned" ]; then not_ok "no command ran"; else ok "no command ran"; fi

# A branch that moves is fetched again.
git -C "$REPO" checkout -q dev
git -C "$REPO" -c user.name=t -c user.email=t@e commit -q --allow-empty -m "dev moves"
git -C "$REPO" checkout -q main 2>/dev/null
NEWDEV=$(git -C "$REPO" rev-parse dev)
ensure_ref dev
expect_rc 0 "moved branch"
expect_in "$(json_field "$OUT" build_ref)" "$NEWDEV" "a branch is fetched again"

# A bundle file is a repository too.
export EP_STATE_DIR=$T_TMP/state-bundle
ensure_ref v2 "$FX/repo.bundle"
expect_rc 0 "bundle repository"
expect_in "$(json_field "$OUT" build_ref)" "$V2" "tag from a bundle"
ensure_ref "$V1" "$FX/repo.bundle"
expect_rc 0 "full SHA from a bundle"

# submodules: true checks out the submodules of the pinned commit.
export EP_STATE_DIR=$T_TMP/state-sub
SUB=$T_TMP/subrepo
git init -q "$SUB"
echo hello >"$SUB/hello.txt"
git -C "$SUB" add hello.txt
git -C "$SUB" -c user.name=t -c user.email=t@e commit -qm sub
git -C "$REPO" checkout -q -b withsub v2
git -C "$REPO" -c protocol.file.allow=always submodule --quiet add "$SUB" vendor/sub
git -C "$REPO" -c user.name=t -c user.email=t@e commit -qm "add a submodule"
git -C "$REPO" checkout -q main 2>/dev/null
config "$T_TMP/c.yaml" "$(pool p1 withsub)"
sed -i 's|^        ref: "withsub"|        ref: "withsub"\n        submodules: true|' "$T_TMP/c.yaml"
run "$EP_BIN" ensure --config "$T_TMP/c.yaml" --json
expect_rc 0 "a ref with a submodule"
if ls "$EP_STATE_DIR"/builds/*/src/vendor/sub/hello.txt >/dev/null 2>&1; then ok "the submodule is checked out"; else not_ok "no submodule in the build tree"; fi
finish

#!/usr/bin/env bash
# Container mode against a real registry (Debian's docker-registry on
# 127.0.0.1) and real podman: pull by tag pins the digest, a second ensure
# contacts nobody, a moved tag is caught by a locked digest, and a missing
# image, an unreachable registry, an unauthorized pull and a digest mismatch
# each give their own error. Starting containers: tests/cli/container_up.sh.
set -euo pipefail
. "$(dirname "$0")/../cli_lib.sh"
. "$FIXTURES/registry.sh"

TOOL="$EP_BINARY_DIR/tests/lib/ep_container_tool"
registry_need_tools podman /usr/bin/docker-registry curl python3
trap 'registry_stop "$T_TMP/auth" 2>/dev/null; registry_stop "$T_TMP"; rm -rf "$T_TMP"' EXIT
registry_env "$T_TMP"
registry_start "$T_TMP"
STATE="$T_TMP/state"
APP="$REGISTRY/t/app"

# value KEY: the KEY=... line of the last $OUT
value() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p"; }

D1=$(registry_push_image "$T_TMP" "$APP:v1" "first")
expect_in "$D1" "sha256:" "pushed v1 ($D1)"

registry_mark "$T_TMP"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE"
expect_rc 0 "pull by tag"
[ "$(value digest)" = "$D1" ] && ok "the registry's digest is recorded" || not_ok "digest $(value digest), expected $D1"
[ "$(value image_ref)" = "$APP@$D1" ] && ok "image_ref is image@sha256" || not_ok "image_ref $(value image_ref)"
[ "$(value pulled)" = 1 ] && ok "it pulled" || not_ok "pulled=$(value pulled)"
n=$(registry_requests "$T_TMP")
[ "$n" -gt 0 ] && ok "the pull reached the registry ($n requests)" || not_ok "no registry request logged"

registry_mark "$T_TMP"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE"
expect_rc 0 "second ensure"
[ "$(value pulled)" = 0 ] && ok "second ensure pulls nothing" || not_ok "pulled=$(value pulled)"
[ "$(value engine_calls)" -le 1 ] && ok "at most one engine call ($(value engine_calls))" || not_ok "engine_calls=$(value engine_calls)"
n=$(registry_requests "$T_TMP")
[ "$n" -eq 0 ] && ok "second ensure: 0 registry requests" || not_ok "second ensure made $n registry requests"

# the image vanishes from storage: the recorded digest (not the tag) is pulled again
podman rmi -f "$APP:v1" >/dev/null
registry_mark "$T_TMP"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE"
expect_rc 0 "re-pull after the image was removed"
[ "$(value pulled)" = 1 ] && [ "$(value digest)" = "$D1" ] && ok "re-pulled the same digest" || not_ok "pulled=$(value pulled) digest=$(value digest)"
if grep -a '"GET /v2/t/app/manifests/' "$T_TMP/registry.log" | tail -n +1 | grep -aq "manifests/$D1"; then
	ok "re-pull asked for the pinned digest"
else
	not_ok "re-pull did not ask for $D1"
fi

# retag v1 to new content
D2=$(registry_push_image "$T_TMP" "$APP:v1" "second")
[ "$D1" != "$D2" ] && ok "v1 moved to $D2" || not_ok "retag kept the digest"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE"
expect_rc 0 "plain ensure after the retag"
[ "$(value digest)" = "$D1" ] && ok "plain ensure keeps the recorded digest" || not_ok "digest $(value digest)"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE" --locked "$D1"
expect_rc 1 "locked ensure of a moved tag"
expect_in "$ERR" "error: verify:" "moved tag is a verify error"
expect_in "$ERR" "now resolves to '$D2' but the lock file pins '$D1'" "the error names both digests"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE" --locked "$D1" --offline
expect_rc 0 "locked offline ensure trusts the record"
run "$TOOL" pull "$APP" --tag v1 --state "$STATE" --refresh
expect_rc 0 "refresh"
[ "$(value digest)" = "$D2" ] && ok "refresh resolves the tag again" || not_ok "digest $(value digest)"

# container mode's ensure entry point: the PreparedEngine fields, and --locked
run "$TOOL" ensure --image "$APP" --tag v1 --state "$STATE"
expect_rc 0 "ensure (container mode)"
[ "$(value image_ref)" = "$APP@$D2" ] && [ "$(value engine_digest)" = "$D2" ] &&
	ok "ensure reports image_ref and engine_digest" || not_ok "ensure: $OUT"
run "$TOOL" ensure --image "$APP" --tag v1 --state "$STATE" --locked "$D1"
expect_rc 1 "ensure --locked of a moved tag"
expect_in "$ERR" "error: verify:" "ensure --locked refuses it"

# concurrent first ensures of one image: all succeed, one pull
registry_mark "$T_TMP"
for i in 1 2 3 4; do
	"$TOOL" pull "$APP" --tag v1 --state "$T_TMP/state-race" >"$T_TMP/race.$i" 2>&1 &
done
race_fail=0
for i in 1 2 3 4; do wait -n || race_fail=$((race_fail + 1)); done
[ "$race_fail" -eq 0 ] && ok "4 concurrent ensures succeed" || not_ok "$race_fail concurrent ensures failed: $(cat "$T_TMP"/race.*)"
pulls=$(cat "$T_TMP"/race.* | grep -c '^pulled=1' || true)
[ "$pulls" -eq 1 ] && ok "one of them pulled" || not_ok "$pulls of them pulled"
[ "$(cat "$T_TMP"/race.* | grep '^digest=' | sort -u | wc -l)" -eq 1 ] && ok "all report one digest" || not_ok "digests differ"
[ "$(registry_requests "$T_TMP")" -le 4 ] && ok "one pull's worth of registry requests" || not_ok "$(registry_requests "$T_TMP") registry requests"

# a digest reference that does not match what the tag serves
run "$TOOL" pull "$APP:v1@$D1" --state "$T_TMP/state-mismatch"
expect_rc 1 "tag plus a stale digest"
expect_in "$ERR" "error: verify: digest mismatch for image '$APP:v1@$D1'" "digest mismatch error"
expect_in "$ERR" "$D2" "the mismatch names the served digest"

run "$TOOL" pull "$APP@$D1" --state "$T_TMP/state-digest"
expect_rc 0 "pull by digest"
[ "$(value digest)" = "$D1" ] && ok "pull by digest pins that digest" || not_ok "digest $(value digest)"

run "$TOOL" pull "$REGISTRY/t/missing" --tag v1 --state "$STATE"
expect_rc 1 "missing image"
expect_in "$ERR" "error: notfound: image '$REGISTRY/t/missing:v1' not found in registry '$REGISTRY'" "missing image error"

run "$TOOL" pull "$APP" --tag nope --state "$STATE"
expect_rc 1 "missing tag"
expect_in "$ERR" "error: notfound:" "missing tag is notfound"

run "$TOOL" pull "$APP" --tag v9 --state "$STATE" --offline
expect_rc 1 "offline without a record"
expect_in "$ERR" "offline" "offline error says so"

# unauthorized: a second registry that demands credentials
EP_TEST_REGISTRY_AUTH=htpasswd registry_start "$T_TMP/auth"
run "$TOOL" pull "$REGISTRY/t/app" --tag v1 --state "$STATE"
expect_rc 1 "registry that wants credentials"
expect_in "$ERR" "error: fetch: registry '$REGISTRY' refused access to image '$REGISTRY/t/app:v1' (unauthorized)" "unauthorized error"
registry_stop "$T_TMP/auth"

registry_stop "$T_TMP"
run "$TOOL" pull "$APP" --tag v2 --state "$STATE"
expect_rc 1 "stopped registry"
expect_in "$ERR" "error: fetch: registry '${APP%%/*}' unreachable while pulling '$APP:v2'" "unreachable error"
expect_not_in "$ERR" "not found" "unreachable is not reported as not found"

# preflight
mkdir -p "$T_TMP/cdi-empty" "$T_TMP/cdi"
run "$TOOL" preflight
expect_rc 0 "preflight of a CPU pool"
expect_in "$OUT" "container engine:" "preflight names the engine"
run "$TOOL" preflight --device 0 --cdi-dir "$T_TMP/cdi-empty"
expect_rc 1 "GPU pool without a CDI spec"
expect_in "$ERR" "error: gpu:" "missing CDI is a gpu error"
expect_in "$ERR" "nvidia-ctk cdi generate" "it says what to run"
printf 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n- name: "0"\n' >"$T_TMP/cdi/nvidia.yaml"
run "$TOOL" preflight --device 0 --cdi-dir "$T_TMP/cdi-empty" --cdi-dir "$T_TMP/cdi"
expect_rc 0 "GPU pool with a CDI spec"
expect_in "$OUT" "cdi: nvidia.com/gpu in $T_TMP/cdi" "the CDI spec is found"

finish

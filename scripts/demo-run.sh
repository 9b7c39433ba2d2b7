#!/usr/bin/env bash
# The running part of the demo: start POOL of CONFIG, send one completion
# request, show the answer and `status`, then stop it.
#
#   scripts/demo-run.sh CONFIG POOL
#
# Uses $EP_BIN (default: build/engine-provisioner) and the runtime directory
# $EP_RUNTIME_DIR (default: ./.runtime). The engine is stopped even when a
# step fails.
set -euo pipefail
if [ $# -ne 2 ]; then
	echo "usage: $0 CONFIG POOL" >&2
	exit 2
fi
config=$1
pool=$2
root=$(cd "$(dirname "$0")/.." && pwd)
ep=${EP_BIN:-$root/build/engine-provisioner}
runtime=${EP_RUNTIME_DIR:-$PWD/.runtime}
export EP_RUNTIME_DIR=$runtime

stop() { "$ep" down --pool "$pool" >/dev/null 2>&1 || true; }
trap stop EXIT

echo "== up: starting pool '$pool'"
"$ep" up --config "$config" --pool "$pool"

url=$(sed -n 's/^ *"url": "\(.*\)",*$/\1/p' "$runtime/engines/$pool.json")
echo
echo "== one completion request to $url/completion"
echo "   prompt: \"The capital of France is\" (the tiny test model has random weights:"
echo "   expect tokens, not sense)"
reply=$(curl -sS --noproxy '*' -X POST "$url/completion" -H 'Content-Type: application/json' \
	-d '{"prompt":"The capital of France is","n_predict":16}')
printf '%s' "$reply" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("   answer: %r" % r.get("content", ""))
print("   tokens predicted: %s" % r.get("tokens_predicted", "?"))'

echo
echo "== status"
"$ep" status

echo
echo "== down"
trap - EXIT
"$ep" down --pool "$pool"

#!/usr/bin/env bash
# Download-and-install throughput: `ep-binary-driver install` (download with
# streaming sha256, safe unpack, version probe, fsync'd store publish) of a
# ~100 MiB release archive from the loopback fault server, against
# `curl -o` + `sha256sum` + `bsdtar -x` of the same URL, in the same run.
# Prints each round, the medians and the ratio (target: within 1.2x).
#
#   bench/bench_download.sh [MB] [ROUNDS]     (BUILD=dir to reuse a build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mb=${1:-100}
rounds=${2:-5}
build=${BUILD:-$root/build-bench}
driver="$build/tests/lib/ep-binary-driver"
if [ ! -x "$driver" ]; then
	cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	ninja -C "$build" ep-binary-driver >/dev/null
fi
command -v bsdtar >/dev/null || { echo "bsdtar missing: apt-get install libarchive-tools"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ep-bench.XXXXXX")
python3 "$root/tests/fixtures/make_archives.py" release "$tmp/www" \
	"$root/tests/fixtures/llama-server-fixture.sh" --pad-mb "$mb"
python3 "$root/tests/fixtures/faultserver.py" --dir "$tmp/www" --port-file "$tmp/ports" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -f "$tmp/ports" ] && break; sleep 0.1; done
port=$(sed -n 's/^http=//p' "$tmp/ports")
url="http://127.0.0.1:$port/files/llama-release.tar.gz"
sha="sha256:$(sha256sum "$tmp/www/llama-release.tar.gz" | cut -d' ' -f1)"
size=$(stat -c %s "$tmp/www/llama-release.tar.gz")

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours=()
base=()
for r in $(seq "$rounds"); do
	rm -rf "$tmp/state" "$tmp/b" && mkdir -p "$tmp/state" "$tmp/b/x"
	t0=$(now_ms)
	"$driver" install "$tmp/state" "$url" "$sha" >/dev/null 2>&1
	t1=$(now_ms)
	curl -sf -o "$tmp/b/f" "$url"
	echo "${sha#sha256:}  $tmp/b/f" | sha256sum -c --quiet -
	bsdtar -xf "$tmp/b/f" -C "$tmp/b/x"
	t2=$(now_ms)
	ours+=($((t1 - t0)))
	base+=($((t2 - t1)))
	echo "round $r: engine-provisioner install $((t1 - t0)) ms, curl+sha256sum+bsdtar $((t2 - t1)) ms"
done
mo=$(printf '%s\n' "${ours[@]}" | median)
mb_=$(printf '%s\n' "${base[@]}" | median)
echo "archive: $size bytes ($mb MiB of incompressible payload, tar.gz)"
echo "median: engine-provisioner $mo ms ($(awk -v s="$size" -v t="$mo" 'BEGIN{printf "%.0f", s/1048576/(t/1000)}') MiB/s), baseline $mb_ ms"
awk -v a="$mo" -v b="$mb_" 'BEGIN{printf "ratio: %.2fx (target <= 1.20x)\n", a/b}'

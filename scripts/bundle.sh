#!/usr/bin/env bash
# Makes DIR/bin/engine-provisioner plus DIR/lib with the shared libraries it
# needs (all but the C library's own), for a host that has none of the -dev
# packages (a GPU host, say): DIR/bin/engine-provisioner doctor --json.
# The binary finds DIR/lib through its RPATH ($ORIGIN/../lib), not through
# LD_LIBRARY_PATH, so the libraries never leak into the processes it starts
# (cmake, nvcc, the engine). This is how the GPU check was run. libcurl,
# libarchive and libcrypto are loaded at run time (dlopen, src/lib/dynlib.c),
# so ldd does not list them: they and what they need are copied by name.
# Usage: scripts/bundle.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/bundle.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$dir/.build
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEP_BUILD_TESTS=OFF \
	-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags '-DCMAKE_BUILD_RPATH=$ORIGIN/../lib' >/dev/null
cmake --build "$build" >/dev/null
mkdir -p "$dir/bin" "$dir/lib"
cp "$build/engine-provisioner" "$dir/bin/"
deps() { ldd "$1" | awk '/=> \// {print $3}'; }
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
{
	deps "$dir/bin/engine-provisioner"
	for so in libcurl.so.4 libarchive.so.13 libcrypto.so.3; do
		path=$("$ldconfig" -p | awk -v so="$so" '$1 == so {print $NF; exit}')
		[ -n "$path" ] || { echo "bundle: $so not found (ldconfig -p)" >&2; exit 1; }
		echo "$path"
		deps "$path"
	done
} | sort -u | while read -r lib; do
	case "$(basename "$lib")" in
	libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) ;;
	*) cp -L "$lib" "$dir/lib/" ;;
	esac
done
rm -rf "$build"
du -sh "$dir" | cut -f1

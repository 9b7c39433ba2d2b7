#!/usr/bin/env bash
# Copies a built engine-provisioner and the shared libraries it needs (all
# but the C library's own) into DIR, with DIR/run, so it runs on a host that
# has none of the -dev packages (a GPU host, say): DIR/run doctor --json.
# Usage: scripts/bundle.sh BUILD_DIR DIR
set -euo pipefail
build=${1:?usage: scripts/bundle.sh BUILD_DIR DIR}
dir=${2:?usage: scripts/bundle.sh BUILD_DIR DIR}
mkdir -p "$dir/lib"
cp "$build/engine-provisioner" "$dir/"
ldd "$build/engine-provisioner" | awk '/=> \// {print $3}' | while read -r lib; do
	case "$(basename "$lib")" in
	libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) ;;
	*) cp -L "$lib" "$dir/lib/" ;;
	esac
done
cat >"$dir/run" <<'RUN'
#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$here/engine-provisioner" "$@"
RUN
chmod 755 "$dir/run"
du -sh "$dir" | cut -f1

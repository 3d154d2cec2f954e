#!/usr/bin/env bash
# Installs the JS FUSE layer (SHARED_DIR/reference/js-fuse) in CACHE_DIR/js-fuse once, with its
# libfuse as lib/libfuse.so.2 and a bin/fusermount running fusermount3; prints the folder.
# usage: bash bench/fuse/js_fuse.sh CACHE_DIR SHARED_DIR
set -euo pipefail
dir=$1/js-fuse
if [ ! -d "$dir/node_modules/hyperdrive-fuse" ]; then
  mkdir -p "$dir"
  cp "$2/reference/js-fuse/package.json" "$dir/"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
mkdir -p "$dir/lib" "$dir/bin"
ln -sf "$dir/node_modules/fuse-native/prebuilds/linux-x64/libfuse.so" "$dir/lib/libfuse.so.2"
printf '#!/bin/sh\nexec fusermount3 "$@"\n' >"$dir/bin/fusermount"
chmod +x "$dir/bin/fusermount"
echo "$dir"

#!/usr/bin/env bash
# Builds libfuse's own example/passthrough_ll.c, as Debian's libfuse3-dev ships it (installed if
# missing) in /usr/share/doc/libfuse3-dev/examples, into CACHE_DIR once; prints the binary's path.
# usage: bash bench/fuse/passthrough_ll.sh CACHE_DIR
set -euo pipefail
cache=$1
examples=/usr/share/doc/libfuse3-dev/examples
if ! dpkg-query -W -f='${Status}' libfuse3-dev 2>/dev/null | grep -q 'ok installed'; then
  echo "installing libfuse3-dev" >&2
  { apt-get install -y -qq libfuse3-dev || { apt-get update -qq && apt-get install -y -qq libfuse3-dev; }; } >&2
fi
version=$(dpkg-query -W -f='${source:Version}' libfuse3-dev)
bin=$cache/passthrough_ll-$version
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # the example and the header it includes beside it, either possibly gzipped
  for f in passthrough_ll.c passthrough_helpers.h; do
    if [ -f "$examples/$f" ]; then cp "$examples/$f" "$work/$f"
    elif [ -f "$examples/$f.gz" ]; then gzip -dc "$examples/$f.gz" >"$work/$f"
    else echo "missing $examples/$f (a dpkg path-exclude for /usr/share/doc?)" >&2; exit 1
    fi
  done
  # what libfuse's meson build puts in its config.h on Linux with glibc (the example reads
  # HAVE_FALLOCATE, HAVE_POSIX_FALLOCATE and HAVE_COPY_FILE_RANGE; without them it has no
  # fallocate or copy_file_range)
  have=(FORK FSTATAT OPENAT READLINKAT PIPE2 SPLICE VMSPLICE POSIX_FALLOCATE FDATASYNC UTIMENSAT
    COPY_FILE_RANGE FALLOCATE SETXATTR ICONV STRUCT_STAT_ST_ATIM)
  # shellcheck disable=SC2046  # pkg-config prints several words
  cc -O2 -Wall "${have[@]/#/-DHAVE_}" -o "$work/passthrough_ll" "$work/passthrough_ll.c" \
    $(pkg-config --cflags --libs fuse3) >&2
  mv "$work/passthrough_ll" "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi
echo "$bin"

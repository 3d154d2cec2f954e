#!/usr/bin/env bash
# Builds libfuse's own example/passthrough_ll.c, from the Debian source package of the installed
# libfuse3 (apt-get source, private package lists), into CACHE_DIR once; prints the binary's path.
# usage: bash bench/fuse/passthrough_ll.sh CACHE_DIR
set -euo pipefail
cache=$1
version=$(dpkg-query -W -f='${source:Version}' libfuse3-dev)
bin=$cache/passthrough_ll-$version
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  . /etc/os-release
  cat >"$work/sources.list" <<EOF
deb-src http://deb.debian.org/debian $VERSION_CODENAME main
deb-src http://deb.debian.org/debian $VERSION_CODENAME-updates main
deb-src http://deb.debian.org/debian-security $VERSION_CODENAME-security main
EOF
  mkdir -p "$work/lists/partial" "$work/src"
  apt_opts=(-o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$work/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o APT::Sandbox::User=root -qq)
  apt-get "${apt_opts[@]}" update >&2
  (cd "$work/src" && apt-get "${apt_opts[@]}" source "fuse3=$version" >/dev/null)
  example=$(echo "$work"/src/fuse3-*/example)
  # shellcheck disable=SC2046  # pkg-config prints several words
  cc -O2 -o "$bin.tmp" "$example/passthrough_ll.c" $(pkg-config --cflags --libs fuse3)
  mv "$bin.tmp" "$bin"
fi
echo "$bin"

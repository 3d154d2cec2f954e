# Shared by the drive_*.sh interop tests (sourced; not a test itself). Uses common.sh.
# Environment: HYPERMOUNT, HM_JS_P7 and HM_JS_P8 (the two JS stacks, with node_modules).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HM_JS_P8=${HM_JS_P8:-$HERE/js-p8}
[ -d "$HM_JS_P8/node_modules/hyperdrive" ] || skip "no node_modules in $HM_JS_P8 (run: cd $HM_JS_P8 && npm ci)"
[ -d "$HM_JS_P7/node_modules/hyperdrive" ] || skip "no node_modules in $HM_JS_P7 (run: cd $HM_JS_P7 && npm ci)"
jsdir() { if [ "$1" = 7 ]; then echo "$HM_JS_P7"; else echo "$HM_JS_P8"; fi; }

cleanup() {
  stop_jobs
  if [ -n "${MNT_CLEANUP:-}" ]; then
    for p in $MNT_CLEANUP; do mountpoint -q "$p" 2>/dev/null && fusermount3 -u "$p" 2>/dev/null || true; done
  fi
  if [ -z "${HM_KEEP:-}" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

port_of() { sed -n 's/^listening on 127\.0\.0\.1://p' "$1" | head -n1; }

# js_lines JSON [FIELD]: the manifest lines (field "lines" unless given) of a drive-*.js result
js_lines() { jget "$1" "m.${2:-lines}.join('\n')"; }

# hm_manifest SOURCE STORE: the manifest of drive-lib.js (same fields, same order), built with
# our `drive ls`, `drive stat`, `drive cat` and `drive xattr`. SOURCE is KEY or hyper://KEY+V.
# Any failing command adds a line "ERROR ..." (so the comparison fails and shows it).
hm_manifest() {
  local src=$1 store=$2
  _hm_walk "$src" "$store" / | LC_ALL=C sort
}
_hm_stat_field() { sed -n "s/^$1: //p" "$WORK/hm-stat" | head -n1; }
_hm_walk() {
  local src=$1 store=$2 dir=$3 line type size name path sha link xattrs x val listing
  listing=$(timeout 60 "$HYPERMOUNT" drive ls "$src" "$dir" --store "$store" 2>&1) ||
    { echo "ERROR ls $dir: $listing"; return; }
  [ -n "$listing" ] || return 0
  while IFS= read -r line; do
    type=${line:0:1}
    [ "$type" = m ] && type=d   # a drive mount point: listed and walked like a directory
    name=$(sed -E 's/^. +[0-9]+ //' <<<"$line")
    [ "$type" = l ] && name=${name%% -> *}
    if [ "$dir" = / ]; then path=/$name; else path=$dir/$name; fi
    if ! timeout 60 "$HYPERMOUNT" drive stat "$src" "$path" --store "$store" >"$WORK/hm-stat" 2>&1; then
      echo "ERROR stat $path: $(head -c 300 "$WORK/hm-stat")"; continue
    fi
    sha=-
    if [ "$type" = - ]; then
      sha=$(timeout 60 "$HYPERMOUNT" drive cat "$src" "$path" --store "$store" | sha256sum | cut -d' ' -f1)
      [ "${PIPESTATUS[0]}" -eq 0 ] || sha="ERROR-cat"
    fi
    link=$(_hm_stat_field linkname); [ -n "$link" ] || link=-
    xattrs=
    while IFS= read -r x; do
      [ -n "$x" ] || continue
      val=$(timeout 60 "$HYPERMOUNT" drive xattr "$src" "$path" "$x" --store "$store" | od -An -v -tx1 | tr -d ' \n')
      xattrs+="${xattrs:+,}$x=$val"
    done < <(sed -n 's/^xattr: //p' "$WORK/hm-stat")
    [ -n "$xattrs" ] || xattrs=-
    if [ "$type" = d ] || [ "$type" = l ] || [ "$type" = - ]; then :; else echo "ERROR $path: type $type"; fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$path" "$type" \
      "$(_hm_stat_field mode)" "$(_hm_stat_field size)" "$(_hm_stat_field blocks)" \
      "$(_hm_stat_field offset)" "$(_hm_stat_field byte-offset)" "$(_hm_stat_field mtime-ms)" \
      "$(_hm_stat_field ctime-ms)" "$(_hm_stat_field uid)" "$(_hm_stat_field gid)" "$sha" "$link" \
      "$(tr ',' '\n' <<<"$xattrs" | LC_ALL=C sort | paste -sd,)"
    if [ "$type" = d ]; then _hm_walk "$src" "$store" "$path"; fi
  done <<<"$listing"
}

# same_manifest WHAT EXPECTED ACTUAL: passes if the manifests are equal; for an implicit
# directory (EXPECTED line "path d mode *") only path, type and mode of ACTUAL are compared.
same_manifest() {
  local what=$1 exp=$2 act=$3
  awk -F'\t' -v OFS='\t' 'NR == FNR { if ($4 == "*") imp[$1] = 1; next }
    ($1 in imp) && NF > 4 { print $1, $2, $3, "*"; next } { print }' "$exp" "$act" >"$act.norm"
  if cmp -s "$exp" "$act.norm"; then
    pass "$what ($(wc -l <"$exp") entries)"
  else
    fail "$what: manifests differ (- expected, + got):"
    diff -u "$exp" "$act.norm" | sed -n "3,40p" | cut -c1-400 || true
  fi
}

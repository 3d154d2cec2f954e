#!/usr/bin/env bash
# The manual page covers the command line: every command `hypermount --help` lists and every
# mount option the option table knows appears in man/hypermount.1.rst in bold.
set -uo pipefail
hm=${HYPERMOUNT:?HYPERMOUNT must name the hypermount binary}
man=$(dirname "$0")/../../man/hypermount.1.rst
failed=0
while read -r words; do
  if grep -qF "**$words**" "$man"; then echo "ok   - man page has **$words**"
  else echo "FAIL - man page lacks **$words**"; failed=$((failed + 1)); fi
done < <("$hm" --help | sed -n 's/^  hypermount \(core\|drive\) \([a-z-]*\).*/\1 \2/p; s/^  hypermount  \([a-z-]*\) .*/\1/p')
for option in $("$hm" --help | sed -n '/^mount options/{n;p}'); do
  if grep -qE "\*\*${option//+/\\+}(\*\*|=)" "$man"; then echo "ok   - man page has option $option"
  else echo "FAIL - man page lacks option $option"; failed=$((failed + 1)); fi
done
echo "$failed check(s) failed"
[ "$failed" -eq 0 ]

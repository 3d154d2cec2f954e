#!/usr/bin/env bash
# The errno of every refused operation through a mount of an own drive (read-write, -o ro, a checkout,
# and across a drive mounted inside the drive: EXDEV), each system call checked with python's os module.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/common.sh"

S1=$WORK/S1
MNT=$WORK/mnt
new_drive "$S1"
d() { hm_ok drive "$1" "$K" "${@:2}" --store "$S1"; }
printf 'a file\n' >"$WORK/file"
d put /file.txt "$WORK/file"
d mkdir /dir
d mkdir /empty
d put /dir/inside.txt "$WORK/file"
d put /implicit/deep/f.txt "$WORK/file"   # /implicit exists only through its descendant
d symlink file.txt /link
d symlink dir /dirlink
d symlink missing/target /dangling
d symlink loop /loop
d xattr /file.txt user.present yes
d put /deleted.txt "$WORK/file"
d rm /deleted.txt

# EXDEV needs drives mounted inside drives
HAS_DRIVE_MOUNT=0
if "$HYPERMOUNT" --help 2>&1 | grep -q 'drive mount '; then
  HAS_DRIVE_MOUNT=1
  hm_ok drive create --store "$S1" --name inner  # a second drive of the store
  K2=$(head -n1 "$WORK/out")
  hm_ok drive put "$K2" /inner.txt "$WORK/file" --store "$S1"
  d mount /sub "$K2"
fi
[ "$FAILS" -eq 0 ] || { echo "building the drive failed"; finish; }

mount_drive "$K" "$MNT" "store=$S1"
check_eq "mount exits 0 ($(msg))" 0 "$RC"
is_mounted "$MNT" || { fail "$MNT is not in /proc/mounts"; finish; }
M=$MNT
snapshot "$M" >"$WORK/before.sum" 2>&1
tree_list "$M" >"$WORK/before.tree" 2>&1

# the same calls succeed where they should (so a check cannot pass by always failing)
errno_is OK stat "$M/file.txt"
errno_is OK open_r "$M/file.txt"
errno_is OK listdir "$M/implicit"
errno_is OK getxattr "$M/file.txt" user.present

# EPERM: hard links (FIFOs and other special files are made: fs_filetypes.sh)
errno_is EPERM link "$M/file.txt" "$M/hard.txt"
errno_is EPERM link "$M/link" "$M/hard-link"
errno_is EPERM link "$M/dir" "$M/hard-dir"
errno_is OK mkfifo "$M/fifo"
errno_is EEXIST mkfifo "$M/fifo"
rm -f "$M/fifo"
errno_is OK mknod_reg "$M/made-by-mknod"
check_eq "mknod S_IFREG made a regular file" "regular empty file" "$(timeout 60 stat -c %F "$M/made-by-mknod" 2>&1)"
rm -f "$M/made-by-mknod"

# ENOTEMPTY
errno_is ENOTEMPTY rmdir "$M/dir"
errno_is ENOTEMPTY rmdir "$M/implicit"
errno_is ENOTEMPTY rmdir "$M/implicit/deep"
errno_is ENOTEMPTY rename "$M/empty" "$M/dir"
errno_is ENOTEMPTY rename "$M/implicit" "$M/dir"

# ENOENT
for op in stat lstat open_r open_w readlink chmod chown utime truncate listdir unlink rmdir; do
  errno_is ENOENT "$op" "$M/missing"
done
errno_is ENOENT stat "$M/deleted.txt"
errno_is ENOENT open_r "$M/deleted.txt"
errno_is ENOENT stat "$M/missing-dir/x"
errno_is ENOENT open_creat "$M/missing-dir/new.txt"
errno_is ENOENT mkdir "$M/missing-dir/new"
errno_is ENOENT symlink "$M/missing-dir/new-link"
errno_is ENOENT rename "$M/missing" "$M/x"
errno_is ENOENT rename "$M/file.txt" "$M/missing-dir/x"
errno_is ENOENT getxattr "$M/missing" user.present
errno_is ENOENT setxattr "$M/missing" user.x
errno_is ENOENT stat "$M/dangling"
errno_is ENOENT open_r "$M/dangling"

# EISDIR
errno_is EISDIR open_w "$M/dir"
errno_is EISDIR open_rw "$M/dir"
errno_is EISDIR open_creat "$M/dir"
errno_is EISDIR open_w "$M/implicit"
errno_is EISDIR read "$M/dir"
errno_is EISDIR truncate "$M/dir"
errno_is EISDIR unlink "$M/dir"
errno_is EISDIR unlink "$M/implicit"
errno_is EISDIR rename "$M/file.txt" "$M/empty"

# ENOTDIR
errno_is ENOTDIR stat "$M/file.txt/x"
errno_is ENOTDIR open_creat "$M/file.txt/x"
errno_is ENOTDIR mkdir "$M/file.txt/x"
errno_is ENOTDIR rmdir "$M/file.txt"
errno_is ENOTDIR rmdir "$M/dirlink"
errno_is ENOTDIR listdir "$M/file.txt"
errno_is ENOTDIR rename "$M/empty" "$M/file.txt"

# EEXIST
errno_is EEXIST mkdir "$M/dir"
errno_is EEXIST mkdir "$M/implicit"
errno_is EEXIST mkdir "$M/file.txt"
errno_is EEXIST mkdir "$M/link"
errno_is EEXIST open_excl "$M/file.txt"
errno_is EEXIST open_excl "$M/dir"
errno_is EEXIST open_excl "$M/dangling"
errno_is EEXIST symlink "$M/file.txt"
errno_is EEXIST symlink "$M/dir"
errno_is EEXIST link "$M/file.txt" "$M/dir/inside.txt"
errno_is EEXIST rename_noreplace "$M/file.txt" "$M/dir/inside.txt"
errno_is EEXIST setxattr_create "$M/file.txt" user.present

# ENODATA
errno_is ENODATA getxattr "$M/file.txt" user.absent
errno_is ENODATA removexattr "$M/file.txt" user.absent
errno_is ENODATA setxattr_replace "$M/file.txt" user.absent

# ENOTSUP (EOPNOTSUPP): the namespaces the kernel interprets are not supported, which lets ls -l
# stop asking every entry for security.selinux and system.posix_acl_access
errno_is ENOTSUP getxattr "$M/file.txt" security.selinux
errno_is ENOTSUP getxattr "$M/file.txt" system.posix_acl_access
errno_is ENOTSUP getxattr "$M/dir" system.posix_acl_default
errno_is ENOTSUP setxattr "$M/file.txt" security.label
errno_is ENOTSUP removexattr "$M/file.txt" security.label

# EINVAL, ELOOP, ENAMETOOLONG
errno_is EINVAL rename "$M/dir" "$M/dir/inside-itself"
errno_is EINVAL readlink "$M/file.txt"
errno_is EINVAL readlink "$M/dir"
errno_is ELOOP stat "$M/loop"
errno_is ELOOP open_nofollow "$M/link"
# names longer than NAME_MAX (255, statfs f_namemax), in a folder removed afterwards
N=$M/namelen
mkdir "$N" && printf 'x\n' >"$N/short.txt" || fail "making $N"
long=$(printf 'n%.0s' $(seq 256))
for op in open_creat mkdir symlink; do
  check_eq "$op of a 256-byte name: ENAMETOOLONG" "ENAMETOOLONG" "$(errno_of "$op" "$N/$long")"
  timeout 60 rm -rf "${N:?}/$long"  # each check on its own, should one succeed
done
check_eq "rename to a 256-byte name: ENAMETOOLONG" "ENAMETOOLONG" "$(errno_of rename "$N/short.txt" "$N/$long")"
check_eq "open_creat of a 255-byte name: OK" "OK" "$(errno_of open_creat "$N/${long:1}")"
timeout 60 rm -rf "$N"

# EXDEV (and EBUSY): a rename across a drive mounted inside the drive, removing the mount point
if [ "$HAS_DRIVE_MOUNT" -eq 1 ]; then
  errno_is OK stat "$M/sub/inner.txt"
  errno_is EXDEV rename "$M/file.txt" "$M/sub/file.txt"
  errno_is EXDEV rename "$M/sub/inner.txt" "$M/inner.txt"
  errno_is EXDEV rename "$M/dir" "$M/sub/dir"
  errno_is EBUSY rmdir "$M/sub"          # a mount point is removed with unmount-drive
  errno_is EISDIR unlink "$M/sub"
  errno_is EEXIST mkdir "$M/sub"
  errno_is OK stat "$M/file.txt"
  errno_is OK stat "$M/sub/inner.txt"
else
  echo "skip - EXDEV: \`hypermount drive mount\` does not exist yet (not in --help), so no drive can be mounted inside a drive"
fi

check_files "after the refused calls, every file is unchanged" "$WORK/before.sum" \
  <(timeout 60 bash -c "$(declare -f snapshot); snapshot '$M'")
check_files "after the refused calls, the tree is unchanged" "$WORK/before.tree" \
  <(timeout 60 bash -c "$(declare -f tree_list); tree_list '$M'")
check_eq "after the refused calls, the attribute is unchanged" "yes" "$(xattr_value "$M/file.txt" user.present)"
unmount_checked "$MNT"

# EROFS: every change on a -o ro mount of the same (writable) drive, and on a checkout
ro_refusals() { # ro_refusals DIR : each changing call on DIR is EROFS, reading still works
  local m=$1 op
  errno_is OK open_r "$m/file.txt"
  errno_is OK getxattr "$m/file.txt" user.present
  for op in open_w open_rw open_trunc write truncate chmod chown utime unlink; do
    errno_is EROFS "$op" "$m/file.txt"
  done
  for op in open_creat open_excl mkdir symlink mkfifo mknod_reg; do
    errno_is EROFS "$op" "$m/new"
  done
  errno_is EROFS rmdir "$m/empty"
  errno_is EROFS rename "$m/file.txt" "$m/renamed.txt"
  errno_is EROFS rename_noreplace "$m/file.txt" "$m/renamed.txt"
  errno_is EROFS link "$m/file.txt" "$m/hard.txt"
  errno_is EROFS setxattr "$m/file.txt" user.x
  errno_is EROFS removexattr "$m/file.txt" user.present
  errno_is EROFS utime "$m/dir"
  check_files "$(basename "$m"): nothing changed" "$WORK/before.sum" \
    <(timeout 60 bash -c "$(declare -f snapshot); snapshot '$m'")
}
mount_drive "$K" "$MNT" "store=$S1,ro"
check_eq "mount -o ro exits 0 ($(msg))" 0 "$RC"
ro_refusals "$MNT"
unmount_checked "$MNT"

# a checkout at the current version (the metadata core's length) is immutable even without -o ro
CHECKOUT=$WORK/checkout
version=""
for dir in $(core_dirs "$S1"); do
  [ "$(core_field "$dir" key)" == "$K" ] && version=$(core_field "$dir" length)
done
mount_drive "hyper://$K+$version" "$CHECKOUT" "store=$S1"
check_eq "mount of a checkout (+$version) exits 0 ($(msg))" 0 "$RC"
check_eq "a checkout is mounted ro" "ro" "$(grep " $CHECKOUT " /proc/mounts | cut -d' ' -f4 | cut -d, -f1)"
ro_refusals "$CHECKOUT"
unmount_checked "$CHECKOUT"
finish

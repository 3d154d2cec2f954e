#!/usr/bin/env python3
# Prints a canonical listing of a folder tree (not a test itself): one line per entry with its
# type, permissions, owner, mtime (ms), size, content hash, symlink target, device number and
# user.* attributes, so that two trees can be compared with diff. Usage: tree_listing.py DIR [--no-root-times]
import hashlib, os, stat, sys

root = sys.argv[1]
root_times = "--no-root-times" not in sys.argv

def line(path, rel):
    st = os.lstat(path)
    kind = stat.S_IFMT(st.st_mode)
    parts = [rel or ".", oct(kind), oct(stat.S_IMODE(st.st_mode)), str(st.st_uid), str(st.st_gid)]
    parts.append(str(st.st_mtime_ns // 1000000) if (rel or root_times) and not stat.S_ISLNK(st.st_mode) else "-")
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            parts += [str(st.st_size), hashlib.sha256(f.read()).hexdigest()[:16]]
    if stat.S_ISLNK(st.st_mode):
        parts.append("-> " + os.readlink(path))
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        parts.append("%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    if not stat.S_ISLNK(st.st_mode):
        for name in sorted(os.listxattr(path, follow_symlinks=False)):
            if name.startswith("user."):
                parts.append("%s=%s" % (name, os.getxattr(path, name, follow_symlinks=False).hex()))
    return " ".join(parts)

out = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    rel_dir = os.path.relpath(dirpath, root)
    rel_dir = "" if rel_dir == "." else rel_dir
    out.append(line(dirpath, rel_dir))
    for name in sorted(filenames):
        out.append(line(os.path.join(dirpath, name), os.path.join(rel_dir, name)))
    for name in dirnames:  # symlinks to folders are listed by os.walk as folders
        p = os.path.join(dirpath, name)
        if os.path.islink(p):
            out.append(line(p, os.path.join(rel_dir, name)))
    dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
print("\n".join(sorted(out)))

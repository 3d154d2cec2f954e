# Writes the benchmark's file tree: DIRS folders of FILES_PER_DIR small files (0-4095 bytes,
# deterministic), plus medium.bin (MEDIUM_MIB MiB) at the top. usage: make_tree.py DIR DIRS FILES_PER_DIR MEDIUM_MIB
import os
import random
import sys

root, dirs, per_dir, medium_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(5)
pool = rng.randbytes(8192)
for d in range(dirs):
    folder = os.path.join(root, f"d{d:03}")
    os.makedirs(folder, exist_ok=True)
    for f in range(per_dir):
        size = (d * per_dir + f) * 397 % 4096
        start = (d * 31 + f * 7) % 4096
        with open(os.path.join(folder, f"f{f:04}.txt"), "wb") as out:
            out.write(pool[start:start + size])
with open(os.path.join(root, "medium.bin"), "wb") as out:
    for _ in range(medium_mib):
        out.write(rng.randbytes(1 << 20))

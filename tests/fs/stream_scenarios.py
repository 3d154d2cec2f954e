#!/usr/bin/env python3
# stream_scenarios.py MOUNT EXPECT : writes files through the mount the ways that start a stream
# (a new file written in order) and then do something else to it, keeping in EXPECT/NAME the bytes
# each file must hold afterwards. Prints "done NAME" after each one.
import os
import sys

MIB = 1 << 20
mnt, expect = sys.argv[1], sys.argv[2]


def data(seed, size):
    # Distinct bytes per seed and offset, quick to make: a 1 MiB random pattern, rotated.
    base = os.urandom(MIB)
    out = bytearray()
    while len(out) < size:
        k = (len(out) // MIB + seed) % MIB
        out += base[k:] + base[:k]
    return bytes(out[:size])


class Model:
    def __init__(self, name, flags=0):
        self.name = name
        self.path = os.path.join(mnt, name)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | flags, 0o644)
        self.bytes = bytearray()

    def write(self, size, seed, at=None):
        chunk = data(seed, size)
        at = len(self.bytes) if at is None else at
        for i in range(0, size, MIB):
            os.pwrite(self.fd, chunk[i:i + MIB], at + i)
        if len(self.bytes) < at:
            self.bytes += bytes(at - len(self.bytes))
        self.bytes[at:at + size] = chunk

    def write_zeros(self, size):  # at the end
        os.pwrite(self.fd, bytes(size), len(self.bytes))
        self.bytes += bytes(size)

    def append(self, size, seed):  # by write(2) at the descriptor's position (O_APPEND files)
        chunk = data(seed, size)
        for i in range(0, size, MIB):
            os.write(self.fd, chunk[i:i + MIB])
        self.bytes += chunk

    def close(self):
        os.close(self.fd)
        with open(os.path.join(expect, self.name), 'wb') as f:
            f.write(self.bytes)
        print('done', self.name, flush=True)


# Written in order, then a write back into bytes appended already, then more at the end.
f = Model('seek-back')
f.write(12 * MIB, 1)
f.write(MIB, 2, at=3 * MIB + 77)
f.write(3 * MIB, 3)
f.close()

# Read back through the same descriptor while being written, then written on.
f = Model('read-back')
f.write(12 * MIB, 4)
got = os.pread(f.fd, MIB, 2 * MIB)
assert got == bytes(f.bytes[2 * MIB:3 * MIB]), 'read-back: the bytes read back differ'
f.write(2 * MIB, 5)
f.close()

# Cut while being written (below what was appended), then written on from the cut.
f = Model('cut')
f.write(12 * MIB, 6)
os.ftruncate(f.fd, 6 * MIB + 5)
del f.bytes[6 * MIB + 5:]
f.write(2 * MIB, 7)
f.close()

# fsync commits it half way; what follows extends it.
f = Model('fsync')
f.write(12 * MIB, 8)
os.fsync(f.fd)
f.write(3 * MIB + 3, 9)
f.close()

# Renamed while being written: the file lands under its new name.
f = Model('before-rename')
f.write(10 * MIB, 10)
os.rename(f.path, os.path.join(mnt, 'renamed'))
f.write(3 * MIB, 11)
f.name = 'renamed'
f.close()

# Two files written side by side, one closed while the other goes on.
a, b = Model('pair-a'), Model('pair-b')
for i in range(10):
    a.write(MIB, 20 + i)
    b.write(MIB, 40 + i)
a.close()
b.write(5 * MIB, 60)
b.close()

# Emptied by a second open with O_TRUNC while the first descriptor is writing.
f = Model('emptied')
f.write(10 * MIB, 14)
fd2 = os.open(f.path, os.O_WRONLY | os.O_TRUNC)
os.write(fd2, b'x')
os.close(fd2)
f.bytes = bytearray(b'x')
f.close()

# O_APPEND, written by write(2): streamed as any file written in order.
f = Model('appended', os.O_APPEND)
f.append(10 * MIB + 1, 15)
f.append(MIB, 16)
f.close()

# Another file committed while one is streamed: the stream first gives up what the pool wrote
# past the content core's end (it is staged from there on); the committed file's run of zeros,
# left a hole in the core's data file, reads as zeros, not as streamed bytes that lay there.
a, b = Model('streaming'), Model('committed')
a.write(12 * MIB, 80)
b.write(MIB, 81)
b.write_zeros(2 * MIB)
b.write(MIB, 82)
a.write(8 * MIB, 83)
b.close()
a.write(3 * MIB, 84)
a.close()

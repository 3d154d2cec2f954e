#!/usr/bin/env python3
# SIGKILL at random points (run by fs_crash_trials.sh): appends, drive puts, writes and renames
# through a mount, and a replication; after each kill the store reopens and verifies, and
# everything that returned before the kill is there. Prints "ok"/"FAIL" lines and a summary.
import hashlib
import os
import random
import shutil
import subprocess
import sys
import time

HM = os.environ["HYPERMOUNT"]
WORK = sys.argv[1]       # the tmpfs the stores live on
MNT = sys.argv[2]        # an empty folder to mount on (outside WORK)
TRIALS = [int(n) for n in sys.argv[3].split(",")]  # appends, puts, mount writes, replications
SEED = int(sys.argv[4])
rng = random.Random(SEED)
fails = 0
trials_run = 0  # processes started to be killed at a random point
killed = 0      # ... and still running at that point


def report(ok, what):
    global fails
    print(("ok   - " if ok else "FAIL - ") + what, flush=True)
    if not ok:
        fails += 1
    return ok


def hm(*args, stdin=None, timeout=120):
    """Runs hypermount to the end: (exit status, stdout bytes, stderr text)."""
    p = subprocess.run([HM, *args], input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")[:300]


def killed_at_random(args, longest):
    """Starts hypermount ARGS and SIGKILLs it after a random time up to `longest` seconds (it
    may end first). Returns its exit status (negative when killed)."""
    global trials_run, killed
    trials_run += 1
    p = subprocess.Popen([HM, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.wait(timeout=rng.uniform(0, longest))
    except subprocess.TimeoutExpired:
        p.kill()
        killed += 1
    return p.wait(timeout=60)


def timed(args):
    start = time.monotonic()
    rc, _, err = hm(*args)
    if rc != 0:
        report(False, f"{' '.join(args[:2])} without a kill exits 0 ({err})")
    return time.monotonic() - start


def core_dirs(store):
    return sorted(root for root, _, files in os.walk(store) if "key" in files and "signatures" in files)


def info(core_dir):
    rc, out, err = hm("core", "info", core_dir)
    fields = dict(line.split(": ", 1) for line in out.decode().splitlines() if ": " in line)
    return rc, fields, err


def verifies(what, dirs):
    for d in dirs:
        rc, _, err = hm("core", "verify", d)
        if not report(rc == 0, f"{what}: core verify {os.path.basename(d)[:8]} ({err.strip()})"):
            return False
    return True


def new_drive(store):
    """The key of a new drive in `store`, or None (and a failure)."""
    rc, out, err = hm("drive", "create", "--store", store)
    return out.decode().split()[0] if report(rc == 0, f"drive create ({err})") else None


def sha(data):
    return hashlib.sha256(data).hexdigest()


# --- appends: each batch of 1 to 6 blocks lands whole or not at all
def appends(n):
    core = os.path.join(WORK, "append-core")
    rc, out, err = hm("core", "new", core)
    if not report(rc == 0, f"core new ({err})"):
        return
    blocks = []  # contents of the blocks known to be in the core
    batch_dir = os.path.join(WORK, "batch")
    os.makedirs(batch_dir, exist_ok=True)

    def write_batch():
        files = []
        for i in range(rng.randint(1, 6)):
            path = os.path.join(batch_dir, f"b{i}")
            with open(path, "wb") as f:
                f.write(rng.randbytes(rng.randint(1, 600_000)))
            files.append(path)
        return files

    longest = max(timed(["core", "append", core, *write_batch()]) for _ in range(3))
    rc, fields, _ = info(core)
    length = int(fields.get("length", -1))
    blocks = [None] * length  # the timing batches: contents not tracked, only kept
    landed = 0
    for trial in range(n):
        files = write_batch()
        contents = [open(f, "rb").read() for f in files]
        status = killed_at_random(["core", "append", core, *files], longest * 1.2)
        rc, fields, err = info(core)
        now = int(fields.get("length", -1))
        whole = now in (len(blocks), len(blocks) + len(files)) and (status != 0 or now > len(blocks))
        if not report(rc == 0 and whole, f"append {trial}: length {len(blocks)} -> {now} with a "
                      f"batch of {len(files)} (exit {status}; {err.strip()})"):
            return
        if now > len(blocks):
            blocks += contents
            landed += 1
        if not verifies(f"append {trial}", [core]):
            return
    seqs = [str(i) for i in range(length, len(blocks))]
    rc, out, err = hm("core", "get", core, *seqs)
    report(rc == 0 and out == b"".join(blocks[length:]),
           f"appends: all {len(blocks) - length} blocks of the {landed} batches that landed "
           f"({n - landed} killed before) read back ({err.strip()})")


# --- drive put: a file is absent or whole; every earlier file stays whole
def puts(n):
    store = os.path.join(WORK, "put-store")
    key = new_drive(store)
    if key is None:
        return
    src = os.path.join(WORK, "put.src")
    whole = {}

    def new_source():
        data = rng.randbytes(rng.randint(100_000, 3_000_000))
        with open(src, "wb") as f:
            f.write(data)
        return data

    new_source()
    longest = max(timed(["drive", "put", key, f"/timing{i}", src, "--store", store]) for i in range(3))
    for trial in range(n):
        data = new_source()
        path = f"/d{trial % 4}/f{trial}"
        status = killed_at_random(["drive", "put", key, path, src, "--store", store], longest * 1.2)
        rc, out, err = hm("drive", "cat", key, path, "--store", store)
        ok = (rc == 0 and out == data) or (rc == 3 and status != 0)
        if not report(ok, f"put {trial}: {path} is absent or whole (put exit {status}, cat exit {rc}, "
                      f"{len(out)} of {len(data)} bytes; {err.strip()})"):
            return
        if rc == 0:
            whole[path] = sha(data)
        if not verifies(f"put {trial}", core_dirs(store)):
            return
    bad = [p for p, h in whole.items() if sha(hm("drive", "cat", key, p, "--store", store)[1]) != h]
    report(not bad, f"puts: the {len(whole)} files that landed are whole at the end {bad[:3]}")


# --- writes and renames through a mount: what fsync or rename returned is there
WRITER = r"""
import hashlib, os, random, sys
mnt, log, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
out = open(log, "a")
names = [n for n in os.listdir(mnt) if n.startswith("w")]
i = 0
while True:
    if names and rng.random() < 0.3:
        old = rng.choice(names)
        new = "w%d-%d" % (seed, i)
        out.write("begin-rename %s %s\n" % (old, new)); out.flush()
        os.rename(os.path.join(mnt, old), os.path.join(mnt, new))
        names[names.index(old)] = new
        out.write("renamed %s %s\n" % (old, new)); out.flush()
    else:
        name = "w%d-%d" % (seed, i)
        data = rng.randbytes(rng.randint(1, 16384))
        out.write("begin-write %s\n" % name); out.flush()
        fd = os.open(os.path.join(mnt, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        names.append(name)
        out.write("written %s %s\n" % (name, hashlib.sha256(data).hexdigest())); out.flush()
    i += 1
"""


def is_mounted(mnt):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == mnt for line in f)


def wait_for(condition, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def mount_writes(n):
    store = os.path.join(WORK, "mount-store")
    key = new_drive(store)
    if key is None:
        return
    mnt = MNT
    files = {}  # name -> sha256 of what the drive must hold
    for trial in range(n):
        global trials_run, killed
        trials_run += 1
        m = subprocess.Popen([HM, "mount", key, mnt, "-f", "-o", f"store={store}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not report(wait_for(lambda: is_mounted(mnt), 30), f"mount {trial}: the mount comes up"):
            m.kill()
            return
        log = os.path.join(WORK, f"writer{trial}.log")
        w = subprocess.Popen([sys.executable, "-c", WRITER, mnt, log, str(trial)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(log) and os.path.getsize(log) > 0, 30)
        try:
            m.wait(timeout=rng.uniform(0.02, 0.5))
        except subprocess.TimeoutExpired:
            m.kill()
            killed += 1
        m.wait(timeout=60)
        w.wait(timeout=60)
        subprocess.run(["fusermount3", "-uz", mnt], capture_output=True, timeout=30)
        if not report(wait_for(lambda: not is_mounted(mnt), 30), f"mount {trial}: the dead mount goes away"):
            return
        # the model: what returned is certain; the one operation in flight may or may not be done
        uncertain = set()
        touched = []  # names this trial wrote or renamed to, in order
        for line in open(log):
            word = line.split()
            if word[0] == "written":
                files[word[1]] = word[2]
                uncertain.discard(word[1])
                touched.append(word[1])
            elif word[0] == "renamed":
                files[word[2]] = files.pop(word[1])
                uncertain -= {word[1], word[2]}
                touched.append(word[2])
            elif word[0] == "begin-write":
                uncertain.add(word[1])
            elif word[0] == "begin-rename":
                uncertain |= {word[1], word[2]}
        if not verifies(f"mount {trial}", core_dirs(store)):
            return
        rc, out, err = hm("drive", "ls", key, "/", "--store", store)
        listed = {line.split()[-1] for line in out.decode().splitlines()}
        for name in uncertain:
            files.pop(name, None)
        missing = [f for f in files if f not in listed]
        # read back now: the last ten this run made and ten more at random (all at the end)
        recent = [f for f in touched if f in files]
        sample = set(recent[-10:]) | set(rng.sample(recent, min(10, len(recent))))
        wrong = [f for f in sample if f in listed and
                 sha(hm("drive", "cat", key, "/" + f, "--store", store)[1]) != files[f]]
        if not report(rc == 0 and not missing and not wrong,
                      f"mount {trial}: all {len(files)} files fsynced or renamed before a kill are "
                      f"listed; {len(sample)} of this run's read back whole (missing {missing[:3]}, "
                      f"wrong {wrong[:3]}; {err.strip()})"):
            return
        # a name in flight holds nothing or whole bytes of some version: it is dropped from the
        # model (and from the drive, so later trials start certain)
        for name in uncertain:
            if name in listed:
                hm("drive", "rm", key, "/" + name, "--store", store)
    # the end: every file read back through a new mount
    m = subprocess.Popen([HM, "mount", key, mnt, "-f", "-o", f"store={store}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if report(wait_for(lambda: is_mounted(mnt), 30), "mount writes: a last mount comes up"):
        wrong = [f for f in files if sha(open(os.path.join(mnt, f), "rb").read()) != files[f]]
        report(not wrong, f"mount writes: all {len(files)} files read back whole through it {wrong[:3]}")
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True, timeout=30)
    m.wait(timeout=60)


# --- replication: a clone killed at random resumes, its core verifies, the end is whole
def replications(n):
    source = os.path.join(WORK, "repl-source")
    hm("core", "new", source)
    parts = []
    for i in range(8):
        path = os.path.join(WORK, f"repl{i}")
        with open(path, "wb") as f:
            f.write(rng.randbytes(1_000_000))
        parts.append(path)
    for _ in range(4):
        rc, _, err = hm("core", "append", source, *parts)
        report(rc == 0, f"append to the served core ({err.strip()})")
    rc, fields, _ = info(source)
    key, length = fields["key"], int(fields["length"])
    serve = subprocess.Popen([HM, "core", "serve", source, "--listen", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    while port is None:
        line = serve.stdout.readline()
        if not line:
            report(False, "core serve reports its port")
            return
        if line.startswith("listening on 127.0.0.1:"):
            port = line.strip().rsplit(":", 1)[1]
    seqs = [str(i) for i in range(length)]
    expected = sha(hm("core", "get", source, *seqs)[1])
    try:
        peer = f"127.0.0.1:{port}"
        longest = timed(["core", "clone", key, os.path.join(WORK, "repl-timing"), "--peer", peer])
        clones = 0
        clone = os.path.join(WORK, "repl-clone0")
        for trial in range(n):
            status = killed_at_random(["core", "clone", key, clone, "--peer", peer], longest * 1.2)
            if not os.path.exists(os.path.join(clone, "key")):
                continue  # killed before the core existed
            if not verifies(f"clone {trial} (exit {status})", [clone]):
                return
            rc, fields, err = info(clone)
            if fields.get("blocks-present") == str(length):
                whole = sha(hm("core", "get", clone, *seqs)[1]) == expected
                if not report(whole, f"clone {trial}: a clone complete after kills holds the source's "
                              f"{length} blocks"):
                    return
                clones += 1
                shutil.rmtree(clone)
                clone = os.path.join(WORK, f"repl-clone{clones}")
        rc, _, err = hm("core", "clone", key, clone, "--peer", peer)
        whole = rc == 0 and sha(hm("core", "get", clone, *seqs)[1]) == expected
        report(whole, f"clones: the last clone finishes whole after its kills; {clones} finished "
               f"between kills before it ({err.strip()})")
    finally:
        serve.kill()
        serve.wait()


print(f"# seed {SEED}; trials: {TRIALS[0]} appends, {TRIALS[1]} puts, {TRIALS[2]} mount writes, "
      f"{TRIALS[3]} clones", flush=True)
for part, n in zip((appends, puts, mount_writes, replications), TRIALS):
    if n == 0:
        continue
    started = time.monotonic()
    part(n)
    print(f"# {part.__name__}: {time.monotonic() - started:.1f} s", flush=True)
print(f"# {trials_run} trials; {killed} processes were still running at their random point and "
      f"were killed", flush=True)
sys.exit(1 if fails else 0)

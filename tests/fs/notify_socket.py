# A service manager's notification socket for the fs tests (not a test itself): binds a unix
# datagram socket (a path, or an abstract name starting with '@') and appends each message it
# receives to LOG, one line each, until killed. On READY=1 it checks at once that the service is
# ready and appends "check ok: ..." or "check failed: ...":
#   --port-from FILE : a TCP connection to 127.0.0.1:PORT succeeds ("listening on HOST:PORT" in FILE)
#   --mounted DIR    : DIR is a mount point in /proc/mounts
# usage: notify_socket.py ADDRESS LOG [--port-from FILE | --mounted DIR]
import re, socket, sys

address, log = sys.argv[1], sys.argv[2]
check = sys.argv[3:5]


def ready_check():
    if check[:1] == ["--port-from"]:
        with open(check[1]) as f:
            found = re.search(r"^listening on [0-9.]+:([0-9]+)$", f.read(), re.M)
        if not found:
            return "failed: no port in " + check[1]
        try:
            socket.create_connection(("127.0.0.1", int(found.group(1))), timeout=5).close()
            return "ok: connected to port " + found.group(1)
        except OSError as e:
            return "failed: " + str(e)
    if check[:1] == ["--mounted"]:
        with open("/proc/mounts") as f:
            mounted = any(line.split()[1] == check[1] for line in f)
        return "ok: mounted" if mounted else "failed: " + check[1] + " is not mounted"
    return "ok: nothing to check"


sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("\0" + address[1:] if address.startswith("@") else address)
with open(log, "a", buffering=1) as out:
    out.write("bound\n")
    while True:
        message = sock.recv(4096).decode()
        for line in message.split("\n"):
            out.write(line + "\n")
            if line == "READY=1":
                out.write("check " + ready_check() + "\n")

#!/usr/bin/env python3
# A bad UDP link on loopback for the uTP interop test: relays datagrams between the first peer
# that writes to it and TARGET_PORT, dropping, duplicating and delaying (so reordering) them.
# usage: lossy_udp_proxy.py TARGET_PORT [LOSS DUP MAX_DELAY_MS SEED]; prints "port N", then
# relays until killed; on SIGTERM prints how many datagrams it relayed, dropped and duplicated.
import heapq, random, select, signal, socket, sys, time

target = ("127.0.0.1", int(sys.argv[1]))
loss = float(sys.argv[2]) if len(sys.argv) > 2 else 0.03
dup = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
max_delay = (float(sys.argv[4]) if len(sys.argv) > 4 else 5.0) / 1000
rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print("port", sock.getsockname()[1], flush=True)
counts = {"relayed": 0, "dropped": 0, "duplicated": 0}
def report(*_):
    print(" ".join(f"{k} {v}" for k, v in counts.items()), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)

client = None
queue = []  # (due, order, data, destination)
order = 0
while True:
    timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else None
    ready, _, _ = select.select([sock], [], [], timeout)
    if ready:
        data, sender = sock.recvfrom(65536)
        if sender != target and client is None:
            client = sender
        destination = client if sender == target else target
        if destination is not None:
            if rng.random() < loss:
                counts["dropped"] += 1
            else:
                copies = 2 if rng.random() < dup else 1
                counts["duplicated"] += copies - 1
                for _ in range(copies):
                    order += 1
                    heapq.heappush(queue, (time.monotonic() + rng.random() * max_delay, order, data, destination))
    now = time.monotonic()
    while queue and queue[0][0] <= now:
        _, _, data, destination = heapq.heappop(queue)
        sock.sendto(data, destination)
        counts["relayed"] += 1

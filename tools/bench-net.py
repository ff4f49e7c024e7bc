#!/usr/bin/python3
"""bench-net.py: TCP figures for the appliance on the tap path, beside a
Linux reference (two processes in two network namespaces over a veth
pair), on this machine. Needs root. Prints a table; not part of make test.

Appliance: QEMU (TCG unless ACCEL=kvm) in a namespace with a tap,
static address, the test-only TCP service. Reference: a Python server
speaking the same protocol (echo / sink / source N) over veth.
Figures: boot to "listening" (static address), upload and download MB/s
for SIZE_MB, and sequential connections per second (echo round trip).

`bench-net.py firewall` instead runs the appliance alone with its firewall
on (the default rules plus the test service's) and off (test.fw=off),
ROUNDS times each, interleaved, and prints the medians side by side.
"""
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time

import benchlib
from benchlib import sh

SIZE_MB = int(os.environ.get("SIZE_MB", "50"))
CONNS = int(os.environ.get("CONNS", "500"))
PORT = 7


def client(addr):
    """Runs inside a namespace: measure and print three numbers."""
    n = SIZE_MB * 1000 * 1000
    data = os.urandom(1 << 20) * (n >> 20)
    want = hashlib.sha256(data).hexdigest()
    t0 = time.monotonic()
    with socket.create_connection((addr, PORT), timeout=300) as s:
        s.sendall(b"sink\n")
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        assert s.makefile().read().strip() == want
    up = len(data) / (time.monotonic() - t0) / 1e6
    t0 = time.monotonic()
    got = 0
    with socket.create_connection((addr, PORT), timeout=300) as s:
        s.sendall(f"source {len(data)}\n".encode())
        while True:
            b = s.recv(1 << 18)
            if not b:
                break
            got += len(b)
    assert got == len(data)
    down = got / (time.monotonic() - t0) / 1e6
    t0 = time.monotonic()
    for i in range(CONNS):
        with socket.create_connection((addr, PORT), timeout=30) as s:
            s.sendall(b"echo\nx")
            assert s.recv(10) == b"x"
    rate = CONNS / (time.monotonic() - t0)
    print(f"{up:.1f} {down:.1f} {rate:.0f}")


def reference_server():
    """The same protocol as net/testsvc.c, in Python, for the reference."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", PORT))
    ls.listen(128)

    def serve(c):
        f = c.makefile("rb")
        cmd = f.readline().strip().decode()
        if cmd == "echo":
            while (b := f.read1(65536)):
                c.sendall(b)
        elif cmd == "sink":
            h = hashlib.sha256()
            while (b := f.read1(1 << 18)):
                h.update(b)
            c.sendall((h.hexdigest() + "\n").encode())
        elif cmd.startswith("source "):
            left = int(cmd[7:])
            chunk = b"\x5a" * (1 << 18)
            while left:
                k = min(left, len(chunk))
                c.sendall(chunk[:k])
                left -= k
        c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def appliance(append="", boot_runs=5):
    from qemu import Guest
    with benchlib.tap_ns() as ex:
        boots = []
        for _ in range(boot_runs):
            with Guest("ip=192.0.2.10/24 test.tcpsvc=7", prefix=ex, extra=benchlib.TAP_NETDEV) as g:
                t, _ = g.wait_for(r"listening on 192\.0\.2\.10")
                boots.append(t)
        with Guest(f"ip=192.0.2.10/24 test.tcpsvc=7 {append}", prefix=ex, extra=benchlib.TAP_NETDEV) as g:
            g.wait_for(r"listening on")
            out = sh(*ex, sys.executable, __file__, "client", "192.0.2.10").stdout.split()
        return (sorted(boots)[len(boots) // 2] if boots else 0), [float(x) for x in out]


def reference():
    with benchlib.veth_pair() as (client, server):
        srv = subprocess.Popen([*server, sys.executable, __file__, "server"])
        time.sleep(0.5)
        try:
            out = sh(*client, sys.executable, __file__, "client", "192.0.2.2").stdout.split()
        finally:
            srv.kill()
        return [float(x) for x in out]


def firewall_on_off():
    rounds = int(os.environ.get("ROUNDS", "3"))
    runs = {"on": [], "off": []}
    for _ in range(rounds):
        for mode, append in (("on", ""), ("off", "test.fw=off")):
            runs[mode].append(appliance(append, boot_runs=0)[1])
    med = {m: [sorted(r[i] for r in runs[m])[rounds // 2] for i in range(3)] for m in runs}
    print(f"{'figure':28s} {'fw on':>10s} {'fw off':>10s} {'on/off':>7s}")
    for i, name in enumerate(["upload MB/s", "download MB/s", "sequential connections/s"]):
        print(f"{name:28s} {med['on'][i]:10.1f} {med['off'][i]:10.1f} {med['on'][i] / med['off'][i]:7.3f}")
    print(f"(medians of {rounds} interleaved runs; {SIZE_MB} MB each way; {CONNS} connections; "
          f"accel {os.environ.get('ACCEL', 'tcg')})")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        return client(sys.argv[2])
    if len(sys.argv) > 1 and sys.argv[1] == "server":
        return reference_server()
    if len(sys.argv) > 1 and sys.argv[1] == "firewall":
        return firewall_on_off()
    boot, app = appliance()
    ref = reference()
    print(f"boot to 'listening' (static address, median of 5): {boot * 1000:.0f} ms")
    print(f"{'figure':28s} {'appliance':>10s} {'reference':>10s} {'ratio':>7s}")
    for name, x, y in zip(["upload MB/s", "download MB/s", "sequential connections/s"], app, ref):
        print(f"{name:28s} {x:10.1f} {y:10.1f} {x / y:7.3f}")
    print(f"({SIZE_MB} MB each way; {CONNS} connections; accel {os.environ.get('ACCEL', 'tcg')}; "
          "reference = Python processes over veth, same protocol)")


if __name__ == "__main__":
    main()

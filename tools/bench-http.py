#!/usr/bin/python3
"""bench-http.py: HTTP requests per second and p99 latency with wrk, the
appliance beside Debian's nginx serving the same 1 KB file, on this
machine. Needs root. Not part of make test (docs/benchmarks.md).

Appliance: QEMU (TCG unless ACCEL=kvm) in a namespace with a tap, a blob
with one static route. nginx: one worker in a namespace over a veth pair
(the same wire shape: a client namespace and a server end). wrk runs in
the client namespace: keep-alive, then a new connection per request
(Connection: close), DURATION seconds each with CONNS connections.
"""
import os
import sys
import tempfile

import benchlib
from benchlib import sh
DURATION = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "16"))
BODY = (b"x" * 1023) + b"\n"


def wrk(ex, url, close):
    r = benchlib.wrk(ex, url, DURATION, CONNS, headers=["Connection: close"] if close else ())
    if r["socket"]:
        print(f"  {url} close={close}: Socket errors: {r['socket']}", file=sys.stderr)
    return r["rps"], r["p99"], r["non2xx"]


def appliance(d):
    conf = ("network {\n    address 192.0.2.10/24\n}\nfirewall {\n    inbound tcp 80 from any\n}\n"
            "limits {\n    connections 512\n}\nroutes {\n    GET /* static www\n}\n")
    with benchlib.appliance(d, conf, {"www/1k.txt": BODY}) as (ex, g):
        url = "http://192.0.2.10/1k.txt"
        assert sh(*ex, "curl", "-s", url).stdout.encode() == BODY
        return wrk(ex, url, False), wrk(ex, url, True)


def nginx(d):
    server = f"server {{ listen {benchlib.NGINX_IP}:80; root {d}/www; }}"
    with benchlib.nginx(d, server, {"www/1k.txt": BODY}) as (ex, srv):
        url = f"http://{benchlib.NGINX_IP}/1k.txt"
        return wrk(ex, url, False), wrk(ex, url, True)


def main():
    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        from pathlib import Path
        app = appliance(Path(t1))
        ref = nginx(Path(t2))
    print(f"{'figure':36s} {'appliance':>10s} {'nginx':>10s} {'ratio':>7s}")
    for i, mode in enumerate(["keep-alive", "new connection each"]):
        (ar, ap, ae), (nr, np_, ne) = app[i], ref[i]
        print(f"{'requests/s, ' + mode:36s} {ar:10.0f} {nr:10.0f} {ar / nr:7.3f}")
        print(f"{'p99 latency ms, ' + mode:36s} {ap:10.2f} {np_:10.2f} {ap / np_:7.3f}")
        if ae or ne:
            print(f"  non-2xx responses: appliance {ae}, nginx {ne}")
    print(f"(wrk -t2 -c{CONNS} -d{DURATION}s, a 1 KB static file; accel {os.environ.get('ACCEL', 'tcg')}; "
          "nginx: one worker over veth)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""bench-tls.py: HTTPS figures of the appliance beside Debian's nginx
(OpenSSL) with the same ECDSA P-256 certificate, protocol (TLS 1.2) and
suites, on this machine. Needs root. Not part of make test
(docs/benchmarks.md).

Figures: full handshakes a second and resumed handshakes a second
(openssl s_time, PAR processes at once, each fetching a 1 KB file per
connection), HTTPS requests a second on keep-alive (wrk -c CONNS), and
the memory one idle TLS connection costs (IDLE connections opened and
held: the appliance's heap in use, nginx's worker RSS, before and after).
"""
import os
import re
import subprocess
import tempfile
from pathlib import Path

import benchlib
from benchlib import sh

DURATION = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "16"))
PAR = int(os.environ.get("PAR", "4"))
IDLE = int(os.environ.get("IDLE", "200"))
BODY = (b"x" * 1023) + b"\n"


def hold(ex, host, n):
    """Open n TLS connections (handshake done, one request each) in the
    client namespace and keep them until the returned process is ended."""
    code = f'''
import socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
ss = []
for i in range({n}):
    s = ctx.wrap_socket(socket.create_connection(("{host}", 443), timeout=30), server_hostname="bench.test")
    s.sendall(b"GET /1k.txt HTTP/1.1\\r\\nHost: b\\r\\n\\r\\n"); s.recv(4096); ss.append(s)
print("held", flush=True)
time.sleep(600)
'''
    p = subprocess.Popen([*ex, "/usr/bin/python3", "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def heap_used(ex):
    out = sh(*ex, "curl", "-sk", f"https://{benchlib.APPLIANCE_IP}/metrics").stdout
    return float(re.search(r"^memory_heap_used_bytes (\S+)", out, re.M).group(1)), \
        float(re.search(r"^tls_connection_bytes (\S+)", out, re.M).group(1))


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


def appliance(d, crt, key):
    conf = ("network {\n    address 192.0.2.10/24\n}\ntls {\n    certificate tls/cert.pem\n    key tls/key.pem\n}\n"
            "firewall {\n    inbound tcp 443 from any\n}\nlimits {\n    connections 512\n    keepalive-timeout 5m\n}\n"
            "routes {\n    GET /metrics metrics { auth none }\n    GET /* static www\n}\n")
    files = {"www/1k.txt": BODY, "tls/cert.pem": crt, "tls/key.pem": key}
    with benchlib.appliance(d, conf, files, mem="512M") as (ex, g):
        host = benchlib.APPLIANCE_IP
        assert sh(*ex, "curl", "-sk", f"https://{host}/1k.txt").stdout.encode() == BODY
        full = benchlib.s_time(ex, host, False, DURATION, PAR)
        resumed = benchlib.s_time(ex, host, True, DURATION, PAR)
        ka = benchlib.wrk(ex, f"https://{host}/1k.txt", DURATION, CONNS)["rps"]
        before, per_tls = heap_used(ex)
        p = hold(ex, host, IDLE)
        after, _ = heap_used(ex)
        p.kill()
        return full, resumed, ka, (after - before) / IDLE


def nginx(d, crt, key):
    server = (f"server {{ listen {benchlib.NGINX_IP}:443 ssl; root {d}/www; "
              f"ssl_certificate {d}/cert.pem; ssl_certificate_key {d}/key.pem; ssl_protocols TLSv1.2; "
              f"ssl_ciphers {benchlib.SUITES}; ssl_prefer_server_ciphers on; ssl_ecdh_curve X25519:prime256v1; "
              "ssl_session_cache shared:SSL:4m; ssl_session_tickets off; keepalive_timeout 300s; "
              "keepalive_requests 100000; }")
    with benchlib.nginx(d, server, {"www/1k.txt": BODY, "cert.pem": crt, "key.pem": key}) as (ex, srv):
        host = benchlib.NGINX_IP
        assert sh(*ex, "curl", "-sk", f"https://{host}/1k.txt").stdout.encode() == BODY
        full = benchlib.s_time(ex, host, False, DURATION, PAR)
        resumed = benchlib.s_time(ex, host, True, DURATION, PAR)
        ka = benchlib.wrk(ex, f"https://{host}/1k.txt", DURATION, CONNS)["rps"]
        worker = int(sh("pgrep", "-P", str(int(sh("pgrep", "-f", f"nginx: master.*{d}").stdout.split()[0]))).stdout
                     .split()[0])
        before = rss(worker)
        p = hold(ex, host, IDLE)
        after = rss(worker)
        p.kill()
        return full, resumed, ka, (after - before) / IDLE


def main():
    with tempfile.TemporaryDirectory() as t0, tempfile.TemporaryDirectory() as t1, \
            tempfile.TemporaryDirectory() as t2:
        crt, key = benchlib.ec_cert(Path(t0))
        app = appliance(Path(t1), crt, key)
        ref = nginx(Path(t2), crt, key)
    names = ["full handshakes/s", "resumed handshakes/s", "HTTPS requests/s, keep-alive",
             "bytes per idle TLS connection"]
    print(f"{'figure':34s} {'appliance':>10s} {'nginx':>10s} {'ratio':>7s}")
    for name, a, n in zip(names, app, ref):
        print(f"{name:34s} {a:10.0f} {n:10.0f} {a / n if n else 0:7.3f}")
    print(f"(ECDSA P-256, TLS 1.2, ECDHE-ECDSA-AES128-GCM; s_time x{PAR} for {DURATION}s each, "
          f"wrk -t2 -c{CONNS}, {IDLE} idle connections; accel {os.environ.get('ACCEL', 'tcg')}; "
          "nginx: one worker over veth, OpenSSL from Debian)")


if __name__ == "__main__":
    main()

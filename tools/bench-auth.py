#!/usr/bin/python3
"""bench-auth.py: what authentication costs the appliance (docs/auth.md).
Needs root. Not part of make test (docs/benchmarks.md). Prints figures,
asserts nothing.

Appliance: QEMU (TCG unless ACCEL=kvm) in a namespace with a tap, a blank
64 MiB data disk, log=warn, a blob with a database (users seeded by a
migration with hashes computed here, tests/jwtmint.py), an auth section
(one role, an API key, an HS256 and an ES256 jwt-key, sessions from a
login route) and the same two answers served public and guarded:

  GET /open      sql "SELECT 1 AS ok"         GET /open.txt     a 1 KB file
  GET /guarded   the same, { auth api-key jwt session; permission read }
  GET /guarded.txt  the same file, guarded alike

Figures:
  - login latency: LOGINS sequential logins (default 10) from one
    keep-alive client: median and p90 (each hashes PBKDF2-HMAC-SHA256
    with 600,000 iterations in the guest);
  - logins a second with PAR concurrent clients (default "2 4"), each
    doing PER logins (default 4) on its own keep-alive connection;
  - requests a second on keep-alive (wrk -t2 -c CONNS, DURATION s) of each
    route kind: public, then guarded with an API key (Bearer), a JWT
    HS256, a JWT ES256, a session cookie, and a wrong API key (401s), and
    each one's ratio to the public figure.

KERNEL and APCTL name the image and apctl to use; by default the script
copies build/appliance.elf and build/apctl first, so a rebuild while it
runs does not disturb it.
"""
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from benchlib import sh

import jwtmint  # noqa: E402  (tests/, put on sys.path by benchlib)

DURATION = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "16"))
LOGINS = int(os.environ.get("LOGINS", "10"))
PAR = [int(p) for p in os.environ.get("PAR", "2 4").split()]
PER = int(os.environ.get("PER", "4"))
DISK_MB = 64
BODY = (b"x" * 1023) + b"\n"
HOST = benchlib.APPLIANCE_IP
USERS = max(PAR + [1])

CONF = f"""network {{
    address {HOST}/24
}}
firewall {{
    inbound tcp 80 from any
}}
limits {{
    connections 512
}}
database {{
    disk vda
    migrations db
}}
auth {{
    role reader read
    api-key bench role reader sha256 @KEY_SHA@ user 1
    jwt-key hs hs256 secret-file jwt.secret
    jwt-key es es256 public-key es-public.pem
    login-limit 1000/s burst 1000
}}
routes {{
    GET  /open sql "SELECT 1 AS ok"
    GET  /guarded sql "SELECT 1 AS ok" {{
        auth api-key jwt session
        permission read
    }}
    GET  /open.txt static 1k.txt
    GET  /guarded.txt static 1k.txt {{
        auth api-key jwt session
        permission read
    }}
    POST /login login "SELECT id AS user_id, password_hash, role FROM users WHERE handle = :username"
}}
"""

SCHEMA = ("CREATE TABLE users(id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE, "
          "password_hash TEXT NOT NULL, role TEXT NOT NULL);\n")

# LOGIN_N sequential logins on one keep-alive connection, run in the client
# namespace: prints each one's seconds and the statuses that were not 200.
LOGINER = r'''
import http.client, json, os, sys, time
host, user, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = json.dumps({"username": user, "password": os.environ["BENCH_PW"]})
c = http.client.HTTPConnection(host, 80, timeout=600)
out, bad = [], {}
for i in range(n):
    t0 = time.perf_counter()
    c.request("POST", "/login", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    out.append(time.perf_counter() - t0)
    if r.status != 200:
        bad[r.status] = bad.get(r.status, 0) + 1
print(json.dumps({"s": out, "bad": bad}))
'''


def wrk(ex, path, headers):
    r = benchlib.wrk(ex, f"http://{HOST}{path}", DURATION, CONNS, headers=headers)
    return r["rps"], r["total"], r["non2xx"], r["socket"]


def curl_status(ex, path, headers=()):
    args = [*ex, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"]
    for h in headers:
        args += ["-H", h]
    return sh(*args, f"http://{HOST}{path}", check=False).stdout


def logins(ex, user, pw, n):
    r = sh(*ex, "env", f"BENCH_PW={pw}", sys.executable, "-c", LOGINER, HOST, user, str(n), timeout=3600).stdout
    r = json.loads(r)
    return r["s"], {int(k): v for k, v in r["bad"].items()}


def concurrent_logins(ex, users, pw, per):
    """len(users) clients at once, per logins each: (logins a second, statuses not 200)."""
    t0 = time.monotonic()
    procs = [subprocess.Popen([*ex, "env", f"BENCH_PW={pw}", sys.executable, "-c", LOGINER, HOST, u, str(per)],
                              stdout=subprocess.PIPE, text=True) for u in users]
    bad = {}
    for p in procs:
        out = json.loads(p.communicate(timeout=3600)[0])
        for k, v in out["bad"].items():
            bad[int(k)] = bad.get(int(k), 0) + v
    return len(users) * per / (time.monotonic() - t0), bad


def one_login(ex, user, pw):
    """A session id from one login (curl -D -)."""
    out = sh(*ex, "curl", "-s", "-D", "-", "-o", "/dev/null", "-H", "Content-Type: application/json",
             "-d", json.dumps({"username": user, "password": pw}), f"http://{HOST}/login").stdout
    m = re.search(r"^Set-Cookie: sid=([^;\r\n]+)", out, re.M | re.I)
    if not m:
        raise SystemExit(f"bench-auth: login failed:\n{out}")
    return m.group(1)


def main():
    benchlib.ensure_packages({"wrk": "wrk", "curl": "curl"}, "bench-auth")
    key = secrets.token_hex(32)
    hs_secret = secrets.token_bytes(32)
    es_key = jwtmint.P256()
    pw = "bench-" + secrets.token_urlsafe(12)
    names = [f"user{i}" for i in range(1, USERS + 1)]
    h = jwtmint.password_hash(pw)              # one hash (with its salt) for every bench user
    seed = "INSERT INTO users(id, handle, password_hash, role) VALUES\n    " + ",\n    ".join(
        f"({i}, '{n}', '{h}', 'reader')" for i, n in enumerate(names, 1)) + ";\n"
    files = {"db/001_users.sql": SCHEMA + seed, "jwt.secret": hs_secret, "es-public.pem": es_key.public_pem(),
             "1k.txt": BODY}
    conf = CONF.replace("@KEY_SHA@", hashlib.sha256(key.encode()).hexdigest())
    with tempfile.TemporaryDirectory() as t0, tempfile.TemporaryDirectory() as t1:
        kernel, apctl = os.environ.get("KERNEL"), os.environ.get("APCTL")
        if not kernel:
            kernel = shutil.copy(os.path.join(benchlib.ROOT, "build", "appliance.elf"), t0)
        if not apctl:
            apctl = shutil.copy(os.path.join(benchlib.ROOT, "build", "apctl"), t0)
        d = Path(t1)
        disk = benchlib.data_disk(d / "data.img", DISK_MB)
        with benchlib.appliance(d, conf, files, extra=disk, kernel=kernel, apctl=apctl) as (ex, g):
            deadline = time.monotonic() + 60
            while curl_status(ex, "/open") != "200":       # 503 until the store is ready
                if time.monotonic() > deadline:
                    raise SystemExit(f"bench-auth: the appliance's store is not ready; console:\n{g.output}")
                time.sleep(0.5)
            # Tokens valid for the whole run.
            claims = jwtmint.claims("1", role="reader", ttl=24 * 3600)
            creds = [("no credentials (public route)", None, []),
                     ("API key (Bearer)", "g", [f"Authorization: Bearer {key}"]),
                     ("JWT HS256", "g", [f"Authorization: Bearer {jwtmint.hs256(hs_secret, claims)}"]),
                     ("JWT ES256", "g", [f"Authorization: Bearer {es_key.es256(claims)}"]),
                     ("session cookie", "g", [f"Cookie: sid={one_login(ex, names[0], pw)}"]),
                     ("wrong API key (401 each)", "g", [f"Authorization: Bearer {secrets.token_hex(32)}"])]
            kinds = [("sql SELECT 1", "/open", "/guarded"), ("static 1 KB", "/open.txt", "/guarded.txt")]
            for _, open_path, guarded in kinds:
                for label, which, hdr in creds:
                    want = "401" if label.startswith("wrong") else "200"
                    got = curl_status(ex, guarded if which else open_path, hdr)
                    if got != want:
                        raise SystemExit(f"bench-auth: {label} on {guarded}: {got}, not {want}\n{g.output}")
                if curl_status(ex, guarded) != "401":
                    raise SystemExit(f"bench-auth: {guarded} without credentials is not 401")

            lat, lbad = logins(ex, names[0], pw, LOGINS)
            par = [(n, *concurrent_logins(ex, names[:n], pw, PER)) for n in PAR]
            rates = {}
            for kind, open_path, guarded in kinds:
                for label, which, hdr in creds:
                    rates[kind, label] = wrk(ex, guarded if which else open_path, hdr)
            warn = [line for line in g.output.splitlines() if "ERROR" in line or "PANIC" in line]
    print(f"{'login latency, sequential':36s} median {benchlib.pct(lat, 50):.2f} s, p90 {benchlib.pct(lat, 90):.2f} s "
          f"({len(lat)} logins{', not 200: ' + str(lbad) if lbad else ''})")
    for n, rate, bad in par:
        print(f"{'logins/s, ' + str(n) + ' concurrent clients':36s} {rate:.2f} "
              f"({n} x {PER} logins{', not 200: ' + str(bad) if bad else ''})")
    print()
    head = f"{'requests/s, keep-alive':36s}"
    for kind, _, _ in kinds:
        head += f" {kind:>14s} {'ratio':>7s}"
    print(head)
    for label, _, _ in creds:
        row = f"{label:36s}"
        for kind, _, _ in kinds:
            rps, base = rates[kind, label][0], rates[kind, creds[0][0]][0]
            row += f" {rps:14.0f} {rps / base if base else 0:7.3f}"
        print(row)
    for (kind, label), (_, total, non2xx, sock) in rates.items():
        expect_non2xx = label.startswith("wrong")
        if (non2xx and not expect_non2xx) or (expect_non2xx and non2xx != total) or sock:
            print(f"  {kind}, {label}: {non2xx} non-2xx of {total}; socket errors: {sock or 'none'}",
                  file=sys.stderr)
    if warn:
        print("  appliance console:\n  " + "\n  ".join(warn), file=sys.stderr)
    print(f"(wrk -t2 -c{CONNS} -d{DURATION}s; logins: PBKDF2-HMAC-SHA256 600,000 iterations, hash-concurrency 2, "
          f"audit on; accel {os.environ.get('ACCEL', 'tcg')}; log=warn)")


if __name__ == "__main__":
    main()

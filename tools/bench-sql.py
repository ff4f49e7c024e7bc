#!/usr/bin/python3
"""bench-sql.py: the appliance's `sql` routes beside the Linux stack a
user would pick for the same API: Debian's nginx in front of a Python
WSGI app on Debian's gunicorn, on Python's sqlite3, same schema, same
machine. Needs root. Not part of make test (docs/benchmarks.md).

Both sides serve
  GET  /items/:id  SELECT id, name, qty FROM items WHERE id = :id
                   (200 with the row as JSON, 404 none, 400 bad id)
  POST /items      INSERT ... RETURNING id, name, qty from a JSON body
                   (201 with Location: /items/ID and the row, 400 bad values)
on items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL
DEFAULT 0), with the same durability: SQLite in WAL mode with
synchronous=FULL, a commit answered once its WAL frames are flushed (the
appliance: a virtio-blk flush of a raw image with cache=writeback, i.e.
an fdatasync of the image file on the host; the reference: SQLite's
fdatasync of its WAL file). Both files live in temporary directories on
the same host file system.

Appliance: QEMU (TCG unless ACCEL=kvm) in a namespace with a tap, a blob
with a database section, one migration and the two routes, a blank
64 MiB data disk; log=warn. Reference: gunicorn with WORKERS sync
workers (default 1; also 2 unless WORKERS2=0), each with one sqlite3
connection, bound to a unix socket, behind one nginx worker (proxy_pass)
in a namespace over a veth pair.

Per side: SEED rows inserted by sequential POSTs (default 1000); reads
a second on keep-alive (wrk -t2 -c CONNS, DURATION s, random ids among
the seeded rows); the commit latency of a single-row insert (LAT
sequential POSTs from one keep-alive client, default 500: p50 and p99);
inserts a second on keep-alive (wrk with a Lua script POSTing JSON).

KERNEL and APCTL name the image and apctl to use; by default the script
copies build/appliance.elf and build/apctl first, so a rebuild while it
runs does not disturb it.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib
from benchlib import sh

DURATION = int(os.environ.get("DURATION", "10"))
CONNS = int(os.environ.get("CONNS", "16"))
SEED = int(os.environ.get("SEED", "1000"))
LAT = int(os.environ.get("LAT", "500"))
WORKERS = int(os.environ.get("WORKERS", "1"))
WORKERS2 = os.environ.get("WORKERS2", "1") != "0"
DISK_MB = 64

SCHEMA = ("CREATE TABLE items (\n    id   INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n"
          "    qty  INTEGER NOT NULL DEFAULT 0\n);\n")
SELECT = "SELECT id, name, qty FROM items WHERE id = :id"
INSERT = "INSERT INTO items(name, qty) VALUES (:name, :qty) RETURNING id, name, qty"

DATABASE = "database {\n    disk vda\n    migrations db\n}\n"


def sql_routes(prefix=""):
    """The two sql routes, under prefix, as lines of a routes block."""
    return f"""    GET {prefix}/items/:id sql "{SELECT}" {{
        param id integer min 1
    }}
    POST {prefix}/items sql "{INSERT}" {{
        param name text required length 1..100
        param qty integer default 0
        location {prefix}/items/:id
    }}
"""


CONF = f"""network {{
    address {benchlib.APPLIANCE_IP}/24
}}
firewall {{
    inbound tcp 80 from any
}}
limits {{
    connections 512
}}
{DATABASE}routes {{
{sql_routes()}}}
"""

# The reference: the same two routes, statuses and JSON shapes as the
# appliance's sql routes (app/sqlroute.c), on Python's sqlite3.
WSGI_APP = r'''
import json, os, re, sqlite3

_db = None


def db():
    global _db
    if _db is None:
        _db = sqlite3.connect(os.environ["BENCH_DB"], isolation_level=None, timeout=5.0)
        _db.execute("PRAGMA journal_mode=WAL")
        _db.execute("PRAGMA synchronous=FULL")
    return _db


def answer(start, status, obj, headers=()):
    body = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("Cache-Control", "no-store"), *headers])
    return [body]


def error(start, code, status, message, errors=None):
    e = {"status": code, "message": message}
    if errors is not None:
        e["errors"] = errors
    return answer(start, status, {"error": e})


def invalid(start, errors):
    return error(start, 400, "400 Bad Request", "the request has invalid values", errors)


def row(r):
    return {"id": r[0], "name": r[1], "qty": r[2]}


ITEM = re.compile(r"/items/([^/]*)\Z")
INT = re.compile(r"-?[0-9]{1,18}\Z")


def get_item(start, raw):
    if not INT.match(raw):
        return invalid(start, [{"field": "id", "message": "must be an integer"}])
    i = int(raw)
    if i < 1:
        return invalid(start, [{"field": "id", "message": "must be at least 1"}])
    r = db().execute(SELECT, {"id": i}).fetchone()
    if r is None:
        return error(start, 404, "404 Not Found", "no such record")
    return answer(start, "200 OK", row(r))


def post_items(env, start):
    if env.get("CONTENT_TYPE", "").split(";")[0].strip().lower() != "application/json":
        return error(start, 415, "415 Unsupported Media Type", "the body must be JSON (Content-Type: application/json)")
    n = int(env.get("CONTENT_LENGTH") or 0)
    try:
        body = json.loads(env["wsgi.input"].read(n))
    except ValueError:
        return error(start, 400, "400 Bad Request", "the body is not valid JSON")
    if not isinstance(body, dict):
        return error(start, 400, "400 Bad Request", "the body must be a JSON object")
    errors = []
    name, qty = body.get("name"), body.get("qty", 0)
    if name is None:
        errors.append({"field": "name", "message": "is required"})
    elif not isinstance(name, str):
        errors.append({"field": "name", "message": "must be a string"})
    elif not 1 <= len(name) <= 100:
        errors.append({"field": "name", "message": "must be 1 to 100 characters long"})
    if isinstance(qty, bool) or not isinstance(qty, int):
        errors.append({"field": "qty", "message": "must be an integer"})
    if errors:
        return invalid(start, errors)
    r = db().execute(INSERT, {"name": name, "qty": qty}).fetchall()[0]
    return answer(start, "201 Created", row(r), [("Location", "/items/%d" % r[0])])


def app(env, start):
    path, method = env["PATH_INFO"], env["REQUEST_METHOD"]
    m = ITEM.match(path)
    if m:
        if method in ("GET", "HEAD"):
            return get_item(start, m.group(1))
    elif path == "/items":
        if method == "POST":
            return post_items(env, start)
    else:
        return error(start, 404, "404 Not Found", "no such route")
    return error(start, 405, "405 Method Not Allowed", "method not allowed")
'''



def reads_lua(seed=SEED, path="/items/"):
    """A wrk script: GET path + a random id among the seeded rows."""
    return f"""
request = function()
    return wrk.format("GET", "{path}" .. math.random(1, {seed}))
end
"""


INSERTS_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"wrk item","qty":7}'
"""

# Sequential single-row inserts from one keep-alive client, run in the
# client namespace: prints each request's seconds and status as JSON.
POSTER = r'''
import http.client, json, sys, time
host, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = sys.argv[4] if len(sys.argv) > 4 else "/items"
c = http.client.HTTPConnection(host, 80, timeout=30)
hdr = {"Content-Type": "application/json"}
out, bad = [], {}
for i in range(n):
    body = json.dumps({"name": "%s %d" % (tag, i), "qty": i % 100})
    t0 = time.perf_counter()
    c.request("POST", path, body, hdr)
    r = c.getresponse()
    r.read()
    out.append(time.perf_counter() - t0)
    if r.status != 201:
        bad[r.status] = bad.get(r.status, 0) + 1
print(json.dumps({"s": out, "bad": bad}))
'''


def ensure_packages():
    """nginx, wrk, gunicorn and curl, from Debian, installed when missing
    (nginx-light and wrk as tools/install-packages.sh names them; no
    service is started)."""
    benchlib.ensure_packages({"nginx": "nginx-light", "wrk": "wrk", "gunicorn": "gunicorn", "curl": "curl"},
                             "bench-sql")


def wrk(ex, url, lua):
    r = benchlib.wrk(ex, url, DURATION, CONNS, lua=lua)
    return r["rps"], r["total"], r["non2xx"], r["socket"]


def posts(ex, host, n, tag, path="/items"):
    """n sequential inserts on one keep-alive connection: (seconds each, {status: count} not 201)."""
    r = json.loads(sh(*ex, sys.executable, "-c", POSTER, host, str(n), tag, path, timeout=600).stdout)
    return r["s"], {int(k): v for k, v in r["bad"].items()}


def check(ex, host):
    """One read of a seeded row and one unknown id: the same answers on both sides."""
    got = sh(*ex, "curl", "-s", "-w", " %{http_code}", f"http://{host}/items/1").stdout
    body, code = got.rsplit(" ", 1)
    row = json.loads(body)
    assert code == "200" and set(row) == {"id", "name", "qty"} and row["id"] == 1, got
    got = sh(*ex, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://{host}/items/{10 ** 9}").stdout
    assert got == "404", got


def measure(ex, host, d, label):
    """The figures for one side, after seeding: a dict."""
    (d / "reads.lua").write_text(reads_lua())
    (d / "inserts.lua").write_text(INSERTS_LUA)
    t0 = time.monotonic()
    _, bad = posts(ex, host, SEED, "seed")
    seeded = time.monotonic() - t0
    check(ex, host)
    reads = wrk(ex, f"http://{host}/items/1", str(d / "reads.lua"))
    lat, lbad = posts(ex, host, LAT, "latency")
    inserts = wrk(ex, f"http://{host}/items", str(d / "inserts.lua"))
    for name, (_, total, non2xx, sock) in (("reads", reads), ("inserts", inserts)):
        if non2xx or sock:
            print(f"  {label} {name}: {non2xx} non-2xx of {total}; socket errors: {sock or 'none'}", file=sys.stderr)
    for name, b in (("seed", bad), ("latency", lbad)):
        if b:
            print(f"  {label} {name} POSTs not 201: {b}", file=sys.stderr)
    return {"reads": reads, "inserts": inserts, "p50": benchlib.pct(lat, 50) * 1e3, "p99": benchlib.pct(lat, 99) * 1e3,
            "seed_s": seeded, "bad": {**bad, **lbad}}


def appliance(d, kernel, apctl):
    disk = benchlib.data_disk(d / "data.img", DISK_MB)
    with benchlib.appliance(d, CONF, {"db/001_items.sql": SCHEMA}, extra=disk, kernel=kernel, apctl=apctl) as (ex, g):
        host = benchlib.APPLIANCE_IP
        deadline = time.monotonic() + 60
        while True:             # 404 once the store is ready (503 before)
            code = sh(*ex, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://{host}/items/1",
                      check=False).stdout
            if code == "404":
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"bench-sql: the appliance's store is not ready ({code}); console:\n{g.output}")
            time.sleep(0.5)
        r = measure(ex, host, d, "appliance")
        if "ERROR" in g.output or "WARN" in g.output:
            print("  appliance console:\n" + g.output, file=sys.stderr)
        return r


def reference(d, workers):
    dbf = d / "items.db"
    con = sqlite3.connect(dbf)       # the migration; WAL mode stays with the file
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(SCHEMA)
    con.close()
    (d / "app.py").write_text(f"SELECT = {SELECT!r}\nINSERT = {INSERT!r}\n" + WSGI_APP)
    sock = d / "gunicorn.sock"
    # gunicorn runs outside the namespaces: nginx reaches it on a unix
    # socket (a path, the same in every network namespace).
    app = subprocess.Popen(["gunicorn", "--workers", str(workers), "--worker-class", "sync", "--bind", f"unix:{sock}",
                            "--chdir", str(d), "--error-logfile", str(d / "gunicorn.log"), "app:app"],
                           env=dict(os.environ, BENCH_DB=str(dbf)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.1)
        time.sleep(1)           # the workers' start
        server = (f"upstream app {{ server unix:{sock}; }} "
                  f"server {{ listen {benchlib.NGINX_IP}:80; location / {{ proxy_pass http://app; "
                  "proxy_set_header Host $host; } }")
        with benchlib.nginx(d, server, {}) as (ex, srv):
            host = benchlib.NGINX_IP
            got = sh(*ex, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://{host}/items/1").stdout
            assert got == "404", f"reference answered {got}: {(d / 'gunicorn.log').read_text()}"
            r = measure(ex, host, d, f"reference x{workers}")
    finally:
        app.terminate()
        app.wait(timeout=30)
    log = (d / "gunicorn.log").read_text()
    if re.search(r"\[(ERROR|CRITICAL)\]|Traceback", log):
        print(f"  gunicorn x{workers} log:\n{log}", file=sys.stderr)
    return r


def table(app, ref, title):
    print(f"{'figure':34s} {'appliance':>10s} {title:>12s} {'ratio':>7s}")
    rows = [("reads/s, keep-alive (GET by id)", app["reads"][0], ref["reads"][0], "{:10.0f}", "{:12.0f}"),
            ("inserts/s, keep-alive (POST)", app["inserts"][0], ref["inserts"][0], "{:10.0f}", "{:12.0f}"),
            ("insert commit p50 ms, sequential", app["p50"], ref["p50"], "{:10.2f}", "{:12.2f}"),
            ("insert commit p99 ms, sequential", app["p99"], ref["p99"], "{:10.2f}", "{:12.2f}")]
    for name, a, r, fa, fr in rows:
        print(f"{name:34s} {fa.format(a)} {fr.format(r)} {a / r if r else 0:7.3f}")


def main():
    ensure_packages()
    with tempfile.TemporaryDirectory() as t0, tempfile.TemporaryDirectory() as t1, \
            tempfile.TemporaryDirectory() as t2, tempfile.TemporaryDirectory() as t3:
        kernel, apctl = os.environ.get("KERNEL"), os.environ.get("APCTL")
        if not kernel:
            kernel = shutil.copy(os.path.join(benchlib.ROOT, "build", "appliance.elf"), t0)
        if not apctl:
            apctl = shutil.copy(os.path.join(benchlib.ROOT, "build", "apctl"), t0)
        app = appliance(Path(t1), kernel, apctl)
        ref = reference(Path(t2), WORKERS)
        ref2 = reference(Path(t3), 2) if WORKERS2 and WORKERS != 2 else None
    table(app, ref, f"gunicorn x{WORKERS}")
    if ref2:
        print()
        table(app, ref2, "gunicorn x2")
    for label, r in [("appliance", app), (f"gunicorn x{WORKERS}", ref)] + ([("gunicorn x2", ref2)] if ref2 else []):
        (_, rt, rn, rs), (_, it, inn, is_) = r["reads"], r["inserts"]
        print(f"  {label}: seeded {SEED} rows in {r['seed_s']:.1f}s; wrk reads {rt} ({rn} non-2xx"
              f"{', socket errors ' + rs if rs else ''}), inserts {it} ({inn} non-2xx"
              f"{', socket errors ' + is_ if is_ else ''}); sequential POSTs not 201: {r['bad'] or 0}")
    print(f"(wrk -t2 -c{CONNS} -d{DURATION}s; {LAT} sequential POSTs on one keep-alive connection after {SEED} "
          f"seeded; SQLite WAL, synchronous=FULL both sides; accel {os.environ.get('ACCEL', 'tcg')}; reference: "
          "nginx (one worker, over veth) proxy_pass to gunicorn sync workers on a unix socket, Python sqlite3 "
          f"{sqlite3.sqlite_version})")


if __name__ == "__main__":
    main()

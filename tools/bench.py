#!/usr/bin/python3
"""bench.py [--quick] [--runs N] [--duration S] [--only FIGS] [--sides SIDES]:
every comparison of the appliance with the reference Linux guest
(tools/refguest.py: a Debian kernel and an initramfs with nginx, gunicorn
and sqlite3), in one run, on this machine. Needs root. `make bench` runs
it after building; docs/benchmarks.md ("make bench") has the method.

Both guests boot in the same QEMU, under the same accelerator (ACCEL, tcg
unless set), with the same memory and virtio-net on a tap in a private
network namespace; every client (wrk, openssl s_time, Python) runs in that
namespace at 192.0.2.1. Figures (FIGS, comma-separated keys):

  boot   QEMU's start to the first good HTTPS answer (GET /1k.bin)
  size   the appliance's stripped kernel, and its disk image when `make
         image` has made one, against the reference's kernel + initramfs
  mem    memory floor: the smallest -m (MiB) at which the guest boots and
         answers 100 HTTPS requests (new connection each, 10 at once) right
  http   HTTP keep-alive requests/s and p99 of the 1 KB file (wrk)
  https  the same over HTTPS
  hs     full TLS handshakes/s (openssl s_time -new, TLS 1.2, ECDSA P-256)
  sql    the SQL routes of tools/bench-sql.py under /api: reads (GET
         /api/items/ID) and inserts (POST /api/items) a second (wrk)
  idle   the QEMU process's CPU time over 10 s once the guest has settled

Each figure but size and mem is the median of RUNS boots of each side
(5, or 3 with --quick), the sides taking turns; mem is one bisection.
Writes build/bench/bench.md and build/bench/bench.json and prints the
table. A side or figure that is missing or fails is reported "not yet",
with the reason in the notes.
"""
import argparse
import contextlib
import datetime
import gzip
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
import types
from pathlib import Path

import benchlib
from benchlib import ROOT, sh

ACCEL = os.environ.get("ACCEL", "tcg")
PY = "/usr/bin/python3"
APPLIANCE_IP, REFERENCE_IP = benchlib.APPLIANCE_IP, "192.0.2.20"
CONNS, PAR = 16, 4          # wrk -c, s_time processes
MEM = "256M"                # both guests, but for the memory floor
bench_sql = bench_http = None   # tools/bench-sql.py and bench-http.py, loaded in main()

# key, figure, unit, better ("lower"/"higher"), the target ratio
# (appliance / reference), decimals.
FIGURES = [
    ("boot", "boot to first HTTPS response", "s", "lower", 1 / 20, 2),
    ("size_kernel", "image: kernel (stripped ELF) vs kernel + initramfs", "MiB", "lower", 1 / 10, 2),
    ("size_disk", "image: disk image (make image), gzip'd, vs kernel + initramfs", "MiB", "lower", 1 / 10, 2),
    ("mem", "memory floor (boots, 100 HTTPS answers, a SQL answer)", "MiB", "lower", 1 / 4, 0),
    ("http_rps", "HTTP keep-alive, 1 KB file", "req/s", "higher", 3, 0),
    ("http_p99", "HTTP keep-alive p99 latency", "ms", "lower", None, 2),
    ("https_rps", "HTTPS keep-alive, 1 KB file", "req/s", "higher", 2, 0),
    ("https_p99", "HTTPS keep-alive p99 latency", "ms", "lower", None, 2),
    ("hs", "full TLS handshakes, ECDSA P-256", "per s", "higher", 1, 0),
    ("sql_read", "SQL read by primary key", "req/s", "higher", 3, 0),
    ("sql_insert", "SQL insert", "req/s", "higher", 3, 0),
    ("idle", "idle CPU over 10 s", "% of a core", "lower", None, 2),
]
GROUPS = {"boot": ["boot"], "size": ["size_kernel", "size_disk"], "mem": ["mem"], "http": ["http_rps", "http_p99"],
          "https": ["https_rps", "https_p99"], "hs": ["hs"], "sql": ["sql_read", "sql_insert"], "idle": ["idle"]}
SIDES = ("appliance", "reference")

# Runs in the client namespace. `first HOST SECONDS`: poll HTTPS GET
# /1k.bin until a 200 with the 1 KB body, then print CLOCK_BOOTTIME.
# `serve HOST N PAR`: N such requests, a new connection each, PAR at once;
# print how many were right.
CLIENT = r'''
import socket, ssl, sys, threading, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def get(host, connect_timeout):
    with socket.create_connection((host, 443), timeout=connect_timeout) as s:
        s.settimeout(10)
        with ctx.wrap_socket(s, server_hostname="bench.test") as t:
            t.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n")
            data = b""
            while (b := t.recv(65536)):
                data += b
    head, _, body = data.partition(b"\r\n\r\n")
    return head.startswith(b"HTTP/1.1 200") and len(body) == 1024


cmd, host = sys.argv[1], sys.argv[2]
if cmd == "first":
    deadline = time.monotonic() + float(sys.argv[3])
    while time.monotonic() < deadline:
        try:
            if get(host, 0.2):
                print(time.clock_gettime(time.CLOCK_BOOTTIME), flush=True)
                sys.exit(0)
        except OSError:
            pass
        time.sleep(0.01)
    sys.exit(1)
n, par = int(sys.argv[3]), int(sys.argv[4])
good = []


def worker(k):
    for _ in range(k):
        try:
            good.append(get(host, 5))
        except OSError:
            good.append(False)


ts = [threading.Thread(target=worker, args=(n // par + (i < n % par),)) for i in range(par)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sum(good))
'''


def conf():
    return f"""network {{
    address {APPLIANCE_IP}/24
}}
tls {{
    certificate tls/cert.pem
    key tls/key.pem
    plain-http serve
}}
firewall {{
    inbound tcp 80 from any
    inbound tcp 443 from any
}}
limits {{
    connections 512
}}
{bench_sql.DATABASE}routes {{
{bench_sql.sql_routes("/api")}    GET /* static www
}}
"""


class Appliance:
    """The appliance: build/appliance.elf with a blob serving the same
    things as the reference (the 1 KB file on 80 and 443, the SQL routes
    under /api) and a fresh blank data disk each boot; log=warn."""
    name = "appliance"
    ip = APPLIANCE_IP

    def __init__(self, tmp):
        self.tmp = tmp
        self.kernel = os.path.join(ROOT, "build", "appliance.elf")
        crt, key = benchlib.ec_cert(tmp)
        self.blob = benchlib.pack(tmp / "blob.d", conf(), {
            "www/1k.bin": bench_http.BODY, "tls/cert.pem": crt, "tls/key.pem": key, "db/001_items.sql": bench_sql.SCHEMA})
        self.boots = 0

    @contextlib.contextmanager
    def boot(self, ex, mem, timeout):
        from qemu import Guest
        self.boots += 1
        disk = self.tmp / f"data-{self.boots}.img"
        extra = ["-initrd", self.blob] + benchlib.TAP_NETDEV + ["-device", "virtio-rng-pci"] + benchlib.data_disk(disk)
        try:
            with Guest("log=warn", mem=mem, prefix=ex, extra=extra, kernel=self.kernel) as g:
                yield types.SimpleNamespace(ip=self.ip, proc=g.proc, console=lambda: g.output)
        finally:
            disk.unlink()


class Reference:
    """The reference Linux guest of tools/refguest.py, TLS 1.2 only (the
    appliance's protocol), its database on a fresh data disk each boot
    like the appliance's (ext4 on a raw file, virtio-blk, writeback)."""
    name = "reference"
    ip = REFERENCE_IP

    def __init__(self, tmp):
        import refguest
        self.mod, self.tmp, self.boots = refguest, tmp, 0
        t0 = time.monotonic()
        self.info = refguest.build(out=os.path.join(ROOT, "build", "refguest"))
        self.build_s = time.monotonic() - t0

    @contextlib.contextmanager
    def boot(self, ex, mem, timeout):
        self.boots += 1
        disk = self.tmp / f"data-{self.boots}.img"
        try:
            with self.mod.boot(ex, ip=self.ip, mem=mem, accel=ACCEL, disk=str(disk), tls="1.2",
                               timeout=timeout) as vm:
                yield vm
        finally:
            disk.unlink(missing_ok=True)


class Results:
    """Every run's value of every figure and side, and why a run failed."""

    def __init__(self):
        self.runs = {k: {s: [] for s in SIDES} for k, *_ in FIGURES}
        self.errors = {k: {s: [] for s in SIDES} for k, *_ in FIGURES}
        self.extra = {k: {s: {} for s in SIDES} for k, *_ in FIGURES}
        self.notes = []

    def add(self, key, side, value):
        self.runs[key][side].append(value)

    def fail(self, keys, side, why):
        why = " ".join(str(why).split())[:300]
        for k in keys:
            if why not in self.errors[k][side]:
                self.errors[k][side].append(why)

    def summary(self, key, side):
        v, err = self.runs[key][side], self.errors[key][side]
        if not v:
            return {"status": "not yet", "note": "; ".join(err) or "not measured", **self.extra[key][side]}
        out = {"status": "ok", "median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v),
               "runs": v, **self.extra[key][side]}
        if err:
            out["note"] = "; ".join(err)
        return out


T0 = time.monotonic()


def log(text):
    print(f"  [{time.monotonic() - T0:4.0f} s] {text}", flush=True)


def fast_arp(ex):
    """ARP probes 10 ms apart in the client namespace: a connection to a
    guest not up yet fails after 30 ms (3 probes) and is tried again, so
    the first answer is seen within a few tens of ms (with the default,
    1 s apart, every boot time would be rounded up to seconds)."""
    sh(*ex, "sysctl", "-q", "-w", "net.ipv4.neigh.tap0.retrans_time_ms=10")


def start_time(pid):
    """When process pid started, in CLOCK_BOOTTIME seconds (10 ms steps)."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")


def qemu_pid(pid):
    """The QEMU process: pid itself or its first qemu-system descendant."""
    todo = [pid]
    while todo:
        p = todo.pop(0)
        try:
            if Path(f"/proc/{p}/comm").read_text().startswith("qemu-system"):
                return p
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return pid


@contextlib.contextmanager
def booted(side, mem, timeout):
    """Boot side in a fresh tap namespace and wait for its first good HTTPS
    answer; yield (exec prefix, vm, seconds from QEMU's start to it)."""
    with benchlib.tap_ns() as ex:
        fast_arp(ex)
        poll = subprocess.Popen([*ex, PY, "-c", CLIENT, "first", side.ip, str(timeout)], stdout=subprocess.PIPE,
                                text=True)
        try:
            before = time.clock_gettime(time.CLOCK_BOOTTIME)
            with side.boot(ex, mem, timeout) as vm:
                started = max(before, start_time(vm.proc.pid))
                deadline = time.monotonic() + timeout
                while poll.poll() is None and vm.proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                if poll.poll() != 0:
                    tail = "\n".join(vm.console().splitlines()[-12:])
                    state = f"QEMU exited ({vm.proc.poll()})" if vm.proc.poll() is not None else f"{timeout:.0f} s"
                    raise RuntimeError(f"no HTTPS answer from {side.ip} ({state}); console ends: {tail}")
                yield ex, vm, float(poll.stdout.read()) - started
        finally:
            poll.kill()
            poll.wait()


def http_status(ex, url):
    return sh(*ex, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url,
              check=False).stdout


def checked_wrk(ex, url, duration, lua=None):
    """benchlib.wrk, failing when more than 1 % of the answers were not
    2xx/3xx (fast errors would inflate the rate)."""
    r = benchlib.wrk(ex, url, duration, CONNS, lua=lua)
    if r["non2xx"] > r["total"] // 100 or not r["total"]:
        raise RuntimeError(f"{url}: {r['non2xx']} of {r['total']} answers not 2xx/3xx")
    if r["p99"] is None:
        raise RuntimeError(f"{url}: wrk printed no 99th percentile")
    # Timeouts (10 s) leave the latency histogram and errors cut the
    # concurrency: either makes the figures flatter than they are.
    if r["socket"]:
        raise RuntimeError(f"{url}: wrk socket errors: {r['socket']}")
    return r


def measure_idle(res, side, vm, settle):
    time.sleep(settle)
    pid = qemu_pid(vm.proc.pid)
    c0, t0 = benchlib.cpu_seconds(pid), time.monotonic()
    time.sleep(10)
    res.add("idle", side.name, 100 * (benchlib.cpu_seconds(pid) - c0) / (time.monotonic() - t0))


def measure_static(res, side, ex, a):
    """http, https and hs figures (the 1 KB file)."""
    got = sh(*ex, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--max-time", "10",
             f"http://{side.ip}/1k.bin", check=False).stdout
    if got != "200 1024":
        raise RuntimeError(f"http://{side.ip}/1k.bin: status and size {got!r}, not 200 and 1024 bytes")
    for proto in ("http", "https"):
        if proto in a.only:
            r = checked_wrk(ex, f"{proto}://{side.ip}/1k.bin", a.duration)
            res.add(f"{proto}_rps", side.name, r["rps"])
            res.add(f"{proto}_p99", side.name, r["p99"])
    if "hs" in a.only:
        rate = benchlib.s_time(ex, side.ip, False, a.duration, PAR, path="/1k.bin", extra=["-tls1_2"])
        if not rate:
            raise RuntimeError("openssl s_time -new -tls1_2 made no connection")
        res.add("hs", side.name, rate)


def measure_sql(res, side, ex, a, d):
    host = side.ip
    deadline = time.monotonic() + 60
    while (code := http_status(ex, f"http://{host}/api/items/1")) not in ("404", "200"):
        if time.monotonic() > deadline:              # 503 until the appliance's store is ready
            raise RuntimeError(f"GET /api/items/1 answers {code}, not 404 or 200")
        time.sleep(0.5)
    _, bad = bench_sql.posts(ex, host, a.seed, "seed", path="/api/items")
    if bad:
        raise RuntimeError(f"seeding: POST /api/items not 201: {bad}")
    got = sh(*ex, "curl", "-s", f"http://{host}/api/items/1").stdout
    if json.loads(got).get("id") != 1:
        raise RuntimeError(f"GET /api/items/1 after seeding: {got[:200]}")
    (d / "reads.lua").write_text(bench_sql.reads_lua(a.seed, "/api/items/"))
    (d / "inserts.lua").write_text(bench_sql.INSERTS_LUA)
    for key, path, lua in (("sql_read", "/api/items/1", "reads.lua"), ("sql_insert", "/api/items", "inserts.lua")):
        res.add(key, side.name, checked_wrk(ex, f"http://{host}{path}", a.duration, str(d / lua))["rps"])


def one_round(res, side, r, a, d):
    """One boot of side: boot time, then (idle), http, https, hs, sql."""
    keys = [k for g in ("boot", "idle", "http", "https", "hs", "sql") if g in a.only for k in GROUPS[g]]
    try:
        with booted(side, MEM, a.boot_timeout[side.name]) as (ex, vm, boot_s):
            if "boot" in a.only:
                res.add("boot", side.name, boot_s)
            if hasattr(vm, "t_ready"):     # the reference's own READY line, for comparison
                res.extra["boot"][side.name].setdefault("console_ready_s", []).append(vm.t_ready)
            log(f"{side.name} run {r + 1}: first HTTPS answer {boot_s:.2f} s after QEMU's start")
            steps = []
            if "idle" in a.only and (r == 0 or not a.quick):
                steps.append((["idle"], lambda: measure_idle(res, side, vm, a.settle)))
            static = [g for g in ("http", "https", "hs") if g in a.only]
            if static:
                steps.append((static, lambda: measure_static(res, side, ex, a)))
            if "sql" in a.only:
                steps.append((["sql"], lambda: measure_sql(res, side, ex, a, d)))
            for groups, step in steps:
                try:
                    step()
                except Exception as e:      # noqa: BLE001 (one figure fails, the others go on)
                    res.fail([k for g in groups for k in GROUPS[g]], side.name, f"run {r + 1}: {e}")
                    log(f"{side.name} run {r + 1}: {','.join(groups)}: {e}")
    except Exception as e:                  # noqa: BLE001
        res.fail(keys, side.name, f"run {r + 1}: {e}")
        log(f"{side.name} run {r + 1}: {e}")


def probe(side, mib, timeout):
    """Does side boot with -m mib, answer 100 HTTPS requests right and
    have its SQL route working (a read answered 200 or 404 within the
    boot timeout: the appliance's store and the reference's gunicorn)?"""
    try:
        with booted(side, f"{mib}M", timeout) as (ex, vm, _):
            out = sh(*ex, PY, "-c", CLIENT, "serve", side.ip, "100", "10", timeout=300, check=False).stdout
            if out.strip() != "100":
                return False
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                code = sh(*ex, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                          f"https://{side.ip}/api/items/1", check=False).stdout
                if code in ("200", "404"):
                    return True
                time.sleep(0.5)
            return False
    except Exception:                       # noqa: BLE001 (a guest that does not come up)
        return False


def memory_floor(res, side, a):
    """Bisect -m (MiB) between 8 and 512 (256 known good when the runs
    booted there): to 2 MiB, or with --quick until hi/lo <= 1.3."""
    lo, hi, probes = 8, 256, []
    timeout = a.boot_timeout[side.name]
    # The upper bound is probed too: the runs' boots at 256M checked one
    # answer, not this probe's.
    for top in (256, 512):
        hi = top
        probes.append((top, probe(side, top, timeout)))
        if probes[-1][1]:
            break
    else:
        res.fail(["mem"], side.name, "no right answers at -m 512M")
        return
    while (hi / lo > 1.3) if a.quick else (hi - lo > 2):
        mid = round((lo * hi) ** 0.5) if a.quick else (lo + hi) // 2
        ok = probe(side, mid, timeout)
        probes.append((mid, ok))
        log(f"{side.name} memory: -m {mid}M {'serves' if ok else 'fails'}")
        lo, hi = (lo, mid) if ok else (mid, hi)
    res.add("mem", side.name, hi)
    res.extra["mem"][side.name] = {"fails_at": lo if any(not ok for _, ok in probes) else None,
                                   "probes": probes}


def sizes(res, sides):
    mib = 1 << 20
    kernel = Path(ROOT, "build", "appliance-stripped.elf")
    img = Path(ROOT, "build", "appliance.img")
    if kernel.exists():
        res.add("size_kernel", "appliance", kernel.stat().st_size / mib)
    else:
        res.fail(["size_kernel"], "appliance", "build/appliance-stripped.elf missing (make all)")
    if img.exists():        # a fixed-size raw file, mostly zeros: gzip'd, as the reference's initramfs is
        with open(img, "rb") as f:
            res.add("size_disk", "appliance", len(gzip.compress(f.read(), 6)) / mib)
        res.extra["size_disk"]["appliance"] = {"raw_mib": img.stat().st_size / mib,
                                               "allocated_mib": img.stat().st_blocks * 512 / mib}
    else:
        res.fail(["size_disk"], "appliance", "no build/appliance.img (make image)")
    ref = sides.get("reference")
    if ref is None:
        return
    parts = {}
    info = ref.info or {}
    sz, paths = info.get("sizes") or {}, info.get("paths") or {}
    for name in set(sz) | set(paths):
        if any(w in name.lower() for w in ("kernel", "vmlinuz", "bzimage", "initrd", "initramfs")):
            parts[name] = sz[name] if name in sz else os.path.getsize(paths[name])
    if not parts:
        res.fail(["size_kernel", "size_disk"], "reference", f"no kernel/initramfs sizes in refguest.build(): {info}")
        return
    for k in ("size_kernel", "size_disk"):
        res.add(k, "reference", sum(parts.values()) / mib)
        res.extra[k]["reference"] = {"parts_bytes": parts}


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    qemu = sh("qemu-system-x86_64", "--version", check=False).stdout.splitlines()
    commit = sh("git", "-C", ROOT, "rev-parse", "--short", "HEAD", check=False).stdout.strip()
    dirty = sh("git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", check=False).stdout.strip()
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": platform.machine(), "cpu": cpu, "cores": os.cpu_count(),
            "qemu": qemu[0] if qemu else "?", "accel": ACCEL,
            "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "load_average": os.getloadavg()[0]}


def cell(s, dec, key):
    if s["status"] != "ok":
        return "not yet"
    text = f"{s['median']:,.{dec}f}"
    if key == "mem":
        return text + (f" (fails at {s['fails_at']})" if s.get("fails_at") else " (lowest tried)")
    if s["n"] > 1:
        text += f" ({s['min']:,.{dec}f}–{s['max']:,.{dec}f})"
    return text


def report(res, meta, a):
    figures, rows = [], []
    for key, name, unit, better, target, dec in FIGURES:
        if not any(key in GROUPS[g] for g in a.only):
            continue
        app, ref = res.summary(key, "appliance"), res.summary(key, "reference")
        ratio = app["median"] / ref["median"] if app["status"] == ref["status"] == "ok" and ref["median"] else None
        met = None
        if ratio is not None and target is not None:
            met = ratio <= target if better == "lower" else ratio >= target
        figures.append({"key": key, "figure": name, "unit": unit, "better": better, "target_ratio": target,
                        "appliance": app, "reference": ref, "ratio": ratio, "target_met": met})
        tgt = "" if target is None else (f"≤ {target:.3g}" if better == "lower" else f"≥ {target:.3g}")
        rows.append(f"| {name}, {unit} | {cell(app, dec, key)} | {cell(ref, dec, key)} | "
                    f"{'not yet' if ratio is None else f'{ratio:.3g}'} | {tgt} | "
                    f"{'' if met is None else ('yes' if met else 'no')} |")
    mode = (f"{'quick' if a.quick else 'full'}: {a.runs} boots of each side, wrk -t2 -c{CONNS} -d{a.duration}s "
            f"--latency, s_time x{PAR} -time {a.duration}, {a.seed} rows seeded, -m {MEM}")
    md = ["# make bench: the appliance beside the reference Linux guest", "",
          f"{meta['date']}; {meta['machine']}, {meta['cpu']}, {meta['cores']} cores (load {meta['load_average']:.2f} "
          f"at start); {meta['qemu']}; accelerator {meta['accel']}; appliance commit {meta['commit']}.", "",
          f"Mode {mode}. Cells: median (min–max) of the runs; ratio = appliance / reference of the medians; "
          "target: the ratio issue 11 aims for (lower is better for times, sizes, memory, latency and CPU).", ""]
    if ACCEL == "tcg":
        md += ["Both guests ran under TCG (emulated CPU): absolute numbers are not hardware figures; "
               "the ratios, measured in the same run, are what to compare.", ""]
    md += ["| figure | appliance | reference | ratio | target | met |", "|---|---|---|---|---|---|", *rows, ""]
    notes = list(res.notes)
    for f in figures:
        for side in SIDES:
            if f[side].get("note") and not f[side]["note"].startswith("side not available"):
                notes.append(f"{f['figure']}, {side}: {f[side]['note']}")
    if notes:
        md += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text("\n".join(md))
    (out / "bench.json").write_text(json.dumps({"meta": {**meta, "mode": mode, "runs": a.runs, "quick": a.quick,
                                                         "wrk": f"-t2 -c{CONNS} -d{a.duration}s"},
                                                "figures": figures, "notes": notes}, indent=1) + "\n")
    return "\n".join(md)


def tool(name):
    """tools/NAME.py as a module (its name has a dash)."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(ROOT, "tools", name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    global bench_sql, bench_http
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 runs, 3 s each, coarse memory floor (under 5 minutes)")
    p.add_argument("--runs", type=int, help="boots of each side (default 5, quick 3)")
    p.add_argument("--duration", type=int, help="seconds of each wrk / s_time run (default 10, quick 3)")
    p.add_argument("--only", default=",".join(GROUPS), help="figure groups: " + ",".join(GROUPS))
    p.add_argument("--sides", default=",".join(SIDES), help="appliance,reference")
    p.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    a = p.parse_args()
    a.only = [g for g in a.only.split(",") if g]
    if set(a.only) - set(GROUPS):
        p.error(f"unknown figures: {set(a.only) - set(GROUPS)}")
    a.runs = a.runs or (3 if a.quick else 5)
    a.duration = a.duration or (3 if a.quick else 10)
    a.seed = 200 if a.quick else 1000
    a.settle = 3 if a.quick else 5
    a.boot_timeout = {"appliance": 30.0, "reference": 300.0}
    if os.geteuid() != 0:
        raise SystemExit("bench: needs root (network namespaces, taps)")
    benchlib.ensure_packages({"wrk": "wrk", "curl": "curl", "openssl": "openssl"}, "bench")
    bench_sql, bench_http = tool("bench-sql"), tool("bench-http")

    meta = machine()
    res = Results()
    sides = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        want = a.sides.split(",")
        if "appliance" in want:
            try:
                (tmp / "app").mkdir()
                sides["appliance"] = Appliance(tmp / "app")
            except Exception as e:          # noqa: BLE001
                res.notes.append(f"appliance: not yet: {e}")
        if "reference" in want:
            try:
                (tmp / "ref").mkdir()
                sides["reference"] = Reference(tmp / "ref")
                meta["reference_build_s"] = round(sides["reference"].build_s, 1)
                meta["reference"] = sides["reference"].info
            except Exception as e:          # noqa: BLE001 (tools/refguest.py missing or failing)
                res.notes.append(f"reference: not yet: {type(e).__name__}: {e}")
        for side in SIDES:
            if side not in want:
                res.notes.append(f"{side}: not run (--sides)")
            if side not in sides:
                res.fail([k for k, *_ in FIGURES], side, "side not available (see notes)")
        try:
            if "size" in a.only:
                sizes(res, sides)
            order = [sides[s] for s in SIDES if s in sides]
            booting = {"boot", "idle", "http", "https", "hs", "sql"} & set(a.only)
            for r in range(a.runs if booting else 0):
                for side in order if r % 2 == 0 else order[::-1]:
                    (tmp / side.name / f"run{r}").mkdir(parents=True, exist_ok=True)
                    one_round(res, side, r, a, tmp / side.name / f"run{r}")
            boots = res.runs["boot"]["reference"]
            if boots:           # memory probes (after the runs): a guest not answering by then fails
                a.boot_timeout["reference"] = (max(20.0, 2 * statistics.median(boots)) if a.quick else
                                               max(30.0, 3 * statistics.median(boots)))
            if "mem" in a.only:
                for side in order:
                    memory_floor(res, side, a)
        finally:
            meta["runtime_s"] = round(time.monotonic() - T0, 1)
            table = report(res, meta, a)
    print()
    print(table)
    print(f"bench: {meta['runtime_s']:.0f} s; wrote {a.out}/bench.md and bench.json")


if __name__ == "__main__":
    main()

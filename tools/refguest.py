#!/usr/bin/python3
"""refguest.py: the reference Linux guest of the benchmarks (issue 11,
docs/benchmarks.md): "a Linux VM running nginx, an app server and a
database", built here from pinned Debian 12 packages without touching the
host system, and booted by the same QEMU the appliance runs on.

Command line:
  tools/refguest.py build [--out build/refguest]
      vmlinuz, initrd.img and manifest.json in OUT. Downloads exactly the
      packages of tools/refguest.lock (apt-get download into OUT/debs, so
      reruns are offline), unpacks them with dpkg-deb -x into OUT/stage,
      trims what a server does not run, adds the configuration and packs a
      gzip'd newc cpio. Skips the work when its inputs are unchanged.
  tools/refguest.py lock
      Rewrites tools/refguest.lock from the current bookworm candidates:
      the dependency closure of ROOTS (first alternative of each OR group,
      Depends and Pre-Depends only) minus PRUNE.
  tools/refguest.py boot [--ip 192.0.2.20] [--mem 256M] [--disk FILE]   (root)
      Boots the guest in a fresh tap namespace, prints the ready time and
      waits for Ctrl-C (for poking at it by hand).

Python interface (for tools/bench.py):
  build(out=DEFAULT_OUT) -> {"paths": {...}, "sizes": {...}}
  boot(ex_prefix, ip="192.0.2.20", mem="256M", accel=ACCEL, extra=(),
       disk=None, workers=None, tls="1.2+", cmdline=(), timeout=300)
      context manager; ex_prefix from benchlib.tap_ns(). Yields a RefGuest
      with .ip, .t_ready (seconds from QEMU's start to the console line
      "REFGUEST READY"), .proc (the QEMU Popen) and .console(). disk: a raw
      file made (64 MiB) and formatted ext4 on the host if missing, attached
      as virtio-blk (cache=writeback, like bench-sql's appliance disk); the
      guest keeps its database there, else in RAM (tmpfs). cmdline: more
      kernel command-line words (e.g. "ref.shell", "loglevel=7").

The guest (one vCPU unless extra says otherwise): Debian's cloud kernel
with the virtio modules loaded by /init; busybox for the shell tools;
nginx-light on :80 and :443 (ECDSA P-256 certificate made at build time;
TLS 1.2 and 1.3, or 1.2 only with tls="1.2", the three ECDHE AEAD suites
of tools/bench-tls.py, shared session cache, no tickets, keep-alive)
serving /1k.bin and /1k.txt (the 1 KB body of bench-http.py) and proxying
/items... (and /api/X as /X) to gunicorn on 127.0.0.1:8000 running
bench-sql.py's reference WSGI app on Python's sqlite3 with the same
schema (WAL, synchronous=FULL). Kernel command line: ref.ip=A/N,
ref.gw=A, ref.workers=N (gunicorn workers, default the CPU count),
ref.tls=1.2, ref.shell (a root shell on the console after READY).
"""
import argparse
import contextlib
import fcntl
import gzip
import hashlib
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
LOCK = TOOLS / "refguest.lock"
DEFAULT_OUT = ROOT / "build" / "refguest"
ACCEL = os.environ.get("ACCEL", "tcg")
READY = "REFGUEST READY"
# Console text after which the guest will not get ready (e.g. -m too small:
# the initramfs does not fit in RAM), so a caller bisecting -m need not wait.
FATAL = ("Initramfs unpacking failed", "Kernel panic", "Out of memory")
DISK_MB = 64

# What the guest is for; everything else in the lock is their dependencies.
KERNEL_META = "linux-image-cloud-amd64"     # resolved to its versioned package
ROOTS = ["busybox-static", "nginx-light", "python3-gunicorn"]

# Dependencies left out, with why. The guest never runs dpkg, maintainer
# scripts or an initramfs generator, and its Python runs one WSGI app.
PRUNE = {
    "debconf": "maintainer-script questions",
    "cdebconf": "maintainer-script questions",
    "dpkg": "python3-minimal's maintainer scripts (py3compile); we byte-compile at build",
    "kmod": "busybox insmod loads the modules",
    "linux-base": "kernel maintainer scripts",
    "initramfs-tools": "we build the initramfs ourselves",
    "linux-initramfs-tool": "we build the initramfs ourselves",
    "iproute2": "busybox ip configures the NIC",
    "libnginx-mod-http-echo": "a dynamic module nginx-light pulls in; not loaded",
    "python3-setuptools": "gunicorn only needs pkg_resources (its own package)",
    "media-types": "/etc/mime.types for Python's mimetypes; unused",
    "mime-support": "/etc/mime.types for Python's mimetypes; unused",
    "libdb5.3": "Python's dbm module; unused",
    "libncursesw6": "Python's curses; unused",
    "libtinfo6": "Python's curses and readline; unused",
    "libreadline8": "Python's interactive readline; unused",
    "libnsl2": "Python's nis module; unused",
    "libtirpc3": "libnsl2's RPC (and Kerberos behind it); unused",
}

# Trimmed from the unpacked packages: documentation, and parts of the
# packages nothing in the guest loads. Paths relative to the root.
TRIM = [
    "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian",
    "usr/share/bug", "usr/share/bash-completion", "usr/share/apport", "usr/share/nginx",
    "usr/lib/x86_64-linux-gnu/gconv",            # glibc iconv modules: nothing here uses iconv
    "usr/lib/python3.11/test", "usr/lib/python3.11/idlelib", "usr/lib/python3.11/tkinter",
    "usr/lib/python3.11/turtledemo", "usr/lib/python3.11/ensurepip", "usr/lib/python3.11/lib2to3",
    "usr/lib/python3.11/pydoc_data", "usr/lib/python3.11/config-3.11-x86_64-linux-gnu",
    "etc/init.d", "etc/logrotate.d", "etc/ufw", "lib/systemd", "usr/lib/systemd",
]

# Kernel modules the guest loads (the cloud kernel builds virtio as modules);
# their dependencies are added from each module's modinfo.
MODULES = ["virtio_pci", "virtio_net", "virtio_blk", "virtio_rng"]

# The TLS suites of tools/bench-tls.py (TLS 1.2; TLS 1.3 has its own AEADs).
SUITES = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384"


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw).stdout


def apt(*args, **kw):
    """apt-get/apt-cache with the host's package lists (read only here)."""
    return run(*args, "-o", "APT::Sandbox::User=root", **kw)


def tool_module(name):
    """A benchmark script (tools/NAME.py, not importable by name for its dash)
    as a module: the reference app, schema and 1 KB body are theirs."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), TOOLS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(TOOLS))          # they import benchlib
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- lock

def parse_depends(text):
    """apt-cache depends output -> {package: [dependency names]}, taking the
    first alternative of each OR group and a virtual package's first
    provider; Depends and PreDepends only."""
    deps, cur, pending_virtual, in_or = {}, None, None, False
    for line in text.splitlines():
        if not line.startswith(" "):
            cur = line.strip()
            deps.setdefault(cur, [])
            pending_virtual, in_or = None, False
            continue
        m = re.match(r"^ ( |\|)(PreDepends|Depends|Recommends|Suggests|\w+): (.*)$", line)
        if m:
            alt, kind, name = m.group(1) == "|", m.group(2), m.group(3).strip()
            first = not in_or
            in_or = alt                       # the next line continues this group
            pending_virtual = None
            if kind not in ("Depends", "PreDepends") or not first:
                continue
            if name.startswith("<"):
                pending_virtual = name
            else:
                deps[cur].append(name.split(":")[0])
            continue
        if pending_virtual and line.startswith("    "):   # a provider of the virtual package
            deps[cur].append(line.strip().split(":")[0])
            pending_virtual = None
    return deps


def closure(roots):
    """Dependency closure of roots minus PRUNE, breadth first."""
    seen, frontier = set(), list(roots)
    while frontier:
        batch = sorted(set(p for p in frontier if p not in seen and p not in PRUNE))
        if not batch:
            break
        seen.update(batch)
        out = apt("apt-cache", "depends", "--no-recommends", "--no-suggests", "--no-conflicts",
                  "--no-breaks", "--no-replaces", "--no-enhances", *batch)
        frontier = [d for ds in parse_depends(out).values() for d in ds]
    return sorted(seen)


def candidates(names):
    """{name: candidate version} from apt-cache policy."""
    out, versions, cur = apt("apt-cache", "policy", *names), {}, None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            cur = line.rstrip(":")
        m = re.match(r"\s+Candidate: (\S+)", line)
        if m and cur:
            if m.group(1) == "(none)":
                raise SystemExit(f"refguest: no candidate for {cur}")
            versions[cur] = m.group(1)
    return versions


def kernel_package():
    out = apt("apt-cache", "depends", KERNEL_META)
    return re.search(r"Depends: (linux-image-\S+)", out).group(1)


def lock():
    names = closure([kernel_package()] + ROOTS)
    versions = candidates(names)
    lines = [f"{n} {versions[n]}" for n in names]
    LOCK.write_text("# tools/refguest.py lock: the reference guest's Debian 12 packages, pinned.\n"
                    + "\n".join(lines) + "\n")
    print(f"refguest: {len(lines)} packages in {LOCK.relative_to(ROOT)}")


def read_lock():
    pins = []
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split()
            pins.append((name, version))
    return pins


# ---------------------------------------------------------------- fetch and unpack

def deb_path(debs, name, version):
    """The cached .deb of name=version, or None (apt writes ':' as '%3a')."""
    hits = sorted(debs.glob(f"{name}_{version.replace(':', '%3a')}_*.deb"))
    return hits[0] if hits else None


def fetch(debs, pins):
    """Download the pinned packages that are not cached yet."""
    debs.mkdir(parents=True, exist_ok=True)
    missing = [f"{n}={v}" for n, v in pins if not deb_path(debs, n, v)]
    if missing:
        print(f"refguest: downloading {len(missing)} packages", file=sys.stderr)
        apt("apt-get", "download", "-q", *missing, cwd=debs)
    return {n: deb_path(debs, n, v) for n, v in pins}


def unpack(files, stage):
    """Every package's files into one fresh staging root (no scripts run)."""
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for deb in files.values():
        run("dpkg-deb", "-x", str(deb), str(stage))


def trim(stage):
    """Remove the TRIM paths (files, folders or links) from the staging root."""
    for rel in TRIM:
        p = stage / rel
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()


def module_depends(ko):
    m = re.search(rb"\x00depends=([^\x00]*)\x00", b"\x00" + ko.read_bytes())
    return [d for d in m.group(1).decode().split(",") if d] if m else []


def keep_modules(stage):
    """Delete every kernel module but MODULES and their dependencies; returns
    the kernel version and the kept modules' paths in load order."""
    (kver,) = [p.name for p in (stage / "lib/modules").iterdir()]
    base = stage / "lib/modules" / kver
    by_name = {ko.stem.replace("-", "_"): ko for ko in (base / "kernel").rglob("*.ko")}
    order = []

    def visit(name):                    # dependencies first
        if name in order:
            return
        for dep in module_depends(by_name[name]):
            visit(dep)
        order.append(name)

    for name in MODULES:
        visit(name)
    keep = {by_name[n] for n in order}
    for ko in by_name.values():
        if ko not in keep:
            ko.unlink()
    for d in sorted((base / "kernel").rglob("*"), reverse=True):   # now-empty folders
        if d.is_dir() and not any(d.iterdir()):
            d.rmdir()
    return kver, [str(by_name[n].relative_to(stage)) for n in order]


def compile_python(stage):
    """Byte-compile the Python code as Debian's postinst (py3compile) would,
    so the guest does not compile on every boot. The host's /usr/bin/python3
    is the same 3.11 (same bytecode magic)."""
    dirs = [str(stage / "usr/lib/python3.11"), str(stage / "usr/lib/python3/dist-packages"), str(stage / "srv/app")]
    run("/usr/bin/python3", "-m", "compileall", "-q", "-j", "0", "-s", str(stage), "-p", "/", *dirs)


# ---------------------------------------------------------------- the guest's own files

INIT = r"""#!/bin/busybox sh
# /init of the reference guest (written by tools/refguest.py).
/bin/busybox mkdir -p /usr/sbin /usr/bin /sbin
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
while read -r m; do insmod "/$m" || echo "refguest: insmod $m failed"; done < /etc/refguest/modules

IP=192.0.2.20/24 GW= WORKERS=$(nproc) TLS="TLSv1.2 TLSv1.3" SHELL_ON=
for a in $(cat /proc/cmdline); do
    case "$a" in
        ref.ip=*) IP=${a#ref.ip=} ;;
        ref.gw=*) GW=${a#ref.gw=} ;;
        ref.workers=*) WORKERS=${a#ref.workers=} ;;
        ref.tls=1.2) TLS="TLSv1.2" ;;
        ref.shell) SHELL_ON=1 ;;
    esac
done
case "$IP" in */*) ;; *) IP=$IP/24 ;; esac
ip link set lo up
ip addr add "$IP" dev eth0
ip link set eth0 up
[ -n "$GW" ] && ip route add default via "$GW"

# nginx first: the static file over HTTPS does not wait for Python (as
# the appliance serves files before its store is ready).
mkdir -p /var/lib/nginx /var/log/nginx
sed "s/@TLS@/$TLS/" /etc/refguest/nginx.conf.in > /etc/refguest/nginx.conf
nginx -c /etc/refguest/nginx.conf

# The database: on the virtio disk when there is one (ext4, made on the host).
mkdir -p /data
if [ -b /dev/vda ] && mount -t ext4 -o noatime /dev/vda /data; then :; else mount -t tmpfs tmpfs /data; fi
BENCH_DB=/data/items.db python3 /srv/app/mkdb.py
BENCH_DB=/data/items.db python3 -m gunicorn --workers "$WORKERS" --worker-class sync --bind 127.0.0.1:8000 \
    --chdir /srv/app --error-logfile /tmp/gunicorn.log --daemon app:app

# Ready when all three listen (busybox netstat; gunicorn takes longest).
n=0
until [ "$(netstat -ltn | grep -cE ':(80|443|8000) ')" -ge 3 ]; do
    n=$((n + 1))
    if [ $n -gt 1200 ]; then
        echo "refguest: not listening after 120 s"; netstat -ltn; cat /tmp/gunicorn.log /var/log/nginx/error.log
        break
    fi
    usleep 100000
done
echo "REFGUEST READY"
if [ -n "$SHELL_ON" ]; then
    while :; do setsid cttyhack sh; done
fi
while :; do sleep 3600; done
"""

NGINX_CONF = """# nginx of the reference guest (written by tools/refguest.py; @TLS@ set by /init).
user root;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    types { application/octet-stream bin; text/plain txt; }
    default_type application/octet-stream;
    keepalive_timeout 300s;
    keepalive_requests 100000;
    ssl_certificate /etc/refguest/cert.pem;
    ssl_certificate_key /etc/refguest/key.pem;
    ssl_protocols @TLS@;
    ssl_ciphers %(suites)s;
    ssl_prefer_server_ciphers on;
    ssl_ecdh_curve X25519:prime256v1;
    ssl_session_cache shared:SSL:4m;
    ssl_session_tickets off;
    upstream app { server 127.0.0.1:8000; }
    server {
        listen 80;
        listen 443 ssl;
        root /srv/www;
        location /items { proxy_pass http://app; proxy_set_header Host $host; }
        location /api/ { proxy_pass http://app/; proxy_set_header Host $host; }
    }
}
""" % {"suites": SUITES}

MKDB = """# Creates the database as tools/bench-sql.py's reference does (written by tools/refguest.py).
import os, sqlite3
con = sqlite3.connect(os.environ["BENCH_DB"])
con.execute("PRAGMA journal_mode=WAL")
if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'items'").fetchone():
    con.executescript(open("/srv/app/schema.sql").read())
con.close()
"""


def certificate(d):
    """A fresh ECDSA P-256 self-signed certificate, as bench-tls.py makes."""
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
        "-subj", "/CN=refguest.test", "-addext", "subjectAltName=DNS:refguest.test",
        "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"))


def write_guest_files(stage, modules):
    """The guest's own files on top of the packages."""
    sql, body = tool_module("bench-sql"), tool_module("bench-http").BODY
    files = {
        "init": INIT,
        "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n",
        "etc/group": "root:x:0:\n",
        "etc/hosts": "127.0.0.1 localhost\n",
        "etc/refguest/modules": "\n".join(modules) + "\n",
        "etc/refguest/nginx.conf.in": NGINX_CONF,
        "srv/app/app.py": f"SELECT = {sql.SELECT!r}\nINSERT = {sql.INSERT!r}\n" + sql.WSGI_APP,
        "srv/app/schema.sql": sql.SCHEMA,
        "srv/app/mkdb.py": MKDB,
        "srv/www/1k.bin": body,
        "srv/www/1k.txt": body,
    }
    for rel, data in files.items():
        p = stage / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    (stage / "init").chmod(0o755)
    for d in ("proc", "sys", "dev", "tmp", "run", "data", "root"):
        (stage / d).mkdir(exist_ok=True)
    certificate(stage / "etc/refguest")


# ---------------------------------------------------------------- cpio

def cpio_entry(out, ino, name, mode, data=b"", mtime=0, rdev=(0, 0)):
    nlink = 2 if stat.S_ISDIR(mode) else 1
    fields = [ino, mode, 0, 0, nlink, mtime, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out.write(hdr + name.encode() + b"\0")
    out.write(b"\0" * (-(len(hdr) + len(name) + 1) % 4))
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def pack_cpio(stage, path):
    """stage as a gzip'd newc cpio owned by root, plus /dev/console (the
    kernel opens it for /init before devtmpfs is mounted)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
        ino = 1
        cpio_entry(out, ino, "dev", stat.S_IFDIR | 0o755)
        ino += 1
        cpio_entry(out, ino, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
        for dirpath, dirnames, filenames in os.walk(stage):
            dirnames.sort()
            for n in dirnames + sorted(filenames):
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, stage)
                st = os.lstat(p)
                ino += 1
                if stat.S_ISLNK(st.st_mode):
                    data = os.readlink(p).encode()
                elif stat.S_ISREG(st.st_mode):
                    with open(p, "rb") as f:
                        data = f.read()
                else:
                    data = b""
                if rel == "dev":
                    continue
                cpio_entry(out, ino, rel, st.st_mode, data, int(st.st_mtime))
        cpio_entry(out, ino + 1, "TRAILER!!!", 0)


# ---------------------------------------------------------------- build

def inputs_digest():
    """What the outputs depend on: this script, the lock, the shared app and body."""
    h = hashlib.sha256()
    for f in (Path(__file__), LOCK, TOOLS / "bench-sql.py", TOOLS / "bench-http.py"):
        h.update(f.read_bytes())
    return h.hexdigest()


def tree_bytes(d):
    return sum(os.lstat(os.path.join(dp, f)).st_size for dp, _, fs in os.walk(d) for f in fs)


def build(out=DEFAULT_OUT):
    """Build vmlinuz, initrd.img and manifest.json in out (skipped when its
    inputs are unchanged); returns {"paths": ..., "sizes": ...}. Concurrent
    callers wait for each other (one staging root); outputs are replaced
    atomically, so a guest already booting keeps its files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        return build_locked(out)


def build_locked(out):
    pins = read_lock()
    digest = inputs_digest()
    paths = {"vmlinuz": out / "vmlinuz", "initrd": out / "initrd.img", "manifest": out / "manifest.json"}
    result = {"paths": {k: str(v) for k, v in paths.items()}}
    if all(p.exists() for p in paths.values()):
        manifest = json.loads(paths["manifest"].read_text())
        if manifest.get("inputs") == digest:
            return {**result, "sizes": manifest["sizes"]}
    files = fetch(out / "debs", pins)
    stage = out / "stage"
    unpack(files, stage)
    trim(stage)
    kver, modules = keep_modules(stage)
    shutil.move(str(stage / "boot" / f"vmlinuz-{kver}"), out / "vmlinuz.tmp")
    shutil.rmtree(stage / "boot")
    write_guest_files(stage, modules)
    compile_python(stage)
    pack_cpio(stage, out / "initrd.tmp")
    (out / "vmlinuz.tmp").replace(paths["vmlinuz"])
    (out / "initrd.tmp").replace(paths["initrd"])
    sizes = {"vmlinuz": paths["vmlinuz"].stat().st_size, "initrd": paths["initrd"].stat().st_size,
             "root_bytes": tree_bytes(stage)}
    sizes["total"] = sizes["vmlinuz"] + sizes["initrd"]
    manifest = {"inputs": digest, "kernel": kver, "modules": modules, "sizes": sizes,
                "packages": [{"name": n, "version": v, "deb_bytes": files[n].stat().st_size} for n, v in pins]}
    (out / "manifest.tmp").write_text(json.dumps(manifest, indent=1) + "\n")
    (out / "manifest.tmp").replace(paths["manifest"])
    return {**result, "sizes": sizes}


# ---------------------------------------------------------------- boot

class RefGuest:
    """A running reference guest: .ip, .t_ready, .proc, .console()."""

    def __init__(self, proc, ip, t0):
        self.proc, self.ip, self.t0, self.t_ready = proc, ip, t0, None
        self._out, self._cond = [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            with self._cond:
                self._out.append(raw.decode("utf-8", "replace").replace("\r", ""))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def console(self):
        with self._cond:
            return "".join(self._out)

    def wait_ready(self, timeout):
        deadline = self.t0 + timeout
        with self._cond:
            while READY not in "".join(self._out):
                text = "".join(self._out)
                if (self.proc.poll() is not None or time.monotonic() > deadline
                        or any(f in text for f in FATAL)):
                    raise RuntimeError(f"refguest: no '{READY}' within {timeout}s; console:\n{''.join(self._out)}"
                                       + f"\nqemu stderr: {self.proc.stderr.read().decode() if self.proc.poll() is not None else '(running)'}")
                self._cond.wait(0.1)
        self.t_ready = time.monotonic() - self.t0


def format_disk(path):
    """A raw file with an empty ext4, made on the host (the guest mounts it)."""
    path = Path(path)
    if not path.exists():
        with open(path, "wb") as f:
            f.truncate(DISK_MB << 20)
        run("mkfs.ext4", "-q", "-F", "-L", "refdata", str(path))
    return ["-drive", f"file={path},format=raw,if=none,id=d0,cache=writeback", "-device", "virtio-blk-pci,drive=d0"]


def qemu_command(paths, ip, mem, accel, extra, disk, workers, tls, cmdline):
    sys.path.insert(0, str(TOOLS))
    import benchlib                       # the tap device the appliance uses
    append = f"console=ttyS0 ref.ip={ip}/24 quiet panic=-1"     # panic: reboot, so QEMU (-no-reboot) exits
    if workers:
        append += f" ref.workers={workers}"
    if tls == "1.2":
        append += " ref.tls=1.2"
    append = " ".join([append, *cmdline])
    return (["qemu-system-x86_64", "-name", f"refguest-{os.getpid()}", "-M", "q35", "-accel", accel, "-cpu", "max",
             "-m", mem, "-nodefaults", "-no-reboot", "-display", "none", "-serial", "stdio",
             "-kernel", paths["vmlinuz"], "-initrd", paths["initrd"], "-append", append]
            + benchlib.TAP_NETDEV + ["-device", "virtio-rng-pci"]
            + (format_disk(disk) if disk else []) + list(extra))


@contextlib.contextmanager
def boot(ex_prefix, ip="192.0.2.20", mem="256M", accel=ACCEL, extra=(), disk=None, workers=None, tls="1.2+",
         cmdline=(), timeout=300, out=DEFAULT_OUT):
    """Boot the guest (built if needed) inside ex_prefix's namespace; yield
    a RefGuest once it printed READY. QEMU is killed on exit."""
    paths = build(out)["paths"]
    cmd = list(ex_prefix) + qemu_command(paths, ip, mem, accel, extra, disk, workers, tls, cmdline)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        g = RefGuest(proc, ip, t0)
        g.wait_ready(timeout)
        yield g
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def boot_by_hand(args):
    sys.path.insert(0, str(TOOLS))
    import benchlib
    with benchlib.tap_ns() as ex, boot(ex, ip=args.ip, mem=args.mem, disk=args.disk) as g:
        print(f"refguest: ready in {g.t_ready:.2f} s at {g.ip}; namespace: {' '.join(ex)}; Ctrl-C ends it")
        try:
            while g.proc.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        print(g.console())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", default=str(DEFAULT_OUT))
    sub.add_parser("lock")
    g = sub.add_parser("boot")
    g.add_argument("--ip", default="192.0.2.20")
    g.add_argument("--mem", default="256M")
    g.add_argument("--disk", default=None)
    args = ap.parse_args()
    if args.cmd == "build":
        r = build(args.out)
        print(json.dumps(r, indent=1))
    elif args.cmd == "lock":
        lock()
    else:
        boot_by_hand(args)


if __name__ == "__main__":
    main()

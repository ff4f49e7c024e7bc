"""benchlib.py: what the benchmark scripts share (tools/bench-http.py,
tools/bench-tls.py, tools/bench-sql.py, tools/bench-auth.py,
tools/bench.py): the appliance booted in a network namespace behind a
tap, and Debian's nginx in a namespace pair over veth, each seen from a
client namespace at 192.0.2.1; the clients (wrk, openssl s_time) and
their parsers. Needs root. All traffic stays inside the namespaces."""
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
APPLIANCE_IP, NGINX_IP = "192.0.2.10", "192.0.2.2"


def sh(*a, check=True, **kw):
    return subprocess.run(list(a), check=check, capture_output=True, text=True, **kw)


def write_files(d, files):
    for name, data in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())


@contextlib.contextmanager
def tap_ns():
    """A namespace with tap0 at 192.0.2.1/24 for a guest's virtio-net (QEMU
    -netdev tap,ifname=tap0 run inside it); yields its exec prefix."""
    ns = f"apb-{os.getpid()}"
    ex = ["ip", "netns", "exec", ns]
    sh("ip", "netns", "add", ns)
    try:
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
        sh(*ex, "ip", "addr", "add", "192.0.2.1/24", "dev", "tap0")
        sh(*ex, "ip", "link", "set", "tap0", "up")
        yield ex
    finally:
        sh("ip", "netns", "del", ns, check=False)


TAP_NETDEV = ["-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no", "-device", "virtio-net-pci,netdev=n0"]


@contextlib.contextmanager
def veth_pair():
    """Two namespaces joined by veth: the client at 192.0.2.1, the server
    at 192.0.2.2; yields both exec prefixes."""
    a, b = f"apbn-a-{os.getpid()}", f"apbn-b-{os.getpid()}"
    for ns in (a, b):
        sh("ip", "netns", "add", ns)
    try:
        sh("ip", "link", "add", "vbh0", "netns", a, "type", "veth", "peer", "name", "vbh1", "netns", b)
        sh("ip", "netns", "exec", a, "ip", "addr", "add", "192.0.2.1/24", "dev", "vbh0")
        sh("ip", "netns", "exec", b, "ip", "addr", "add", f"{NGINX_IP}/24", "dev", "vbh1")
        for ns, dev in ((a, "vbh0"), (b, "vbh1")):
            sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield ["ip", "netns", "exec", a], ["ip", "netns", "exec", b]
    finally:
        for ns in (a, b):
            sh("ip", "netns", "del", ns, check=False)


def pack(d, conf, files, apctl=None):
    """Write conf and files under d and pack them into d/blob with apctl
    (build/apctl unless given); the blob's path."""
    write_files(d, {"appliance.conf": conf, **files})
    sh(apctl or os.path.join(ROOT, "build", "apctl"), "pack", str(d / "appliance.conf"), "-o", str(d / "blob"))
    return str(d / "blob")


def data_disk(path, mb=64):
    """A blank raw disk of mb MiB at path (sparse); the QEMU arguments that
    attach it as the first virtio-blk disk (vda), cache=writeback."""
    with open(path, "wb") as f:
        f.truncate(mb << 20)
    return ["-drive", f"file={path},format=raw,if=none,id=d0,cache=writeback", "-device", "virtio-blk-pci,drive=d0"]


@contextlib.contextmanager
def appliance(d, conf, files, append="log=warn", mem="256M", extra=(), kernel=None, apctl=None):
    """Boot a blob of conf (address 192.0.2.10/24) and files; yield the
    client namespace's exec prefix and the Guest. extra: more QEMU
    arguments (e.g. a data disk); kernel, apctl: copies to use instead of
    build/appliance.elf and build/apctl."""
    from qemu import Guest
    blob = pack(d, conf, files, apctl)
    kw = {"kernel": kernel} if kernel else {}
    with tap_ns() as ex:
        with Guest(append, mem=mem, prefix=ex, extra=["-initrd", blob] + TAP_NETDEV + list(extra),
                   **kw) as g:
            time.sleep(3)
            yield ex, g


@contextlib.contextmanager
def nginx(d, server, files):
    """Debian's nginx, one worker, with server (the text of an http-block
    server, listening on 192.0.2.2) and files under d; yield the client
    namespace's exec prefix and the nginx process."""
    write_files(d, files)
    (d / "nginx.conf").write_text(
        f"user root;\nworker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ access_log off; {server} }}\n")
    with veth_pair() as (client, server_ns):
        srv = subprocess.Popen([*server_ns, "nginx", "-p", str(d), "-c", str(d / "nginx.conf")])
        time.sleep(1)
        try:
            yield client, srv
        finally:
            srv.terminate()
            srv.wait()


def ensure_packages(want, who):
    """Install the Debian packages of the commands in want ({command:
    package}) that are missing; no service is started."""
    missing = [pkg for cmd, pkg in want.items() if not shutil.which(cmd)]
    if not missing:
        return
    print(f"{who}: installing {' '.join(missing)}", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    policy = "/usr/sbin/policy-rc.d"
    made = not os.path.exists(policy)
    if made:
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
    try:
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
        if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    finally:
        if made:
            os.unlink(policy)


def pct(xs, p):
    """The p-th percentile of xs (nearest rank)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * p // 100) - 1))]


def wrk(ex, url, duration, conns, headers=(), lua=None, threads=2):
    """wrk in the namespace of ex (-t threads -c conns -d duration
    --latency), optionally with headers and a Lua script: a dict of rps,
    p99 (ms), total, non2xx and socket (wrk's socket error line, or "")."""
    args = [*ex, "wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--latency", "--timeout", "10s"]
    for h in headers:
        args += ["-H", h]
    if lua:
        args += ["-s", lua]
    out = sh(*args, url, timeout=duration + 60).stdout
    if os.environ.get("VERBOSE"):
        print(out, file=sys.stderr)
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p99": float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else None,
            "total": int(re.search(r"(\d+) requests in", out).group(1)),
            "non2xx": int(errs.group(1)) if errs else 0, "socket": sock.group(1) if sock else ""}


# TLS: the suites both sides of the TLS comparisons offer (TLS 1.2, ECDSA).
SUITES = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384"


def ec_cert(d, cn="bench.test"):
    """A self-signed ECDSA P-256 certificate and key for cn, made in d:
    (certificate PEM, key PEM)."""
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
       "-subj", f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn}",
       "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"))
    return (d / "cert.pem").read_bytes(), (d / "key.pem").read_bytes()


def s_time(ex, host, reuse, duration, par, path="/1k.txt", extra=()):
    """TLS connections a second from par `openssl s_time` processes at
    once for duration seconds, each fetching path once per connection:
    full handshakes (-new) or resumed ones (-reuse)."""
    args = [*ex, "openssl", "s_time", "-connect", f"{host}:443", "-www", path, "-time", str(duration),
            "-cipher", SUITES, "-reuse" if reuse else "-new", *extra]
    t0 = time.monotonic()
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(par)]
    count = 0
    for p in procs:
        out = p.communicate(timeout=duration + 60)[0]
        m = re.findall(r"(\d+) connections in [\d.]+s", out)
        if not m:
            raise RuntimeError(f"openssl s_time gave no count:\n{out[-500:]}")
        count += int(m[-1])
    # s_time's own "real seconds" is a whole number (10 % off at 10 s):
    # the processes' wall time, measured here, divides instead.
    return count / (time.monotonic() - t0)


def cpu_seconds(pid):
    """Host CPU time (user + system) process pid has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

"""benchlib.py: what the benchmark scripts share (tools/bench-http.py,
tools/bench-tls.py, tools/bench-sql.py): the appliance booted in a
network namespace behind a tap, and Debian's nginx in a namespace pair
over veth, each seen from a client namespace at 192.0.2.1. Needs root.
All traffic stays inside the namespaces."""
import contextlib
import os
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


@contextlib.contextmanager
def appliance(d, conf, files, append="log=warn", mem="256M", extra=(), kernel=None, apctl=None):
    """Boot a blob of conf (address 192.0.2.10/24) and files; yield the
    client namespace's exec prefix and the Guest. extra: more QEMU
    arguments (e.g. a data disk); kernel, apctl: copies to use instead of
    build/appliance.elf and build/apctl."""
    from qemu import Guest
    write_files(d, {"appliance.conf": conf, **files})
    sh(apctl or os.path.join(ROOT, "build", "apctl"), "pack", str(d / "appliance.conf"), "-o", str(d / "blob"))
    kw = {"kernel": kernel} if kernel else {}
    with tap_ns() as ex:
        with Guest(append, mem=mem, prefix=ex, extra=["-initrd", str(d / "blob")] + TAP_NETDEV + list(extra),
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

"""Raw-network tests on the tap path: each test makes its own network
namespace holding a tap device (192.0.2.1/24, a documentation range) and
runs QEMU and the clients inside it, so no packet leaves the namespace.
DHCP from dnsmasq in the namespace, a static address, ping and ARP."""
import os
import re
import subprocess

from qemu import ROOT
from tapnet import GUEST_MAC, needs_tap, netns, sh, tap_guest  # noqa: F401 (netns is a fixture)

pytestmark = needs_tap


def ping(ex, addr):
    return sh(*ex, "ping", "-c", "3", "-i", "0.2", "-W", "2", addr, check=False)


def test_dhcp_from_dnsmasq_ping_and_arp(netns, tmp_path):
    dnsmasq = subprocess.Popen(
        netns + ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--interface=tap0",
                 "--bind-dynamic", "--port=0", "--no-resolv", "--no-hosts",
                 f"--dhcp-leasefile={tmp_path}/leases",
                 "--dhcp-range=192.0.2.50,192.0.2.60,255.255.255.0,1h",
                 "--dhcp-option=option:router,192.0.2.1", "--log-dhcp"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with tap_guest(netns, "") as g:
            _, m = g.wait_for(r"net: dhcp: address (192\.0\.2\.\d+) mask 255\.255\.255\.0 "
                              r"gateway 192\.0\.2\.1 lease 3600s")
            addr = m.group(1)
            g.wait_for(rf"listening on {re.escape(addr)}")
            r = ping(netns, addr)
            assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
            neigh = sh(*netns, "ip", "neigh", "show", "dev", "tap0").stdout
            assert re.search(rf"{re.escape(addr)} lladdr {GUEST_MAC}", neigh), neigh
            # dnsmasq recorded the lease for our MAC.
            leases = (tmp_path / "leases").read_text()
            assert GUEST_MAC in leases and addr in leases
    finally:
        dnsmasq.kill()
        dnsmasq.wait()


def test_static_address_ping_and_arp(netns):
    with tap_guest(netns, "ip=192.0.2.10/24 gw=192.0.2.1") as g:
        g.wait_for(r"listening on 192\.0\.2\.10")
        r = ping(netns, "192.0.2.10")
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
        neigh = sh(*netns, "ip", "neigh", "show", "dev", "tap0").stdout
        assert re.search(rf"192\.0\.2\.10 lladdr {GUEST_MAC}", neigh), neigh
        # A wrong address gets no answer (the test can fail).
        assert ping(netns, "192.0.2.11").returncode != 0


def test_fifty_parallel_transfers_on_the_tap_path(netns):
    # 50 connections each echoing 200 KB at once: more in flight than the
    # 256-entry transmit ring holds, so the transmit backlog is exercised.
    with tap_guest(netns, "ip=192.0.2.10/24 test.tcpsvc=7") as g:
        g.wait_for(r"listening on 192\.0\.2\.10")
        client = os.path.join(ROOT, "tests", "netclient.py")
        r = sh(*netns, "/usr/bin/python3", client, "192.0.2.10", "7", "200000", "50", timeout=120)
        assert r.stdout.strip() == "50", r.stdout + r.stderr


def test_a_client_reusing_its_port_after_the_server_closed_connects_at_once(netns, tmp_path):
    # The server closes first (Connection: close), so its side of each
    # connection waits in TIME-WAIT; a client that reuses its port with a
    # higher sequence number must still get in at once (RFC 6191), not
    # after a SYN retransmission a second later.
    code = r'''
import socket, sys, time
worst = 0
for i in range(6):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("192.0.2.1", 40123))
    t0 = time.monotonic()
    s.settimeout(5)
    s.connect(("192.0.2.10", 80))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    assert data.startswith(b"HTTP/1.1 200"), data
    s.close()
    worst = max(worst, time.monotonic() - t0)
    time.sleep(0.05)
print("%.3f" % worst)
'''
    with tap_guest(netns, "ip=192.0.2.10/24") as g:
        g.wait_for(r"listening on 192\.0\.2\.10")
        r = sh(*netns, "/usr/bin/python3", "-c", code, timeout=60, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        assert float(r.stdout) < 0.5, r.stdout
        g.send("net")
        g.wait_for(r"TIME-WAIT reused [1-9]")


def test_a_413_reaches_a_client_still_sending_its_body(netns):
    # The server answers 413 from the Content-Length and closes while the
    # client is still uploading. The close lingers: what keeps arriving is
    # read and dropped until the client's FIN, so the client sees the 413
    # and an orderly end, never an RST (which would abort our unacked
    # response segments and, on some client systems, discard the unread
    # 413). Over the tap: nothing between the client's TCP and ours.
    code = r'''
import socket, threading, time
s = socket.create_connection(("192.0.2.10", 80), timeout=10)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n")
errors = []
def body():
    try:
        for _ in range(100):
            s.sendall(b"x" * 16384)
            time.sleep(0.005)
    except OSError as e:
        errors.append(repr(e))
t = threading.Thread(target=body)
t.start()
time.sleep(0.8)
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
t.join()
print(out.split(b"\r\n")[0].decode(), out.endswith(b"}\n"), errors or "no-errors")
'''
    with tap_guest(netns, "ip=192.0.2.10/24") as g:
        g.wait_for(r"listening on 192\.0\.2\.10")
        r = sh(*netns, "/usr/bin/python3", "-c", code, timeout=60, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.startswith("HTTP/1.1 413 "), r.stdout
        assert r.stdout.split()[-2:] == ["True", "no-errors"], r.stdout

"""Slow clients against the image on the tap path (tests/tapnet.py):
slowhttptest's slow headers (slowloris) and slow body (R-U-Dead-Yet)
while a well-behaved client keeps asking; every one of its requests must
be answered, and the server's counters must show the slow ones cut off
by the header and body timeouts."""
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request

import pytest

from tapnet import needs_tap, netns, sh, tap_guest  # noqa: F401 (netns is a fixture)

pytestmark = [needs_tap, pytest.mark.skipif(not shutil.which("slowhttptest"),
                                            reason="slowhttptest is installed by tools/install-packages.sh")]
APCTL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "build", "apctl")
GUEST = "192.0.2.10"
CONF = """\
network {
    address 192.0.2.10/24
}
firewall {
    inbound tcp 80 from any
}
limits {
    connections 64
    header-timeout 3s
    body-timeout 3s
}
routes {
    GET /healthz health
    POST /upload handler hello { body-max 1m }
    GET /* static www
}
"""


def blob(tmp_path):
    (tmp_path / "appliance.conf").write_text(CONF)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("<h1>still here</h1>\n")
    r = subprocess.run([APCTL, "pack", str(tmp_path / "appliance.conf"), "-o", str(tmp_path / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return ["-initrd", str(tmp_path / "blob")]


def probe(ex, stop, results):
    """A polite client: one request every 0.3 s, each in its own process
    inside the namespace (curl), timing out after 3 s."""
    while not stop.is_set():
        r = sh(*ex, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3",
               f"http://{GUEST}/healthz", check=False)
        results.append(r.stdout.strip())
        time.sleep(0.3)


@pytest.mark.parametrize("mode", ["-H", "-B"], ids=["slow-headers", "slow-body"])
def test_slow_clients_do_not_starve_others(netns, tmp_path, mode):
    with tap_guest(netns, "", extra=blob(tmp_path)) as g:
        g.wait_for(rf"listening on {GUEST}")
        stop, results = threading.Event(), []
        t = threading.Thread(target=probe, args=(netns, stop, results))
        t.start()
        try:
            # Slow headers trickle every 2 s: the header timeout is for the
            # whole head (3 s). A slow body sends every 5 s, past the body
            # timeout (3 s between reads, as nginx's client_body_timeout).
            interval = "2" if mode == "-H" else "5"
            args = ["slowhttptest", mode, "-c", "48", "-r", "24", "-i", interval, "-l", "12", "-x", "24",
                    "-p", "3", "-s", "65536", "-u", f"http://{GUEST}/" + ("upload" if mode == "-B" else "")]
            if mode == "-B":
                args += ["-t", "POST"]
            sh(*netns, *args, timeout=60, check=False)
        finally:
            stop.set()
            t.join()
        assert len(results) >= 10, results
        assert all(code == "200" for code in results), results
        g.send("http")
        kind = "header" if mode == "-H" else "body"
        _, m = g.wait_for(rf"http: connections: .*timeouts: .*{kind} (\d+)")
        assert int(m.group(1)) >= 10, g.output[-2000:]


def test_a_client_that_stops_reading_is_reset_after_the_send_timeout(netns, tmp_path):
    conf = CONF.replace("body-timeout 3s", "body-timeout 3s\n    send-timeout 2s")
    (tmp_path / "appliance.conf").write_text(conf)
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("<h1>still here</h1>\n")
    (tmp_path / "www" / "big.bin").write_bytes(os.urandom(4 << 20))
    r = subprocess.run([APCTL, "pack", str(tmp_path / "appliance.conf"), "-o", str(tmp_path / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    code = r'''
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("192.0.2.10", 80))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(5)                       # never read: the window closes
s.settimeout(5)
got = 0
try:
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        got += len(b)
    print("eof", got)
except ConnectionResetError:
    print("reset", got)
'''
    with tap_guest(netns, "", extra=["-initrd", str(tmp_path / "blob")]) as g:
        g.wait_for(rf"listening on {GUEST}")
        out = sh(*netns, "/usr/bin/python3", "-c", code, timeout=60, check=False).stdout.split()
        assert out and out[0] in ("reset", "eof") and int(out[1]) < 4 << 20, out
        g.send("http")
        g.wait_for(r"http: connections: .*send [1-9]")
        # Others are still served.
        r = sh(*netns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
               f"http://{GUEST}/", check=False)
        assert r.stdout == "200"

"""Whole-image TLS tests: the real image serves HTTPS on 443 (and the
test-only TLS service on 9443) with certificates from a test CA made here
by openssl, and real clients drive it over QEMU user networking (loopback
forwards): curl, openssl s_client, Python's ssl module, testssl.sh. They
check the protocol (TLS 1.2 only, forward-secret AEAD suites, X25519,
ALPN, SNI, resumption, close_notify), port 80's redirect and HSTS, 50 MB
each way with checksums, bad input of several kinds, the handshake
timeout, and that TLS does not start without hardware entropy."""
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time

import pytest

from qemu import ROOT, Guest, free_port

APCTL = os.path.join(ROOT, "build", "apctl")
BIG_LEN = 50 * 1000 * 1000
TLSSVC = 9443

CONF = """\
network { dhcp }
tls {
    certificate tls/a-chain.pem
    key tls/a.key
    host rsa.test *.rsa.test {
        certificate tls/rsa-chain.pem
        key tls/rsa.key
    }
    handshake-timeout 2s
    hsts 180d include-subdomains
}
firewall {
    inbound tcp 80 from any "http"
    inbound tcp 443 from any "https"
}
limits {
    connections 12
    keepalive-timeout 5s
}
routes {
    GET /healthz health { plain-http serve }
    GET /readyz ready { plain-http serve }
    GET /metrics metrics { auth none }
    GET /* static www
}
"""


def openssl(*args, **kw):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, **kw)
    assert r.returncode == 0, r.stderr
    return r


def make_ca(d):
    """A test CA and two leaves it signs: ECDSA P-256 for a.test (and
    localhost, 127.0.0.1), RSA 2048 for rsa.test and *.rsa.test."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "365",
            "-subj", "/CN=appliance test CA", "-addext", "basicConstraints=critical,CA:true",
            "-addext", "keyUsage=critical,keyCertSign", "-keyout", str(d / "ca.key"), "-out", str(d / "ca.pem"))
    leaves = {"a": (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
                    "DNS:a.test,DNS:localhost,IP:127.0.0.1"),
              "rsa": (["-newkey", "rsa:2048"], "DNS:rsa.test,DNS:*.rsa.test")}
    for name, (kind, san) in leaves.items():
        openssl("req", "-new", *kind, "-nodes", "-subj", f"/CN={name}.test", "-keyout", str(d / f"{name}.key"),
                "-out", str(d / f"{name}.csr"))
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"), "-CAkey",
                str(d / "ca.key"), "-CAcreateserial", "-days", "365", "-extfile", str(d / f"{name}.ext"),
                "-out", str(d / f"{name}.pem"))
        (d / f"{name}-chain.pem").write_text((d / f"{name}.pem").read_text() + (d / "ca.pem").read_text())


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls-site")
    (d / "tls").mkdir()
    make_ca(d / "tls")
    (d / "appliance.conf").write_text(CONF)
    www = d / "www"
    www.mkdir()
    (www / "index.html").write_text("<h1>hello over tls</h1>\n")
    big = os.urandom(BIG_LEN)
    (www / "big.bin").write_bytes(big)
    r = subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", str(d / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return {"blob": d / "blob", "ca": str(d / "tls" / "ca.pem"), "big_sha": hashlib.sha256(big).hexdigest(),
            "dir": d}


def tls_guest(blob, append="", extra=(), cpu="max", rng=False):
    g = Guest(append, mem="256M", cpu=cpu, extra=["-initrd", str(blob)] + list(extra))
    g.http, g.https, g.svc = free_port(), free_port(), free_port()
    g.cmd += ["-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{g.http}-:80,"
              f"hostfwd=tcp:127.0.0.1:{g.https}-:443,hostfwd=tcp:127.0.0.1:{g.svc}-:{TLSSVC}",
              "-device", "virtio-net-pci,netdev=n0"] + (["-device", "virtio-rng-pci"] if rng else [])
    return g


@pytest.fixture(scope="module")
def guest(site):
    with tls_guest(site["blob"], f"test.tlssvc={TLSSVC}") as g:
        g.wait_for(r"tls: serving port 443: 2 certificates, TLS 1.2", timeout=60)
        g.wait_for(r"TEST-ONLY TLS service")
        yield g


def client_ctx(site, check_hostname=True):
    ctx = ssl.create_default_context(cafile=site["ca"])
    ctx.check_hostname = check_hostname
    return ctx


def tls_socket(g, site, name="a.test", port=None, **kw):
    raw = socket.create_connection(("127.0.0.1", port or g.https), timeout=20)
    return client_ctx(site).wrap_socket(raw, server_hostname=name, **kw)


def metrics(g, site):
    c = http.client.HTTPSConnection("127.0.0.1", g.https, context=client_ctx(site, False), timeout=20)
    c.request("GET", "/metrics", headers={"Host": "a.test"})
    text = c.getresponse().read().decode()
    c.close()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(tls_\S+) (\S+)$", text, re.M)}


def s_client(g, *args, stdin="", name="a.test", site=None):
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{g.https}", "-servername", name, *args]
    if site:
        cmd += ["-CAfile", site["ca"], "-verify_return_error"]
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def curl(*args):
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=120)


# ---- clients that should succeed ----

def test_curl_verifies_the_chain_and_gets_hsts(guest, site):
    r = curl("--cacert", site["ca"], "--resolve", f"a.test:{guest.https}:127.0.0.1", "-D", "-",
             f"https://a.test:{guest.https}/")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert out.startswith("HTTP/1.1 200 ")
    assert "Strict-Transport-Security: max-age=15552000; includeSubDomains\r\n" in out
    assert out.endswith("<h1>hello over tls</h1>\n")


def test_port_80_redirects_keeping_host_path_and_query(guest):
    r = curl("-D", "-", "-o", "/dev/null", "-H", "Host: a.test:8080", f"http://127.0.0.1:{guest.http}/x/y?q=1&r=%20")
    head = r.stdout.decode()
    assert head.startswith("HTTP/1.1 301 ")
    assert "Location: https://a.test/x/y?q=1&r=%20\r\n" in head
    assert "Strict-Transport-Security" not in head      # never over plain HTTP (RFC 6797 7.2)
    # Other methods keep method and body: 308.
    r = curl("-D", "-", "-o", "/dev/null", "-X", "POST", "-d", "a=1", f"http://127.0.0.1:{guest.http}/form")
    assert r.stdout.decode().startswith("HTTP/1.1 308 ")
    # A route with plain-http serve answers on port 80.
    r = curl("-D", "-", f"http://127.0.0.1:{guest.http}/healthz")
    assert r.stdout.decode().startswith("HTTP/1.1 200 ") and b'"ok"' in r.stdout
    # A Host that is not a host: 400, no redirect to it.
    with socket.create_connection(("127.0.0.1", guest.http), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: evil.test/@x\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 400 ")


def test_python_ssl_checks_the_hostname(guest, site):
    with tls_socket(guest, site, "a.test") as s:
        assert s.version() == "TLSv1.2" and s.selected_alpn_protocol() is None
        s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 ")
    # The default certificate does not name wrong.test: the client refuses it.
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_socket(guest, site, "wrong.test")


def test_keep_alive_and_pipelining_over_tls(guest, site):
    c = http.client.HTTPSConnection("a.test", guest.https, context=client_ctx(site), timeout=20)
    c.sock = tls_socket(guest, site)            # keeps one connection for all
    for _ in range(10):
        c.request("GET", "/index.html")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"<h1>hello over tls</h1>\n"
    c.close()
    with tls_socket(guest, site) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" * 3 + b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200 ") == 4 and data.endswith(b"<h1>hello over tls</h1>\n")


def test_close_notify_both_ways(guest, site):
    # Our close (Connection: close): close_notify before the FIN, so a
    # strict client sees a clean end, not a truncation.
    with tls_socket(guest, site, suppress_ragged_eofs=False) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):             # SSLEOFError if it were missing
            data += chunk
        assert data.startswith(b"HTTP/1.1 200 ")
    # The client's close_notify on an idle keep-alive connection is answered.
    s = tls_socket(guest, site)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
    plain = s.unwrap()                          # sends ours, waits for the server's
    plain.close()


def test_fifty_megabytes_each_way(guest, site):
    r = subprocess.run(["curl", "-sS", "--cacert", site["ca"], "--resolve", f"a.test:{guest.https}:127.0.0.1",
                        f"https://a.test:{guest.https}/big.bin"], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == BIG_LEN and hashlib.sha256(r.stdout).hexdigest() == site["big_sha"]
    # Upload through the TLS stream layer to the test service, which hashes it.
    data = os.urandom(1 << 20)
    h = hashlib.sha256()
    with tls_socket(guest, site, port=guest.svc) as s:
        s.sendall(f"sink {BIG_LEN}\n".encode())
        sent = 0
        while sent < BIG_LEN:
            piece = data[:min(len(data), BIG_LEN - sent)]
            s.sendall(piece)
            h.update(piece)
            sent += len(piece)
        assert s.recv(100).decode().strip() == h.hexdigest()


# ---- the protocol ----

def test_only_tls_1_2(guest, site):
    before = metrics(guest, site)
    rc, out = s_client(guest, "-tls1_2", site=site)
    assert rc == 0 and "Protocol  : TLSv1.2" in out and "Verify return code: 0 (ok)" in out
    # Older versions: the client really offers them (SECLEVEL=0), and fails.
    for v in ("-tls1", "-tls1_1"):
        rc, out = s_client(guest, v, "-cipher", "DEFAULT@SECLEVEL=0")
        assert rc != 0 and "Cipher is (NONE)" in out, out
    rc, out = s_client(guest, "-tls1_3")
    assert rc != 0 and "alert handshake failure" in out
    after = metrics(guest, site)
    assert after['tls_handshake_failures_total{reason="version"}'] >= \
        before['tls_handshake_failures_total{reason="version"}'] + 2


def test_forward_secret_aead_only_and_server_order(guest, site):
    before = metrics(guest, site)
    for suites in ("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:AES128-SHA",   # CBC
                   "AES128-GCM-SHA256:AES256-GCM-SHA384"):                           # no forward secrecy
        rc, out = s_client(guest, "-tls1_2", "-cipher", suites)
        assert rc != 0 and "Cipher is (NONE)" in out, out
    after = metrics(guest, site)
    assert after['tls_handshake_failures_total{reason="no_shared_cipher"}'] >= \
        before['tls_handshake_failures_total{reason="no_shared_cipher"}'] + 2
    # The server's order wins over the client's.
    rc, out = s_client(guest, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
    assert rc == 0 and "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" in out
    rc, out = s_client(guest, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305")
    assert rc == 0 and "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305" in out
    # X25519 preferred; P-256 when the client has only that.
    rc, out = s_client(guest, "-tls1_2")
    assert rc == 0 and re.search(r"Server Temp Key: X25519", out), out
    rc, out = s_client(guest, "-tls1_2", "-groups", "P-256")
    assert rc == 0 and re.search(r"Server Temp Key: ECDH, prime256v1", out), out
    rc, out = s_client(guest, "-tls1_2", "-groups", "P-384")
    assert rc != 0


def test_alpn(guest, site):
    rc, out = s_client(guest, "-alpn", "h2,http/1.1")
    assert rc == 0 and "ALPN protocol: http/1.1" in out
    rc, out = s_client(guest, "-alpn", "h2")             # RFC 7301 3.2
    assert rc != 0 and "no application protocol" in out
    assert metrics(guest, site)['tls_handshake_failures_total{reason="alpn"}'] >= 1


def test_sni_picks_the_certificate(guest, site):
    for name, cn, kind in (("a.test", "a.test", "ECDSA"), ("rsa.test", "rsa.test", "RSA"),
                           ("www.rsa.test", "rsa.test", "RSA"), ("other.test", "a.test", "ECDSA")):
        rc, out = s_client(guest, "-tls1_2", name=name)
        assert rc == 0, out
        assert re.search(rf"subject=CN ?= ?{re.escape(cn)}", out), (name, out)
        assert f"ECDHE-{kind}-AES128-GCM-SHA256" in out
    rc, out = s_client(guest, name="rsa.test", site=site)
    assert rc == 0 and "Verify return code: 0 (ok)" in out


def test_resumption_from_the_session_cache(guest, site):
    before = metrics(guest, site)
    rc, out = s_client(guest, "-tls1_2", "-reconnect")
    assert rc == 0
    assert len(re.findall(r"^Reused, TLSv1.2", out, re.M)) == 5, out
    after = metrics(guest, site)
    assert after['tls_handshakes_total{kind="resumed"}'] >= before['tls_handshakes_total{kind="resumed"}'] + 5
    # A session is not resumed under another server name (RFC 6066 3).
    sess = "/tmp/appliance-tls-sess-%d" % os.getpid()
    try:
        rc, _ = s_client(guest, "-tls1_2", "-sess_out", sess, name="a.test")
        assert rc == 0
        rc, out = s_client(guest, "-tls1_2", "-sess_in", sess, name="a.test")
        assert rc == 0 and "Reused, TLSv1.2" in out
        before = metrics(guest, site)
        rc, out = s_client(guest, "-tls1_2", "-sess_in", sess, "-ign_eof", name="other.test",
                           stdin="GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
        assert "HTTP/1.1" not in out, out
        after = metrics(guest, site)
        assert after['tls_handshake_failures_total{reason="sni_mismatch"}'] == \
            before['tls_handshake_failures_total{reason="sni_mismatch"}'] + 1
    finally:
        if os.path.exists(sess):
            os.unlink(sess)


# ---- bad input ----

def client_hello():
    """A real ClientHello, from Python's ssl over memory BIOs."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="a.test")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return out.read()


def raw_exchange(g, data, wait=5):
    """Send bytes; what comes back until the server closes, and whether it did."""
    with socket.create_connection(("127.0.0.1", g.https), timeout=wait) as s:
        s.sendall(data)
        got = b""
        try:
            while chunk := s.recv(4096):
                got += chunk
            return got, True
        except ConnectionResetError:
            return got, True
        except socket.timeout:
            return got, False


def test_bad_input_is_answered_counted_and_others_go_on(guest, site):
    before = metrics(guest, site)
    # A handshake record of random bytes (an unknown message type first): a close.
    got, closed = raw_exchange(guest, b"\x16\x03\x01\x00\x40\x63" + os.urandom(63))
    assert closed and got[:1] in (b"\x15", b"")
    # Noise (its first byte kept off the letters a plain HTTP request starts with).
    got, closed = raw_exchange(guest, b"\x80" + os.urandom(299))   # never an HTTP method
    assert closed
    # An oversized record (length 0xffff): record_overflow or decode alert.
    got, closed = raw_exchange(guest, b"\x16\x03\x03\xff\xff" + b"\x00" * 1000)
    assert closed and got[:1] in (b"\x15", b"")
    # Plain HTTP on the TLS port: a plain 400 that says why.
    got, closed = raw_exchange(guest, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert closed and got.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"use https://" in got
    # A truncated ClientHello, then the client goes: counted as closed.
    hello = client_hello()
    got, closed = raw_exchange(guest, hello[:len(hello) // 2], wait=1)
    after = metrics(guest, site)
    assert after['tls_handshake_failures_total{reason="bad_record"}'] >= \
        before['tls_handshake_failures_total{reason="bad_record"}'] + 3
    assert after['tls_handshake_failures_total{reason="plain_http"}'] >= \
        before['tls_handshake_failures_total{reason="plain_http"}'] + 1
    assert after['tls_handshake_failures_total{reason="closed"}'] >= \
        before['tls_handshake_failures_total{reason="closed"}'] + 1
    # Each is on the console (rate-limited), with the connection and client.
    guest.wait_for(r"tls: conn \d+ from 10\.0\.2\.2: handshake failed: plain_http")
    guest.wait_for(r"tls: conn \d+ from 10\.0\.2\.2: handshake failed: bad_record \(")
    # Everyone else is still served.
    with tls_socket(guest, site) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
    guest.send("tls")
    guest.wait_for(r"tls: handshake failures: no_shared_cipher \d+ version \d+ alpn \d+ bad_record [1-9]")


def test_stalled_handshakes_lose_their_slots_at_the_timeout(site, tmp_path):
    """Every TLS slot (4 here) taken by clients that send 20 bytes of a
    ClientHello and stall: a newcomer is reset, and handshake-timeout (6s)
    frees the slots for the next. (slirp hands the guest about one new
    connection a second, hence a timeout long enough for all to be in.)"""
    shutil.copytree(site["dir"] / "tls", tmp_path / "tls")
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("small\n")
    (tmp_path / "appliance.conf").write_text(CONF.replace("handshake-timeout 2s", "handshake-timeout 6s")
                                             .replace("connections 12", "connections 4"))
    r = subprocess.run([APCTL, "pack", str(tmp_path / "appliance.conf"), "-o", str(tmp_path / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    hello = client_hello()
    with tls_guest(tmp_path / "blob") as g:
        g.wait_for(r"tls: serving port 443: .* 4 connections at most", timeout=60)
        g.wait_for(r"boot: listening on")
        stalled = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", g.https), timeout=10)
            s.sendall(hello[:20])
            stalled.append(s)
        # slirp connects them to the guest one by one: wait until all are in.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            n = len(g.lines)
            g.send("tls")
            time.sleep(0.3)
            if any("connections 4 open" in t for _, t in g.lines[n:]):
                break
        t_full = time.monotonic()
        got, closed = raw_exchange(g, hello, wait=2)           # the fifth: reset at once
        assert closed and got == b"", g.output[-3000:]
        for s in stalled:
            try:
                assert s.recv(100) == b""
            except ConnectionResetError:
                pass
            s.close()
        # The timeout, plus the once-a-second check, plus slack for a loaded host.
        assert time.monotonic() - t_full < 6 + 3
        g.wait_for(r"handshake failed: timeout")
        with tls_socket(g, site) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200 ")
        n = len(g.lines)
        g.send("tls")
        g.wait_for(r"handshake failures: .* timeout 4 plain_http 0 full [1-9]")


# ---- the scanner ----

ALLOWED_SUITES = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
                  "ECDHE-ECDSA-AES256-GCM-SHA384"}
VULNS = ["heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego", "CRIME_TLS",
         "BREACH", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST", "LUCKY13",
         "RC4"]


def test_testssl_finds_nothing(guest, site, tmp_path):
    out = tmp_path / "testssl.json"
    r = subprocess.run(["testssl", "--quiet", "--warnings", "off", "--color", "0", "--add-ca", site["ca"],
                        "--ip", "127.0.0.1", "-oj", str(out), "-p", "-s", "-f", "-S", "-U", "-P",
                        f"https://a.test:{guest.https}"], capture_output=True, text=True, timeout=600)
    findings = {f["id"]: f for f in json.loads(out.read_text())}
    summary = "\n".join(f"{f['id']}: {f['severity']} {f['finding']}" for f in findings.values())
    assert r.returncode == 0 or findings, r.stdout + r.stderr
    for v in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_3"):
        assert findings[v]["finding"].startswith("not offered"), summary
    assert findings["TLS1_2"]["finding"] == "offered", summary
    assert set(findings["cipherorder_TLSv1_2"]["finding"].split()) == ALLOWED_SUITES, summary
    assert findings["cipher_order"]["finding"] == "server", summary
    assert set(findings["PFS_ECDHE_curves"]["finding"].split()) == {"prime256v1", "X25519"}, summary
    assert findings["ALPN"]["finding"] == "http/1.1", summary
    for v in VULNS:
        assert findings[v]["severity"] in ("OK", "INFO"), summary
    # Nothing above LOW but what a test CA cannot have (revocation URLs).
    bad = [f for f in findings.values() if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")
           and f["id"] not in ("cert_revocation",)]
    assert not bad, summary


# ---- entropy ----

def test_no_hardware_entropy_no_tls(site):
    """A CPU without RDRAND/RDSEED and no virtio-rng: port 443 stays closed,
    the console says why, and readiness says not ready."""
    with tls_guest(site["blob"], cpu="qemu64,-rdrand,-rdseed") as g:
        g.wait_for(r"tls: not serving port 443: no hardware entropy source", timeout=60)
        r = curl("-D", "-", f"http://127.0.0.1:{g.http}/readyz")
        assert r.stdout.decode().startswith("HTTP/1.1 503 ")
        with pytest.raises(OSError):
            with socket.create_connection(("127.0.0.1", g.https), timeout=5) as s:
                s.sendall(client_hello())
                if not s.recv(10):
                    raise OSError("closed")

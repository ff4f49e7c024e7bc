"""Whole-image HTTP tests: the real image boots a test site (a config blob
made here with apctl) and real clients drive it over QEMU user networking
(a loopback-only forward): curl, Python's http.client and raw sockets. A
battery of raw requests checks each status (and the close after framing
errors); then keep-alive, pipelining, bodies, Expect, static files with
validators, ranges and gzip variants, redirects, errors as JSON, the
router's precedence and path policy, metrics, timeouts and the
connection pool."""
import gzip
import http.client
import json
import os
import re
import socket
import subprocess
import time

import pytest

from qemu import ROOT, Guest, free_port

APCTL = os.path.join(ROOT, "build", "apctl")

CONF = """\
network { dhcp }
firewall {
    inbound tcp 80 from any "http"
}
limits {
    connections 8
    header-timeout 2s
    body-timeout 2s
    send-timeout 5s
    keepalive-timeout 3s
    keepalive-requests 5
    request-line-max 1k
    header-max 2k
    headers-max 20
    body-max 1k
}
routes {
    GET /healthz health
    GET /limited health { rate-limit 60/m burst 3 }
    GET,POST /cors/open health { cors * }
    GET,PUT /cors/app handler app { cors https://app.example http://localhost:3000 credentials }
    GET /readyz ready
    GET /metrics metrics { auth none }
    GET /old/* redirect 301 /new/*
    GET /go redirect 302 https://example.com/landing
    GET /favicon.ico static www/favicon.ico
    GET,POST /hello/:name handler hello
    GET /api/users/me handler current_user
    GET,DELETE /api/users/:id handler user
    PUT /api/users/:id handler user { body-max 4k }
    POST /upload handler upload { body-max 64k }
    GET /assets/* static www { cache-control "public, max-age=3600" }
    GET /* static www
}
"""

INDEX = b"<!doctype html><title>test site</title><h1>hello</h1>\n"
APP_JS = b"console.log('hello from app.js');\n" * 40
BIG = bytes(range(256)) * 800                      # 204,800 bytes


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("site")
    (d / "appliance.conf").write_text(CONF)
    www = d / "www"
    (www / "docs").mkdir(parents=True)
    (www / "index.html").write_bytes(INDEX)
    (www / "app.js").write_bytes(APP_JS)
    (www / "app.js.gz").write_bytes(gzip.compress(APP_JS, mtime=0))
    (www / "style.css").write_text("body { color: #222 }\n")
    (www / "big.bin").write_bytes(BIG)
    (www / "favicon.ico").write_bytes(b"\x00\x00\x01\x00icon")
    (www / "docs" / "index.html").write_text("<h1>docs</h1>\n")
    (www / "a b.txt").write_text("spaced\n")
    os.utime(www / "style.css", (1700000000, 1700000000))
    blob = d / "blob"
    r = subprocess.run([APCTL, "pack", str(d / "appliance.conf"), "-o", str(blob)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return blob


def http_guest(blob, append=""):
    port = free_port()
    g = Guest(append, extra=["-initrd", str(blob),
                             "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:80",
                             "-device", "virtio-net-pci,netdev=n0"])
    g.port = port
    return g


@pytest.fixture(scope="module")
def guest(site):
    with http_guest(site) as g:
        g.wait_for(r"boot: listening on")
        g.wait_for(r"http: serving port 80")
        yield g


def raw(g, data, timeout=5, read_all=True):
    """Send bytes, return everything the server sends until it closes (or
    the timeout) and whether it closed."""
    with socket.create_connection(("127.0.0.1", g.port), timeout=timeout) as s:
        s.sendall(data)
        out, closed = b"", False
        s.settimeout(timeout if read_all else 1.0)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    closed = True
                    break
                out += b
        except (socket.timeout, TimeoutError):
            pass
        except ConnectionResetError:
            closed = True
        return out, closed


def statuses(data):
    return [int(m) for m in re.findall(rb"^HTTP/1\.1 (\d{3}) ", data, re.M)]


def get(g, path, headers=None, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data


# ---- the raw battery: each request alone on a connection, the exact status,
# and whether the server closes after it ----

H = "Host: t\r\n"
BATTERY = [
    # (name, request, status, closes)
    ("simple", f"GET / HTTP/1.1\r\n{H}\r\n", 200, False),
    ("http/1.0 closes", "GET / HTTP/1.0\r\n\r\n", 200, True),
    ("http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, False),
    ("connection close", f"GET / HTTP/1.1\r\n{H}Connection: close\r\n\r\n", 200, True),
    ("head", f"HEAD / HTTP/1.1\r\n{H}\r\n", 200, False),
    ("bare LF", "GET / HTTP/1.1\nHost: t\n\n", 200, False),
    ("leading CRLF", f"\r\nGET / HTTP/1.1\r\n{H}\r\n", 200, False),
    ("absolute form", f"GET http://t/healthz HTTP/1.1\r\n{H}\r\n", 200, False),
    ("options star", f"OPTIONS * HTTP/1.1\r\n{H}\r\n", 204, False),
    ("options route", f"OPTIONS /api/users/7 HTTP/1.1\r\n{H}\r\n", 204, False),
    ("no host", "GET / HTTP/1.1\r\n\r\n", 400, True),
    ("two hosts", f"GET / HTTP/1.1\r\n{H}{H}\r\n", 400, True),
    ("differing CL", f"POST /upload HTTP/1.1\r\n{H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, True),
    ("CL list differing", f"POST /upload HTTP/1.1\r\n{H}Content-Length: 1, 2\r\n\r\nab", 400, True),
    ("CL negative", f"POST /upload HTTP/1.1\r\n{H}Content-Length: -1\r\n\r\n", 400, True),
    ("CL plus", f"POST /upload HTTP/1.1\r\n{H}Content-Length: +1\r\n\r\nx", 400, True),
    ("CL hex", f"POST /upload HTTP/1.1\r\n{H}Content-Length: 0x1\r\n\r\nx", 400, True),
    ("CL huge", f"POST /upload HTTP/1.1\r\n{H}Content-Length: 99999999999999999999\r\n\r\n", 400, True),
    ("TE and CL", f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400, True),
    ("TE gzip", f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: gzip\r\n\r\n", 501, True),
    ("TE gzip, chunked", f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: gzip, chunked\r\n\r\n", 501, True),
    ("TE twice", f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, True),
    ("TE on 1.0", "POST /upload HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, True),
    ("obs-fold", f"GET / HTTP/1.1\r\n{H}X-A: 1\r\n 2\r\n\r\n", 400, True),
    ("space before colon", f"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400, True),
    ("bare CR in field", f"GET / HTTP/1.1\r\n{H}X-A: 1\r2\r\n\r\n", 400, True),
    ("NUL in field", f"GET / HTTP/1.1\r\n{H}X-A: 1\x002\r\n\r\n", 400, True),
    ("control in field", f"GET / HTTP/1.1\r\n{H}X-A: 1\x012\r\n\r\n", 400, True),
    ("field without colon", f"GET / HTTP/1.1\r\n{H}Nonsense\r\n\r\n", 400, True),
    ("empty field name", f"GET / HTTP/1.1\r\n{H}: x\r\n\r\n", 400, True),
    ("unknown method", f"BREW / HTTP/1.1\r\n{H}\r\n", 501, True),
    ("lowercase method", f"get / HTTP/1.1\r\n{H}\r\n", 501, True),
    ("CONNECT", f"CONNECT t:443 HTTP/1.1\r\n{H}\r\n", 501, True),
    ("TRACE", f"TRACE / HTTP/1.1\r\n{H}\r\n", 501, True),
    ("HTTP/2.0", f"GET / HTTP/2.0\r\n{H}\r\n", 505, True),
    ("HTTP/3.0", f"GET / HTTP/3.0\r\n{H}\r\n", 505, True),
    ("HTTP/1.2 as 1.1", f"GET / HTTP/1.2\r\n{H}\r\n", 200, False),
    ("bad version", f"GET / HTTP/1\r\n{H}\r\n", 400, True),
    ("lowercase version", f"GET / http/1.1\r\n{H}\r\n", 400, True),
    ("HTTP/0.9", "GET /\r\n\r\n", 400, True),
    ("two spaces", f"GET  / HTTP/1.1\r\n{H}\r\n", 400, True),
    ("trailing space", f"GET / HTTP/1.1 \r\n{H}\r\n", 400, True),
    ("relative target", f"GET x HTTP/1.1\r\n{H}\r\n", 400, True),
    ("star with GET", f"GET * HTTP/1.1\r\n{H}\r\n", 400, True),
    ("fragment", f"GET /#x HTTP/1.1\r\n{H}\r\n", 400, True),
    ("non-ASCII target", f"GET /\u00e9 HTTP/1.1\r\n{H}\r\n", 400, True),
    ("traversal", f"GET /../../etc/passwd HTTP/1.1\r\n{H}\r\n", 400, False),
    ("encoded traversal", f"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n{H}\r\n", 400, False),
    ("encoded slash", f"GET /docs%2Findex.html HTTP/1.1\r\n{H}\r\n", 400, False),
    ("bad escape", f"GET /a%zz HTTP/1.1\r\n{H}\r\n", 400, False),
    ("encoded NUL", f"GET /index.html%00.txt HTTP/1.1\r\n{H}\r\n", 400, False),
    ("dot segments inside", f"GET /docs/../index.html HTTP/1.1\r\n{H}\r\n", 200, False),
    ("request line too long", f"GET /{'a' * 1100} HTTP/1.1\r\n{H}\r\n", 414, True),
    ("headers too large", f"GET / HTTP/1.1\r\n{H}X-Big: {'b' * 2100}\r\n\r\n", 431, True),
    ("too many fields", f"GET / HTTP/1.1\r\n{H}" + "".join(f"X-{i}: {i}\r\n" for i in range(21)) + "\r\n", 431, True),
    ("20 fields fit", f"GET / HTTP/1.1\r\n{H}" + "".join(f"X-{i}: {i}\r\n" for i in range(19)) + "\r\n", 200, False),
    ("body over route limit", f"POST /upload HTTP/1.1\r\n{H}Content-Length: 70000\r\n\r\n", 413, True),
    ("body over default limit", f"GET / HTTP/1.1\r\n{H}Content-Length: 2000\r\n\r\n", 413, True),
    ("chunked over limit", f"GET / HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n"
                           "400\r\n" + "x" * 1024 + "\r\n1\r\ny\r\n0\r\n\r\n", 413, True),
    ("bad chunk size", f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, True),
    ("chunk data overrun", f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400, True),
    ("expect other", f"GET / HTTP/1.1\r\n{H}Expect: teapot\r\n\r\n", 417, True),
    ("not found", f"GET /nope HTTP/1.1\r\n{H}\r\n", 404, False),
    ("method not allowed", f"POST /healthz HTTP/1.1\r\n{H}\r\n", 405, False),
    ("handler missing", f"GET /api/users/7 HTTP/1.1\r\n{H}\r\n", 501, False),
    ("range unsatisfiable", f"GET /big.bin HTTP/1.1\r\n{H}Range: bytes=999999-\r\n\r\n", 416, False),
    ("range", f"GET /big.bin HTTP/1.1\r\n{H}Range: bytes=0-9\r\n\r\n", 206, False),
]


@pytest.mark.parametrize("name,req,status,closes", BATTERY, ids=[b[0] for b in BATTERY])
def test_raw_battery(guest, name, req, status, closes):
    out, closed = raw(guest, req.encode("latin-1"), timeout=5, read_all=closes)
    got = statuses(out)
    assert got and got[0] == status, (name, out[:300])
    if closes:
        assert closed, f"{name}: the connection stayed open after {status}"
    else:
        assert not closed, f"{name}: the connection was closed after {status}"
    assert b"\r\nServer:" not in out
    assert re.search(rb"\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n", out)


def test_battery_is_large_enough():
    assert len(BATTERY) >= 60


def test_errors_are_json_and_405_lists_allow(guest):
    r, data = get(guest, "/nope")
    assert r.status == 404 and r.getheader("Content-Type") == "application/json"
    assert json.loads(data) == {"error": {"status": 404, "message": "Not Found"}}
    r, data = get(guest, "/api/users/7", method="POST")
    assert r.status == 405 and json.loads(data)["error"]["status"] == 405
    assert r.getheader("Allow") == "GET, HEAD, PUT, DELETE, OPTIONS"
    r, _ = get(guest, "/api/users/7", method="OPTIONS")
    assert r.status == 204 and r.getheader("Allow") == "GET, HEAD, PUT, DELETE, OPTIONS"
    r, data = get(guest, "/a%zz")
    assert r.status == 400 and "percent escape" in json.loads(data)["error"]["message"]


def test_static_files_types_validators_and_gzip(guest):
    r, data = get(guest, "/")
    assert r.status == 200 and data == INDEX
    assert r.getheader("Content-Type") == "text/html; charset=utf-8"
    etag = r.getheader("ETag")
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
    assert r.getheader("Cache-Control") == "no-cache"
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert r.getheader("Content-Security-Policy") == "default-src 'self'"
    r, data = get(guest, "/", {"If-None-Match": etag})
    assert r.status == 304 and data == b"" and r.getheader("ETag") == etag
    r, _ = get(guest, "/", {"If-None-Match": '"other", ' + etag})
    assert r.status == 304
    r, _ = get(guest, "/", {"If-None-Match": '"other"'})
    assert r.status == 200
    r, _ = get(guest, "/style.css")
    assert r.getheader("Last-Modified") == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert r.getheader("Content-Type") == "text/css; charset=utf-8"
    r, _ = get(guest, "/style.css", {"If-Modified-Since": "Tue, 14 Nov 2023 22:13:20 GMT"})
    assert r.status == 304
    r, _ = get(guest, "/style.css", {"If-Modified-Since": "Tue, 14 Nov 2023 22:13:19 GMT"})
    assert r.status == 200
    r, _ = get(guest, "/style.css", {"If-Modified-Since": "yesterday"})
    assert r.status == 200                                   # not a date: ignored
    # The precompressed variant for clients that take gzip, with Vary.
    r, data = get(guest, "/app.js", {"Accept-Encoding": "gzip, deflate"})
    assert r.getheader("Content-Encoding") == "gzip" and gzip.decompress(data) == APP_JS
    assert r.getheader("Vary") == "Accept-Encoding"
    assert r.getheader("Content-Type") == "text/javascript; charset=utf-8"
    r, data = get(guest, "/app.js", {"Accept-Encoding": "gzip;q=0, br"})
    assert r.getheader("Content-Encoding") is None and data == APP_JS
    assert r.getheader("Vary") == "Accept-Encoding"
    r, data = get(guest, "/app.js")
    assert data == APP_JS
    # Per-route Cache-Control; a file route; names with escapes.
    r, data = get(guest, "/assets/style.css")
    assert r.getheader("Cache-Control") == "public, max-age=3600"
    r, data = get(guest, "/favicon.ico")
    assert r.status == 200 and data == b"\x00\x00\x01\x00icon"
    assert r.getheader("Content-Type") == "image/vnd.microsoft.icon"
    r, data = get(guest, "/a%20b.txt")
    assert r.status == 200 and data == b"spaced\n"
    # HEAD: the same headers, no body.
    r, data = get(guest, "/big.bin", method="HEAD")
    assert r.status == 200 and data == b"" and r.getheader("Content-Length") == str(len(BIG))


def test_directories_index_and_slash_redirect(guest):
    r, data = get(guest, "/docs/")
    assert r.status == 200 and data == b"<h1>docs</h1>\n"
    r, _ = get(guest, "/docs?x=1")
    assert r.status == 301 and r.getheader("Location") == "/docs/?x=1"
    r, _ = get(guest, "//docs//index.html")
    assert r.status == 200


def test_ranges(guest):
    r, data = get(guest, "/big.bin", {"Range": "bytes=100-199"})
    assert r.status == 206 and data == BIG[100:200]
    assert r.getheader("Content-Range") == f"bytes 100-199/{len(BIG)}"
    r, data = get(guest, "/big.bin", {"Range": "bytes=-10"})
    assert r.status == 206 and data == BIG[-10:]
    r, data = get(guest, "/big.bin", {"Range": f"bytes={len(BIG) - 5}-"})
    assert data == BIG[-5:]
    r, data = get(guest, "/big.bin", {"Range": "bytes=0-1,5-6"})
    assert r.status == 200 and data == BIG                   # several ranges: all of it
    r, data = get(guest, "/big.bin", {"Range": f"bytes={len(BIG)}-"})
    assert r.status == 416 and r.getheader("Content-Range") == f"bytes */{len(BIG)}"
    etag = get(guest, "/big.bin")[0].getheader("ETag")
    r, data = get(guest, "/big.bin", {"Range": "bytes=0-0", "If-Range": etag})
    assert r.status == 206 and data == BIG[:1]
    r, data = get(guest, "/big.bin", {"Range": "bytes=0-0", "If-Range": '"stale"'})
    assert r.status == 200 and data == BIG


def test_redirects_keep_path_and_query(guest):
    r, _ = get(guest, "/old/a/b?q=1")
    assert r.status == 301 and r.getheader("Location") == "/new/a/b?q=1"
    r, _ = get(guest, "/go?x=2")
    assert r.status == 302 and r.getheader("Location") == "https://example.com/landing?x=2"


def test_router_precedence_and_methods(guest):
    r, data = get(guest, "/api/users/me")
    assert r.status == 501                                   # the literal route (handler current_user)
    r, data = get(guest, "/api/users/7", method="DELETE")
    assert r.status == 501
    r, data = get(guest, "/api/users/7/", method="DELETE")   # trailing slash alike
    assert r.status == 501


def test_health_ready_metrics(guest):
    r, data = get(guest, "/healthz")
    assert r.status == 200 and json.loads(data) == {"status": "ok"}
    r, data = get(guest, "/readyz")
    assert r.status == 200 and json.loads(data) == {"status": "ready"}
    r, data = get(guest, "/metrics")
    text = data.decode()
    assert r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    assert re.search(r'^http_requests_total\{route="/healthz",status="2xx"\} [1-9]', text, re.M)
    assert re.search(r'^http_request_duration_seconds_count [1-9]', text, re.M)
    assert re.search(r'^http_connections_open [1-9]', text, re.M)
    assert re.search(r'^firewall_packets_total\{dir="in",verdict="pass",reason="new"\} [1-9]', text, re.M)
    assert re.search(r'^firewall_rule_packets_total\{dir="inbound",rule="1"\} [1-9]', text, re.M)
    assert re.search(r'^memory_heap_used_bytes [1-9]', text, re.M)


def test_rate_limit_per_client_with_headers(guest):
    seen = []
    for i in range(4):
        r, data = get(guest, "/limited")
        seen.append((r.status, r.getheader("RateLimit-Limit"), r.getheader("RateLimit-Remaining")))
    assert seen[:3] == [(200, "3", "2"), (200, "3", "1"), (200, "3", "0")], seen
    r, data = get(guest, "/limited")
    assert r.status == 429 and json.loads(data)["error"]["status"] == 429
    assert r.getheader("Retry-After") == "1" and r.getheader("RateLimit-Remaining") == "0"
    time.sleep(1.2)                                          # a token a second comes back
    r, _ = get(guest, "/limited")
    assert r.status == 200
    r, _ = get(guest, "/healthz")                            # other routes are not limited
    assert r.status == 200 and r.getheader("RateLimit-Limit") is None


def test_cors_allow_list_preflight_and_vary(guest):
    r, _ = get(guest, "/cors/app", {"Origin": "https://app.example"})
    assert r.getheader("Access-Control-Allow-Origin") == "https://app.example"
    assert r.getheader("Access-Control-Allow-Credentials") == "true"
    assert "Origin" in r.getheader("Vary") and "X-Request-Id" in r.getheader("Access-Control-Expose-Headers")
    r, _ = get(guest, "/cors/app", {"Origin": "https://evil.example"})
    assert r.getheader("Access-Control-Allow-Origin") is None and r.getheader("Vary") == "Origin"
    r, _ = get(guest, "/cors/open", {"Origin": "https://anyone.example"})
    assert r.getheader("Access-Control-Allow-Origin") == "*"
    assert r.getheader("Access-Control-Allow-Credentials") is None     # never * with credentials
    # Preflight for the route the real method reaches.
    pre = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "PUT",
           "Access-Control-Request-Headers": "content-type, x-request-id"}
    r, _ = get(guest, "/cors/app", pre, method="OPTIONS")
    assert r.status == 204
    assert r.getheader("Access-Control-Allow-Origin") == "http://localhost:3000"
    assert r.getheader("Access-Control-Allow-Methods") == "GET, HEAD, PUT"
    assert r.getheader("Access-Control-Allow-Headers") == "content-type, x-request-id"
    assert r.getheader("Access-Control-Max-Age") == "600"
    r, data = get(guest, "/cors/app", dict(pre, Origin="https://evil.example"), method="OPTIONS")
    assert r.status == 403 and r.getheader("Access-Control-Allow-Origin") is None
    r, _ = get(guest, "/cors/app", dict(pre, **{"Access-Control-Request-Method": "DELETE"}), method="OPTIONS")
    assert r.status == 204 and r.getheader("Access-Control-Allow-Origin") is None   # no DELETE route: plain OPTIONS
    r, _ = get(guest, "/healthz", {"Origin": "https://app.example"})
    assert r.getheader("Access-Control-Allow-Origin") is None and r.getheader("Vary") is None


def test_c_handler_example(guest):
    r, data = get(guest, "/hello/Ada%20L.")
    assert r.status == 200 and r.getheader("Content-Type") == "application/json"
    assert json.loads(data) == {"hello": "Ada L.", "lang": "en", "greeting": "hello", "has_user_agent": False}
    r, data = get(guest, "/hello/%22q%22?lang=fr", {"User-Agent": "t"})
    assert json.loads(data) == {"hello": '"q"', "lang": "fr", "greeting": "bonjour", "has_user_agent": True}
    r, data = get(guest, "/hello/x?lang=de")
    assert r.status == 400 and json.loads(data)["error"]["message"] == "lang is en or fr"
    # Bodies reach handlers, kept whole; the pipelined request after a
    # chunked one (arriving in the same read) is still answered.
    reqs = (f"POST /hello/b?lang=fr HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n"
            f"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"
            f"POST /hello/c HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhello"
            f"GET /hello/d HTTP/1.1\r\n{H}Connection: close\r\n\r\n").encode()
    out, _ = raw(guest, reqs, timeout=5)
    # (the handler's JSON ends without a newline: count status lines anywhere)
    assert re.findall(rb"HTTP/1\.1 (\d{3}) OK\r\n", out) == [b"200"] * 3, out
    assert b'"hello":"b","lang":"fr","greeting":"bonjour","has_user_agent":false,"body_bytes":7}' in out
    assert b'"hello":"c","lang":"en","greeting":"hello","has_user_agent":false,"body_bytes":5}' in out
    assert b'"hello":"d","lang":"en","greeting":"hello","has_user_agent":false}' in out
    # A route naming a handler the image lacks: 501, and a warning at boot.
    r, _ = get(guest, "/api/users/me")
    assert r.status == 501
    assert re.search(r"WARN  http: route /api/users/me \(appliance.conf line \d+\): no C handler "
                     r"'current_user' is built into this image", guest.output)


def test_keepalive_pipelining_and_request_cap(guest):
    reqs = b"".join(f"GET /healthz?n={i} HTTP/1.1\r\n{H}X-Request-Id: req-{i}\r\n\r\n".encode()
                    for i in range(5))
    out, closed = raw(guest, reqs, timeout=5)
    assert statuses(out) == [200] * 5
    assert re.findall(rb"X-Request-Id: (req-\d)", out) == [f"req-{i}".encode() for i in range(5)]
    assert closed and out.count(b"Connection: close") == 1   # keepalive-requests 5: the 5th closes
    # Bodies in a pipeline: the next request starts right after each body.
    reqs = (f"POST /upload HTTP/1.1\r\n{H}Content-Length: 5\r\n\r\nhello"
            f"GET /healthz HTTP/1.1\r\n{H}\r\n"
            f"POST /upload HTTP/1.1\r\n{H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nT: x\r\n\r\n"
            f"GET /readyz HTTP/1.1\r\n{H}Connection: close\r\n\r\n").encode()
    out, closed = raw(guest, reqs, timeout=5)
    assert statuses(out) == [501, 200, 501, 200] and closed
    # A bad X-Request-Id is replaced.
    r, _ = get(guest, "/healthz", {"X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{16}", r.getheader("X-Request-Id"))


def test_expect_100_continue(guest):
    with socket.create_connection(("127.0.0.1", guest.port), timeout=5) as s:
        s.sendall(f"POST /upload HTTP/1.1\r\n{H}Content-Length: 4\r\nExpect: 100-continue\r\n\r\n".encode())
        first = s.recv(100)
        assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
        s.sendall(b"data")
        rest = s.recv(1000)
        assert statuses(first + rest)[-1] == 501
    # Too large: refused before the body is sent, no 100.
    out, closed = raw(guest, f"POST /upload HTTP/1.1\r\n{H}Content-Length: 900000\r\n"
                             "Expect: 100-continue\r\n\r\n".encode(), timeout=5)
    assert statuses(out) == [413] and closed


def test_curl_fetches_a_large_file_intact(guest):
    r = subprocess.run(["curl", "-sS", "--max-time", "20", "-o", "-", "-w", "%{http_code}",
                        f"http://127.0.0.1:{guest.port}/big.bin"], capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stdout[-3:] == b"200" and r.stdout[:-3] == BIG


def test_access_log_is_json_without_secrets(guest):
    get(guest, "/style.css?token=secret", {"Authorization": "Bearer hunter2", "Cookie": "s=1"})
    _, m = guest.wait_for(r'http: (\{"conn":\d+,.*"path":"/style.css".*\})')
    line = json.loads(m.group(1))
    assert line["method"] == "GET" and line["status"] == 200 and line["client"] == "10.0.2.2"
    assert line["bytes"] == 21 and line["ms"] >= 0 and re.fullmatch(r"[0-9a-f]{16}", line["id"])
    assert "hunter2" not in guest.output and "secret" not in guest.output and "s=1" not in guest.output


def test_timeouts_free_slow_clients(site):
    # limits: header 2s, body 2s, keepalive 3s. A slow-loris client gets 408
    # (or is closed when idle) in time, and others are served meanwhile.
    with http_guest(site) as g:
        g.wait_for(r"http: serving port 80")
        g.wait_for(r"boot: listening on")
        t0 = time.monotonic()
        partial, closed = raw(g, f"GET / HTTP/1.1\r\n{H}X-Slow: 1".encode(), timeout=8)
        assert statuses(partial) == [408] and closed and 1.5 < time.monotonic() - t0 < 6
        body, closed = raw(g, f"POST /upload HTTP/1.1\r\n{H}Content-Length: 10\r\n\r\nabc".encode(), timeout=8)
        assert statuses(body) == [408] and closed
        idle, closed = raw(g, b"", timeout=8)
        assert idle == b"" and closed
        g.send("http")
        g.wait_for(r"http: connections: .*timeouts: header [1-9]\d*, body [1-9]\d*, send 0, idle [1-9]")


def pack(tmp_path, conf):
    (tmp_path / "appliance.conf").write_text(conf)
    www = tmp_path / "www"
    www.mkdir(exist_ok=True)
    (www / "index.html").write_bytes(INDEX)
    (www / "favicon.ico").write_bytes(b"icon")
    r = subprocess.run([APCTL, "pack", str(tmp_path / "appliance.conf"), "-o", str(tmp_path / "blob")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return tmp_path / "blob"


def test_full_pool_refuses_newcomers_and_serves_again(tmp_path):
    conf = CONF.replace("connections 8", "connections 4").replace("header-timeout 2s", "header-timeout 20s")
    with http_guest(pack(tmp_path, conf)) as g:
        g.wait_for(r"http: serving port 80: .* 4 connections at most")
        g.wait_for(r"boot: listening on")
        # Four slow clients hold every slot (slirp connects them one by one).
        socks = [socket.create_connection(("127.0.0.1", g.port), timeout=5) for _ in range(4)]
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\n")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            n = len(g.lines)
            g.send("http")
            time.sleep(0.5)
            if any("connections: 4 open" in t for _, t in g.lines[n:]):
                break
        # A fifth is refused (reset: slirp closes the host side) ...
        out, closed = raw(g, f"GET /healthz HTTP/1.1\r\n{H}\r\n".encode(), timeout=3)
        assert out == b"" and closed, g.output[-3000:]
        # ... and once one slot frees, a newcomer is served.
        socks[0].close()
        time.sleep(1)
        out, _ = raw(g, f"GET /healthz HTTP/1.1\r\n{H}Connection: close\r\n\r\n".encode(), timeout=5)
        assert statuses(out) == [200]
        for s in socks[1:]:
            s.close()
        g.send("http")
        g.wait_for(r"http: connections: .*accepted, [1-9]\d* refused")


def test_a_long_pipeline_is_answered_in_order(tmp_path):
    # Default head limits (a 24 KiB buffer holds ~650 of these requests at
    # once) and no request cap to speak of: every answer, in order, and
    # the server stays up.
    conf = "\n".join(line for line in CONF.splitlines()
                     if not re.match(r"\s+(request-line-max|header-max|keepalive-requests)", line))
    with http_guest(pack(tmp_path, conf + "\n")) as g:
        g.wait_for(r"boot: listening on")
        n = 900
        reqs = b"".join(f"GET /healthz HTTP/1.1\r\n{H}X-Request-Id: r{i}\r\n\r\n".encode() for i in range(n))
        with socket.create_connection(("127.0.0.1", g.port), timeout=30) as s:
            s.sendall(reqs + f"GET /healthz HTTP/1.1\r\n{H}Connection: close\r\n\r\n".encode())
            out = b""
            while True:
                b = s.recv(1 << 16)
                if not b:
                    break
                out += b
        assert statuses(out) == [200] * (n + 1)
        ids = re.findall(rb"X-Request-Id: (r\d+)", out)
        assert ids == [f"r{i}".encode() for i in range(n)]

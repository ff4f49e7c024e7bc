"""The raw-request battery of test_http.py against Debian's nginx, run here
on loopback with the same limits and a site of the same shape, beside the
image's answers. nginx is the reference users know: every difference
must be one this file explains (DIFFERENCES); a new one fails the test,
and the table of both is printed (pytest -s) for the closing note."""
import os
import shutil
import socket
import subprocess
import time

import pytest

from qemu import free_port
from test_http import BATTERY, INDEX, http_guest, raw, site, statuses  # noqa: F401 (site is a fixture)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx-light is installed by tools/install-packages.sh")

# Where the image answers otherwise than nginx, and why. "emulation": the
# nginx site stands in for a route kind nginx lacks (a C handler is
# `return 501`, a GET-only route `limit_except GET { deny all; }`), so
# the difference is in the stand-in, not in HTTP handling.
KEEPS = ("the request was well framed, so the image keeps the connection; nginx closes after "
         "every 400")
DIFFERENCES = {
    "options star": "OPTIONS * is answered with the methods (RFC 9110 9.3.7); nginx refuses it",
    "options route": "emulation: OPTIONS is answered from the route table (204, Allow)",
    "control in field": "control bytes in a field value are refused (RFC 9110 5.5); nginx passes them",
    "field without colon": "a line that is no field is a framing error (RFC 9112 5); nginx skips it "
                           "(ignore_invalid_headers)",
    "unknown method": "an unknown method is 501 (RFC 9110 9.1); nginx says 405",
    "lowercase method": "methods are case-sensitive: 'get' is an unknown method, 501; nginx 400",
    "CONNECT": "not implemented: 501; nginx 400",
    "TRACE": "not implemented (it only helps cross-site tracing): 501; nginx 405",
    "HTTP/0.9": "HTTP/0.9 is not spoken: 400; nginx answers in HTTP/0.9 (no status line)",
    "two spaces": "the request line takes single spaces (RFC 9112 3); leniency here is a "
                  "smuggling vector behind proxies; nginx accepts",
    "trailing space": "as 'two spaces'",
    "fragment": "a request-target has no fragment (RFC 9112 3.2): 400; nginx drops it",
    "non-ASCII target": "raw non-ASCII must be percent-encoded (RFC 3986 2): 400; nginx looks the "
                        "file up (404)",
    "traversal": KEEPS,
    "encoded traversal": KEEPS,
    "bad escape": KEEPS,
    "encoded NUL": KEEPS,
    "encoded slash": "an encoded '/' is refused (docs/http.md, Paths): it would make a segment "
                     "hold a separator; nginx decodes it and serves the file",
    "headers too large": "431 (RFC 6585 5); nginx says 400 'Request Header Or Cookie Too Large'",
    "too many fields": "headers-max caps the field count (431); nginx has no such limit",
    "body over route limit": "after 413 the image closes instead of reading a body it refused "
                             "(RFC 9110 15.5.14); nginx reads and drops it to keep the connection",
    "body over default limit": "as 'body over route limit'",
    "chunked over limit": "a chunked body counts against body-max as it arrives (413); nginx "
                          "drops a static GET's body unchecked",
    "bad chunk size": "emulation: nginx's `return 501` answers before reading the body; the image "
                      "reads it and finds it malformed (400)",
    "chunk data overrun": "as 'bad chunk size'",
    "expect other": "an unknown expectation is 417 (RFC 9110 10.1.1); nginx ignores Expect",
    "method not allowed": "emulation: 405 with Allow; nginx's limit_except denies with 403",
    "handler missing": "a handler's 501 leaves the connection open; nginx closes after any 501",
}

CONF = """\
user root;
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    server_tokens off;
    default_type application/octet-stream;
    client_header_timeout 2s;
    client_body_timeout 2s;
    send_timeout 5s;
    keepalive_timeout 3s;
    keepalive_requests 5;
    client_header_buffer_size 1k;
    large_client_header_buffers 2 1k;
    client_max_body_size 1k;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location = /healthz {{ limit_except GET {{ deny all; }} return 200 '{{"status":"ok"}}\\n'; }}
        location = /upload {{ client_max_body_size 64k; return 501; }}
        location /api/ {{ return 501; }}
        location / {{ }}
    }}
}}
"""


@pytest.fixture(scope="module")
def nginx(tmp_path_factory):
    d = tmp_path_factory.mktemp("nginx")
    www = d / "www"
    (www / "docs").mkdir(parents=True)
    (www / "index.html").write_bytes(INDEX)
    (www / "docs" / "index.html").write_text("<h1>docs</h1>\n")
    (www / "big.bin").write_bytes(bytes(range(256)) * 800)
    port = free_port()
    (d / "nginx.conf").write_text(CONF.format(d=d, port=port))
    p = subprocess.Popen([NGINX, "-p", str(d), "-c", str(d / "nginx.conf")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)

    class N:
        pass
    n = N()
    n.port = port
    yield n
    p.terminate()
    p.wait(timeout=10)


@pytest.fixture(scope="module")
def image(site):  # noqa: F811
    with http_guest(site) as g:
        g.wait_for(r"boot: listening on")
        g.wait_for(r"http: serving port 80")
        yield g


def answer(target, req):
    """(first status, closed within a second): both keep idle connections
    for 3 s, so a close in the first second is deliberate."""
    out, closed = raw(target, req.encode("latin-1"), timeout=4, read_all=False)
    s = statuses(out)
    return (s[0] if s else None), closed


def test_battery_beside_nginx(nginx, image):
    rows, unexplained = [], []
    for name, req, status, closes in BATTERY:
        a = answer(image, req)
        b = answer(nginx, req)
        rows.append((name, a, b))
        if a != b and name not in DIFFERENCES:
            unexplained.append((name, a, b))
    print("\n%-28s %-16s %-16s" % ("case", "image", "nginx"))
    for name, a, b in rows:
        print("%-28s %-16s %-16s %s" % (name, a, b, "" if a == b else "<- " + DIFFERENCES.get(name, "?")))
    same = sum(1 for _, a, b in rows if a == b)
    print(f"{same} of {len(rows)} the same")
    assert not unexplained, unexplained
    stale = [n for n in DIFFERENCES if next((a == b for m, a, b in rows if m == n), True)]
    assert not stale, f"explained differences that no longer differ: {stale}"

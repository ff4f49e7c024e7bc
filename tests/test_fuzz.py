"""Run every fuzz target (build/fuzz/fuzz_*) for a bounded time from a seed
corpus written here; a crash, leak or sanitizer report fails the test and
leaves the reproducer in the test's temporary directory. FUZZ_SECONDS sets
the time per target (make test: 15 s; make fuzz FUZZ_SECONDS=600 longer)."""
import base64
import glob
import os
import struct
import subprocess

import pytest

from blob import newc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = sorted(glob.glob(os.path.join(ROOT, "build", "fuzz", "fuzz_*")))
SECONDS = int(os.environ.get("FUZZ_SECONDS", "15"))


def _ipv4(proto, src, dst, l4):
    """An Ethernet frame holding one IPv4 packet, with a right checksum."""
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                              bytes(src), bytes(dst)))
    s = sum(struct.unpack("!10H", h))
    s = (s & 0xffff) + (s >> 16)
    h[10:12] = struct.pack("!H", ~s & 0xffff)
    return b"\0" * 12 + b"\x08\x00" + bytes(h) + l4


def _tcp(sport, dport, flags, seq=1, ack=0):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x60, flags, 65535, 0, 0) + b"\x01\x03\x03\x07"


def _fw_records(*frames):
    """fuzz_fw's input: [direction][clock step][length LE][frame] ..."""
    return b"".join(bytes([d, step]) + struct.pack("<H", len(f)) + f for d, step, f in frames)


def _cursor(sort, desc, *values):
    """A list cursor as app/sqlpage.c writes it: base64url, unpadded, of
    version 1, sort index + 1, desc, then each value as a type byte and
    8 bytes big-endian (int, real), a 2-byte length and bytes (text,
    blob) or nothing (null)."""
    raw = bytes([1, sort + 1, desc])
    for v in values:
        if v is None:
            raw += b"\0"
        elif isinstance(v, int):
            raw += b"\1" + struct.pack(">q", v)
        elif isinstance(v, float):
            raw += b"\2" + struct.pack(">d", v)
        else:
            b = v.encode() if isinstance(v, str) else v
            raw += (b"\3" if isinstance(v, str) else b"\4") + struct.pack(">H", len(b)) + b
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def _pattern(pat, value):
    """fuzz_json's pattern input: [pattern length] pattern value."""
    return bytes([len(pat)]) + pat + value


PEER, US = (203, 0, 113, 5), (192, 0, 2, 10)
SYN_IN = _ipv4(6, PEER, US, _tcp(1000, 443, 0x02))
SEEDS = {
    "fuzz_jwt": [
        b"eyJhbGciOiJIUzI1NiIsImtpZCI6ImhzIn0.eyJleHAiOjIwMDAsImF1ZCI6ImFwaSJ9.c2ln",
        b"eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjIwMDAsImF1ZCI6WyJhcGkiXX0.c2ln",
        b"eyJhbGciOiJub25lIn0.e30.",
    ],
    "fuzz_auth": [
        b"pbkdf2-sha256$600000$MDEyMzQ1Njc4OWFiY2RlZg$kYKAg/dg7WC7VQ4k8+iaopu8snxCGdA0xMTwPC5tudk",
        b"theme=dark; sid=0qUEC-97qWKCTfP0rC9dUoXx66xm7Z0BZD-poWn40qI; x=\"q\"",
        b"https://app.example:8443/path?q#f",
    ],
    "fuzz_layout": [struct.pack("<Q", 16 << 20) + bytes(512), struct.pack("<Q", 1 << 40) + b"APPLIANCE-DATA\0\0"],
    "fuzz_router": [b"\x00/api/users/42?a=1&b=x+y", b"\x01/o/1/t/2/m/", b"\x00//a/./b/../%2e%2e/c%20d",
                    b"\x03/x/y/z?%41=%zz&&k", b"\x00/api/users/me/"],
    "fuzz_http": [
        b"\x00GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\r\n",
        b"\x03POST /p?q=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: x\r\n\r\n",
        b"\x07POST http://h/x HTTP/1.0\r\nContent-Length: 3, 3\r\nConnection: keep-alive\r\n\r\nabc",
        b"\x0f\r\nOPTIONS * HTTP/1.1\nHost: a\nExpect: 100-continue\n\n",
    ],
    "fuzz_fw": [
        _fw_records((0, 0, SYN_IN), (1, 0, _ipv4(6, US, PEER, _tcp(443, 1000, 0x12, 5, 2))),
                    (0, 1, _ipv4(6, PEER, US, _tcp(1000, 443, 0x10, 2, 6))),
                    (0, 1, _ipv4(6, PEER, US, _tcp(1000, 443, 0x11, 2, 6))),
                    (1, 0, _ipv4(6, US, PEER, _tcp(443, 1000, 0x04, 6, 0)))),
        _fw_records((0, 0, _ipv4(17, PEER, US, struct.pack("!HHHH", 5353, 53, 12, 0) + b"abcd")),
                    (1, 40, _ipv4(17, US, PEER, struct.pack("!HHHH", 53, 5353, 8, 0))),
                    (1, 0, _ipv4(17, (0, 0, 0, 0), (255, 255, 255, 255), struct.pack("!HHHH", 68, 67, 8, 0)))),
        _fw_records((1, 0, _ipv4(6, US, PEER, _tcp(40000, 443, 0x02))),
                    (0, 0, _ipv4(1, (192, 0, 2, 254), US, bytes([3, 4, 0, 0, 0, 0, 5, 220]) +
                                 _ipv4(6, US, PEER, _tcp(40000, 443, 0x02))[14:42])),
                    (0, 0, _ipv4(1, PEER, US, bytes([8, 0, 0, 0, 0, 9, 0, 1]) + b"ping"))),
        _fw_records((0, 0, b"\xff" * 12 + b"\x08\x06" + b"\0" * 28), (0, 0, b"\0" * 12 + b"\x86\xdd" + b"\0" * 40)),
    ],
    "fuzz_cpio": [
        newc([("appliance.conf", 0o100644, b"network { dhcp }\n")]),
        newc([("www", 0o40755, b""), ("www/index.html", 0o100644, b"<h1>hi</h1>"),
              ("tls/key.pem", 0o100600, b"-----BEGIN PRIVATE KEY-----\n")]),
        newc([]),
        b"070701",
    ],
    "fuzz_conf_parse": [
        b"network { dhcp }\nfirewall {\n inbound tcp 443 from 0.0.0.0/0 \"https\"\n}\n",
        b"routes {\n GET /api/posts/:id sql \"SELECT id FROM posts WHERE id = :id\"\n}\n",
        b"a \"q\\\"x\\n\" ; b { c { d } }\r\n# comment\n",
        b"network {\n  address 192.0.2.10/24\n  gateway 192.0.2.1\n}\nlog { level debug }\n",
        b"log { level warn }\nnetwork { dhcp }\n",
        open(os.path.join(ROOT, "defaults", "appliance.conf"), "rb").read(),
        b"database { migrations db }\nroutes {\n POST,PUT /a/:x/* sql \"SELECT :x\" { body-max 1k; rate-limit 9/m }\n"
        b" GET /s/* static www { index i.html }\n GET /r/* redirect 308 https://h/*\n}\n"
        b"limits { connections 9; header-timeout 2s; body-max 1m }\n"
        b"firewall { inbound icmp 3:4 from 10.0.0.0/8 \"d\"; outbound udp 1-9 to any; flows 99 }\n"
        b"tls { certificate c.pem; key k.pem }\n",
    ],
    # One input feeds the JSON reader, the cursor decoder and the pattern
    # matcher alike; each seed is meant for one of them.
    "fuzz_json": [
        b'{"id":42,"title":"h\\u00e9llo \\ud83d\\ude00","tags":["a",{"b":null}],"r":-1.5e3,"ok":true}',
        b'{ "n" : null , "big" : 9223372036854775808 , "s" : "\\"\\\\\\/\\b\\f\\n\\r\\t" }',
        b'{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}',
        _cursor(0, 1, 42, "ab"),
        _cursor(-1, 0, None, 7),
        _cursor(2, 0, "caf\u00e9", b"\0\xff"),
        _cursor(1, 1, -0.5, None),
        _pattern(b"[a-z][a-z0-9_]{2,15}", b"alice_42"),
        _pattern(b"^\\d{3}-\\d{4}$", b"555-1234"),
        _pattern(b"a*a*a*a*a*a*a*a*b", b"a" * 200),
        _pattern(b"[^\\s,]+\\.?x{0}.*", b"no-spaces.here"),
    ],
    "fuzz_config_blob": [
        newc([("appliance.conf", 0o100644, b"routes { GET /* static www }\n"),
              ("www/index.html", 0o100644, b"<h1>hi</h1>")]),
        newc([("appliance.conf", 0o100644, b"database { migrations m }\nroutes { GET /x sql \"SELECT 1\" }\n"),
              ("m/001_a.sql", 0o100644, b"CREATE TABLE t(x);"), ("m/002_b.sql", 0o100644, b"SELECT 1;")]),
        newc([("appliance.conf", 0o100644, b"tls { certificate c.pem; key k.pem }\n"),
              ("c.pem", 0o100644, b"-----BEGIN CERTIFICATE-----\n"),
              ("k.pem", 0o100600, b"-----BEGIN PRIVATE KEY-----\n")]),
        # The auth section: roles, keys, an HS256 secret and a P-256 public key (docs/auth.md).
        newc([("appliance.conf", 0o100644,
               b"database { disk vda }\nauth {\n role admin read metrics\n api-key k role admin sha256 "
               b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 user 7\n"
               b" jwt-key a hs256 secret-file s\n jwt-key b es256 public-key p.pem\n login-limit 10/m burst 10\n"
               b" csrf-origin https://a.example\n password-length 8..64\n}\nroutes {\n"
               b" GET /m metrics { permission metrics }\n"
               b" POST /login login \"SELECT id AS user_id, password_hash FROM u WHERE h = :username\"\n"
               b" POST /logout logout\n"
               b" POST /u sql \"INSERT INTO u(h) VALUES (:auth_user_id, :pw_hash)\" {\n"
               b"  auth jwt session\n  hash-password pw\n }\n}\n"),
              ("s", 0o100600, b"0123456789abcdef0123456789abcdef"),
              ("p.pem", 0o100644, b"-----BEGIN PUBLIC KEY-----\n"
               b"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEh+kLxf+9MRbe5YSI5DLjJwQztxvn\n"
               b"Fwl4RB0mBnAKT7obfSC61FkE1sYGJr/rZ1QTRs2eb/JzD6WPacDpw4el4w==\n-----END PUBLIC KEY-----\n")]),
    ],
}


def test_every_fuzz_source_was_built():
    want = {os.path.basename(s)[:-2] for s in glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c"))}
    assert want and want <= {os.path.basename(t) for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS, ids=os.path.basename)
def test_fuzz(target, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, seed in enumerate(SEEDS.get(os.path.basename(target), [])):
        (corpus / f"seed{i}").write_bytes(seed)
    r = subprocess.run([target, f"-max_total_time={SECONDS}", "-rss_limit_mb=1024",
                        f"-artifact_prefix={tmp_path}/", str(corpus)],
                       capture_output=True, text=True, timeout=SECONDS + 120)
    assert r.returncode == 0, r.stderr[-4000:]
    assert "Done" in r.stderr, r.stderr[-2000:]

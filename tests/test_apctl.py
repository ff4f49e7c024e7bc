"""apctl: every invalid config gives its exact message and position; valid
configs round-trip through pack and show; exit codes are as documented."""
import os
import subprocess

import pytest

from certs import pair

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APCTL = os.path.join(ROOT, "build", "apctl")

# (config text, exact stderr line). Positions are 1-based line:column.
INVALID = [
    # syntax
    ("network {\n  dhcp\n", "appliance.conf:1:9: block opened here is not closed (add a '}')"),
    ("network { dhcp }\n}\n", "appliance.conf:2:1: '}' without a matching '{' (remove it)"),
    ("{ dhcp }\n", "appliance.conf:1:1: '{' without a directive name before it (e.g. 'routes {')"),
    ('"network" { dhcp }\n', "appliance.conf:1:1: a directive name cannot be a quoted string"),
    ('log { level "info }\n', 'appliance.conf:1:13: string not closed on its line (add the closing ")'),
    ('log { level "in\\fo" }\n', 'appliance.conf:1:16: unknown escape in string (use \\", \\\\, \\n or \\t)'),
    ("log { level\x07 info }\n", "appliance.conf:1:12: control character 0x07 (remove it; only spaces, "
     "tabs and newlines separate words)"),
    ('log { level "in\x01fo" }\n', "appliance.conf:1:16: control character 0x01 in string (use \\n or \\t)"),
    ("log { level info }\rx\n", "appliance.conf:1:19: carriage return without a newline (save the file "
     "with Unix or DOS line endings)"),
    ("a { b { c { d { e { f } } } } }\n", "appliance.conf:1:19: blocks nested deeper than 4"),
    ("log { level info }\n\x00\n", "appliance.conf:2:1: NUL byte (this is not a text file)"),
    ("log { level " + "x " * 33 + "}\n", "appliance.conf:1:77: more than 32 arguments to 'level'"),
    ('log { level "' + "y" * 1100 + '" }\n', "appliance.conf:1:13: string longer than 1023 bytes"),
    # sections
    ("netwrk { dhcp }\n", "appliance.conf:1:1: unknown section 'netwrk' (known: network, log, tls, firewall, limits, database, auth, routes)"),
    ("Network { dhcp }\n", "appliance.conf:1:1: unknown section 'Network' (known: network, log, tls, "
     "firewall, limits, database, auth, routes)"),
    ("network\n", "appliance.conf:1:1: 'network' needs a block: network { ... }"),
    ("network eth0 { dhcp }\n", "appliance.conf:1:9: 'network' takes no arguments before its block"),
    ("network { dhcp }\nnetwork { dhcp }\n", "appliance.conf:2:1: section 'network' given twice (first at line 1)"),
    ("log { }\nlog { }\n", "appliance.conf:2:1: section 'log' given twice (first at line 1)"),
    ("log\n", "appliance.conf:1:1: 'log' needs a block: log { ... }"),
    # network
    ("network { dhpc }\n", "appliance.conf:1:11: unknown directive 'dhpc' in network (known: dhcp, address, gateway)"),
    ("network { dhcp yes }\n", "appliance.conf:1:16: 'dhcp' takes 0 arguments (write just: dhcp)"),
    ("network { dhcp { } }\n", "appliance.conf:1:11: 'dhcp' does not take a block"),
    ("network { dhcp\n dhcp }\n", "appliance.conf:2:2: 'dhcp' given twice in network (first at line 1)"),
    ("network { address }\n", "appliance.conf:1:11: 'address' takes 1 argument (e.g. address 192.0.2.10/24)"),
    ("network { address 192.0.2.10/24 192.0.2.11/24 }\n",
     "appliance.conf:1:33: 'address' takes 1 argument (e.g. address 192.0.2.10/24)"),
    ("network { address 192.0.2.10 }\n", "appliance.conf:1:19: '192.0.2.10' is not an IPv4 address with a "
     "prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network { address 192.0.2.10/33 }\n", "appliance.conf:1:19: '192.0.2.10/33' is not an IPv4 address "
     "with a prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network { address 192.0.2.10/0 }\n", "appliance.conf:1:19: '192.0.2.10/0' is not an IPv4 address "
     "with a prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network { address 192.0.2.256/24 }\n", "appliance.conf:1:19: '192.0.2.256/24' is not an IPv4 address "
     "with a prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network { address 192.0.02.1/24 }\n", "appliance.conf:1:19: '192.0.02.1/24' is not an IPv4 address "
     "with a prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network { address 192.0.2/24 }\n", "appliance.conf:1:19: '192.0.2/24' is not an IPv4 address "
     "with a prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network { address 192.0.2.1/2x }\n", "appliance.conf:1:19: '192.0.2.1/2x' is not an IPv4 address "
     "with a prefix length 1-32 (e.g. 192.0.2.10/24)"),
    ("network {\n  dhcp\n  address 192.0.2.10/24\n}\n",
     "appliance.conf:3:3: 'address' and 'dhcp' exclude each other (keep one)"),
    ("network { dhcp; gateway 192.0.2.1 }\n", "appliance.conf:1:17: 'gateway' needs a static 'address' "
     "(with dhcp the gateway comes from the DHCP server)"),
    ("network { gateway 192.0.2.1 }\n", "appliance.conf:1:11: 'gateway' needs a static 'address' "
     "(with dhcp the gateway comes from the DHCP server)"),
    ("network { address 192.0.2.10/24; gateway 192.0.2.x }\n",
     "appliance.conf:1:42: '192.0.2.x' is not an IPv4 address (e.g. 192.0.2.1)"),
    ("network { address 192.0.2.10/24; gateway }\n",
     "appliance.conf:1:34: 'gateway' takes 1 argument (e.g. gateway 192.0.2.1)"),
    ("network { address 192.0.2.10/24\n address 192.0.2.11/24 }\n",
     "appliance.conf:2:2: 'address' given twice in network (first at line 1)"),
    # log
    ("log { level loud }\n", "appliance.conf:1:13: unknown log level 'loud' (use error, warn, info or debug)"),
    ("log { level INFO }\n", "appliance.conf:1:13: unknown log level 'INFO' (use error, warn, info or debug)"),
    ("log { level }\n", "appliance.conf:1:7: 'level' takes 1 argument (one of error, warn, info, debug)"),
    ("log { level info debug }\n", "appliance.conf:1:18: 'level' takes 1 argument (one of error, warn, info, debug)"),
    ("log { level info; level debug }\n", "appliance.conf:1:19: 'level' given twice in log (first at line 1)"),
    ("log { verbose }\n", "appliance.conf:1:7: unknown directive 'verbose' in log (known: level)"),
    ("log { level { info } }\n", "appliance.conf:1:7: 'level' does not take a block"),
]

VALID = [
    "",
    "# only a comment\n",
    "network { dhcp }\n",
    "network {\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n}\nlog { level debug }\n",
    "network { address 10.0.2.15/32 }\r\nlog {\r\n level warn\r\n}\r\n",
    'log { level "error" }   # quoted values are values too\n',
]


def apctl(*args):
    return subprocess.run([APCTL, *args], capture_output=True, text=True)


def write(tmp_path, text, name="appliance.conf"):
    p = tmp_path / name
    p.write_bytes(text.encode("latin-1"))
    return str(p)


def test_there_are_forty_invalid_cases_or_more():
    assert len(INVALID) >= 40


@pytest.mark.parametrize("text,message", INVALID, ids=[str(i) for i in range(len(INVALID))])
def test_invalid_config_message_and_position(tmp_path, text, message):
    r = apctl("check", write(tmp_path, text))
    assert r.returncode == 1
    assert r.stderr.rstrip("\n") == message
    # pack refuses the same file with the same words, and writes nothing.
    out = tmp_path / "blob"
    r = apctl("pack", write(tmp_path, text), "-o", str(out))
    assert r.returncode == 1 and r.stderr.rstrip("\n") == message and not out.exists()


@pytest.mark.parametrize("text", VALID, ids=[str(i) for i in range(len(VALID))])
def test_valid_config_round_trips_through_show(tmp_path, text):
    path = write(tmp_path, text)
    assert apctl("check", path).returncode == 0
    blob = str(tmp_path / "blob")
    assert apctl("pack", path, "-o", blob).returncode == 0
    shown = apctl("show", blob)
    assert shown.returncode == 0, shown.stderr
    # The effective config is itself a valid config with the same effect.
    again = tmp_path / "again"
    again.mkdir()
    path2 = write(again, shown.stdout)
    blob2 = str(again / "blob")
    assert apctl("pack", path2, "-o", blob2).returncode == 0
    assert apctl("show", blob2).stdout == shown.stdout


def test_show_refuses_what_is_not_a_blob():
    r = subprocess.run([APCTL, "show", "/dev/stdin"], input="", capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.startswith("archive offset 0: truncated header")


def test_show_effective_values(tmp_path):
    blob = str(tmp_path / "blob")
    apctl("pack", write(tmp_path, ""), "-o", blob)
    # Every default, as docs/config.md lists them; no database, no routes.
    assert apctl("show", blob).stdout == DEFAULTS_SHOWN


DEFAULTS_SHOWN = """network {
    dhcp
}
log {
    level info
}
firewall {
    outbound all to 0.0.0.0/0
    flows 4096
    tcp-established-timeout 5d
    udp-timeout 30s
    udp-stream-timeout 3m
    other-timeout 10m
}
limits {
    connections 256
    header-timeout 10s
    body-timeout 30s
    send-timeout 30s
    keepalive-timeout 1m
    keepalive-requests 1000
    drain-timeout 10s
    request-line-max 8k
    header-max 16k
    headers-max 100
    body-max 1m
}
"""


def test_exit_codes_and_help(tmp_path):
    assert apctl().returncode == 2
    assert apctl("frobnicate", "x").returncode == 2
    assert apctl("pack", "a").returncode == 2
    r = apctl("check", str(tmp_path / "missing.conf"))
    assert r.returncode == 3 and "cannot open" in r.stderr
    r = apctl("--help")
    assert r.returncode == 0
    for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS"):
        assert heading in r.stdout
    bad_blob = tmp_path / "bad"
    bad_blob.write_bytes(b"070701" + b"0" * 200)
    r = apctl("show", str(bad_blob))
    assert r.returncode == 1 and r.stderr.startswith("archive offset ")


CERT, KEY = pair("ec")
TLS_OK = "tls {\n  certificate tls/fullchain.pem\n  key tls/key.pem\n}\n"
FILES_OK = {"tls/fullchain.pem": CERT, "tls/key.pem": KEY}
KEY_BODY = KEY.splitlines()[1]
TLS_INVALID = [
    (TLS_OK, {"tls/fullchain.pem": CERT},
     "appliance.conf:3:7: file 'tls/key.pem' not found (put it next to appliance.conf; apctl pack takes it into the blob)"),
    (TLS_OK, {"tls/fullchain.pem": "hello\n", "tls/key.pem": KEY},
     "appliance.conf:2:15: 'tls/fullchain.pem' holds no PEM certificate (want -----BEGIN CERTIFICATE-----)"),
    (TLS_OK, {"tls/fullchain.pem": CERT, "tls/key.pem": CERT},
     "appliance.conf:3:7: 'tls/key.pem' holds no PEM private key (want -----BEGIN ... PRIVATE KEY-----)"),
    (TLS_OK, {"tls/fullchain.pem": CERT, "tls/key.pem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n"},
     "appliance.conf:3:7: 'tls/key.pem' is an encrypted key: the appliance has no passphrase to open it "
     "(export it unencrypted, e.g. openssl pkey -in k.pem -out key.pem)"),
    ("tls {\n  certificate tls/fullchain.pem\n}\n", FILES_OK,
     "appliance.conf:1:1: tls needs both 'certificate' and 'key'"),
    ("tls {\n  certificate ../fullchain.pem\n  key tls/key.pem\n}\n", FILES_OK,
     "appliance.conf:2:15: '../fullchain.pem' is not a usable file name (relative to appliance.conf, "
     "no '..', shorter than 128 bytes)"),
    ("tls {\n  certificate /etc/ssl/cert.pem\n  key tls/key.pem\n}\n", FILES_OK,
     "appliance.conf:2:15: '/etc/ssl/cert.pem' is not a usable file name (relative to appliance.conf, "
     "no '..', shorter than 128 bytes)"),
    ("tls {\n  certificate appliance.conf\n  key tls/key.pem\n}\n", FILES_OK,
     "appliance.conf:2:15: 'appliance.conf' is not a usable file name (relative to appliance.conf, "
     "no '..', shorter than 128 bytes)"),
    ("tls {\n  key tls/key.pem\n  key tls/key.pem\n}\n", FILES_OK,
     "appliance.conf:3:3: 'key' given twice in tls (first at line 2)"),
    ("tls {\n  cert tls/fullchain.pem\n}\n", FILES_OK,
     "appliance.conf:2:3: unknown directive 'cert' in tls (known: certificate, key, host, session-cache, "
     "session-timeout, handshake-timeout, hsts, plain-http, https-port)"),
    ("tls {\n  certificate\n}\n", FILES_OK,
     "appliance.conf:2:3: 'certificate' takes 1 argument (e.g. certificate tls/fullchain.pem)"),
    ("tls tls/fullchain.pem\n", FILES_OK, "appliance.conf:1:5: 'tls' takes no arguments before its block"),
    # Decoded and matched (kernel/config_tls.c, on BearSSL).
    (TLS_OK, {"tls/fullchain.pem": CERT, "tls/key.pem": pair("ec", "other")[1]},
     "appliance.conf:3:7: 'tls/key.pem': the key does not match the certificate (the certificate's public "
     "key is not this key's)"),
    (TLS_OK, {"tls/fullchain.pem": pair("rsa")[0], "tls/key.pem": KEY},
     "appliance.conf:3:7: 'tls/key.pem': the key does not match the certificate (the certificate's public "
     "key is not this key's)"),
    (TLS_OK, {"tls/fullchain.pem": pair("rsa")[0], "tls/key.pem": pair("rsa", "other")[1]},
     "appliance.conf:3:7: 'tls/key.pem': the key does not match the certificate (the certificate's public "
     "key is not this key's)"),
    (TLS_OK, {"tls/fullchain.pem": pair("rsa1024")[0], "tls/key.pem": pair("rsa1024")[1]},
     "appliance.conf:3:7: 'tls/key.pem': the RSA key is shorter than 2048 bits (make a new key of 2048 bits "
     "or more, or use ECDSA P-256)"),
    (TLS_OK, {"tls/fullchain.pem": CERT.replace("\n-----END CERTIFICATE-----", ""), "tls/key.pem": KEY},
     "appliance.conf:2:15: 'tls/fullchain.pem': the certificate file's PEM is damaged (a BEGIN line without "
     "its END, or bad base64)"),
    (TLS_OK, {"tls/fullchain.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
              "tls/key.pem": KEY},
     "appliance.conf:2:15: 'tls/fullchain.pem': certificate 1 of the file is not a valid X.509 certificate"),
    (TLS_OK, {"tls/fullchain.pem": CERT, "tls/key.pem": KEY + pair("ec", "other")[1]},
     "appliance.conf:3:7: 'tls/key.pem': more than one private key in the file (keep the one that matches "
     "the certificate)"),
    (TLS_OK, {"tls/fullchain.pem": CERT, "tls/key.pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n"
              "-----END PRIVATE KEY-----\n"},
     "appliance.conf:3:7: 'tls/key.pem': the private key cannot be decoded (want an unencrypted PKCS#8, "
     "SEC 1 or PKCS#1 key)"),
    # The section's other directives (docs/tls.md).
    (TLS_OK[:-2] + "  host api.example.com\n}\n", FILES_OK,
     "appliance.conf:4:3: 'host' takes server names and a block (e.g. host api.example.com { certificate "
     "tls/api.pem; key tls/api-key.pem })"),
    (TLS_OK[:-2] + "  host api.example.com {\n    certificate tls/fullchain.pem\n  }\n}\n", FILES_OK,
     "appliance.conf:4:3: a host block needs both 'certificate' and 'key'"),
    (TLS_OK[:-2] + "  host 10.0.0.1:443 { certificate tls/fullchain.pem; key tls/key.pem }\n}\n", FILES_OK,
     "appliance.conf:4:8: '10.0.0.1:443' is not a server name (a DNS name such as api.example.com, or "
     "*.example.com; no IP address, port or trailing dot)"),
    (TLS_OK[:-2] + "  host a.test. { certificate tls/fullchain.pem; key tls/key.pem }\n}\n", FILES_OK,
     "appliance.conf:4:8: 'a.test.' is not a server name (a DNS name such as api.example.com, or "
     "*.example.com; no IP address, port or trailing dot)"),
    (TLS_OK[:-2] + "  host a.test *.b.test { certificate tls/fullchain.pem; key tls/key.pem }\n"
     "  host A.TEST { certificate tls/fullchain.pem; key tls/key.pem }\n}\n", FILES_OK,
     "appliance.conf:5:8: 'a.test' is named twice (once per certificate)"),
    (TLS_OK[:-2] + "  host a b c d e f g h i { certificate tls/fullchain.pem; key tls/key.pem }\n}\n", FILES_OK,
     "appliance.conf:4:24: at most 8 names in one host block"),
    (TLS_OK[:-2] + "  host a.test { certificate tls/fullchain.pem; key tls/key.pem; hsts off }\n}\n", FILES_OK,
     "appliance.conf:4:65: unknown directive 'hsts' in a host block (known: certificate, key)"),
    (TLS_OK[:-2] + "  session-cache 262145\n}\n", FILES_OK,
     "appliance.conf:4:17: '262145' for 'session-cache' is not a whole number 0-262144"),
    (TLS_OK[:-2] + "  session-timeout 25h\n}\n", FILES_OK,
     "appliance.conf:4:19: '25h' for 'session-timeout' is not a duration 1m-1d with a unit: ms, s, m, h or d"),
    (TLS_OK[:-2] + "  handshake-timeout 500ms\n}\n", FILES_OK,
     "appliance.conf:4:21: '500ms' for 'handshake-timeout' is not a duration 1s-1m with a unit: ms, s, m, h or d"),
    (TLS_OK[:-2] + "  hsts 1y\n}\n", FILES_OK,
     "appliance.conf:4:8: '1y' is not a max-age in whole seconds up to 730d (e.g. hsts 365d "
     "include-subdomains, or hsts off)"),
    (TLS_OK[:-2] + "  hsts 30d preload include-subdomains\n}\n", FILES_OK,
     "appliance.conf:4:3: hsts preload needs a max-age of 365d or more and include-subdomains (the preload "
     "list's rules)"),
    (TLS_OK[:-2] + "  hsts 365d subdomains\n}\n", FILES_OK,
     "appliance.conf:4:13: unknown hsts option 'subdomains' (include-subdomains, preload)"),
    (TLS_OK[:-2] + "  hsts off 365d\n}\n", FILES_OK,
     "appliance.conf:4:12: 'hsts off' takes nothing more"),
    (TLS_OK[:-2] + "  plain-http allow\n}\n", FILES_OK,
     "appliance.conf:4:14: 'allow': plain-http takes redirect or serve"),
    (TLS_OK[:-2] + "  https-port 0\n}\n", FILES_OK,
     "appliance.conf:4:14: '0' for 'https-port' is not a whole number 1-65535"),
    (TLS_OK + "routes {\n  GET /healthz health { plain-http maybe }\n}\n", FILES_OK,
     "appliance.conf:6:36: 'maybe': plain-http takes serve or redirect"),
]


@pytest.mark.parametrize("kind", ["ec", "ec384", "rsa"])
def test_matching_pairs_of_each_kind_pass(tmp_path, kind):
    cert, key = pair(kind)
    # A chain (leaf, then another certificate) with a combined key file.
    r = apctl("check", tree(tmp_path, TLS_OK, {"tls/fullchain.pem": cert + pair("ec", "ca")[0],
                                                "tls/key.pem": key}))
    assert r.returncode == 0, r.stderr


def tree(tmp_path, text, files):
    write(tmp_path, text)
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    return str(tmp_path / "appliance.conf")


@pytest.mark.parametrize("text,files,message", TLS_INVALID, ids=[str(i) for i in range(len(TLS_INVALID))])
def test_invalid_tls_message_and_position(tmp_path, text, files, message):
    r = apctl("check", tree(tmp_path, text, files))
    assert r.returncode == 1
    assert r.stderr.rstrip("\n") == message


def test_pack_takes_named_files_and_show_keeps_the_key_secret(tmp_path):
    conf = tree(tmp_path, TLS_OK, FILES_OK)
    blob = tmp_path / "blob"
    r = apctl("pack", conf, "-o", str(blob))
    assert r.returncode == 0 and "3 files" in r.stdout, r.stdout + r.stderr
    data = blob.read_bytes()
    assert b"tls/key.pem" in data and b"tls/fullchain.pem" in data
    assert KEY_BODY.encode() in data               # the blob carries it...
    shown = apctl("show", str(blob))
    assert shown.returncode == 0
    assert ("tls {\n    certificate tls/fullchain.pem\n    key tls/key.pem\n    session-cache 4096\n"
            "    session-timeout 1h\n    handshake-timeout 10s\n    hsts 365d\n    plain-http redirect\n"
            "    https-port 443\n}\n") in shown.stdout
    assert KEY_BODY not in shown.stdout + shown.stderr   # ...show never prints it
    # The key's archive entry is owner-only (mode 0100600).
    i = data.index(b"tls/key.pem\0")
    assert data[i - 110 + 14:i - 110 + 22] == b"00008180"


def test_host_blocks_and_options_show_back(tmp_path):
    """Certificates by SNI and every option: accepted, shown in the
    shortest form, and every key packed as a secret."""
    cert_b, key_b = pair("rsa", "b")
    text = (TLS_OK[:-2] + "  host API.example.com *.api.example.com {\n    certificate tls/b.pem\n"
            "    key tls/b-key.pem\n  }\n  session-cache 0\n  session-timeout 86400s\n"
            "  handshake-timeout 5s\n  hsts 730d include-subdomains preload\n  plain-http serve\n"
            "  https-port 8443\n}\nroutes {\n  GET /healthz health { plain-http redirect }\n}\n")
    conf = tree(tmp_path, text, {**FILES_OK, "tls/b.pem": cert_b, "tls/b-key.pem": key_b})
    blob = tmp_path / "blob"
    r = apctl("pack", conf, "-o", str(blob))
    assert r.returncode == 0, r.stderr
    shown = apctl("show", str(blob)).stdout
    assert ("tls {\n    certificate tls/fullchain.pem\n    key tls/key.pem\n"
            "    host api.example.com *.api.example.com {\n        certificate tls/b.pem\n"
            "        key tls/b-key.pem\n    }\n    session-cache 0\n    session-timeout 1d\n"
            "    handshake-timeout 5s\n    hsts 730d include-subdomains preload\n    plain-http serve\n"
            "    https-port 8443\n}\n") in shown
    assert "GET /healthz health {\n        plain-http redirect\n    }" in shown
    assert key_b.splitlines()[1] not in shown
    data = blob.read_bytes()
    i = data.index(b"tls/b-key.pem\0")
    assert data[i - 110 + 14:i - 110 + 22] == b"00008180"


def test_combined_pem_is_packed_once(tmp_path):
    text = "tls {\n  certificate tls/both.pem\n  key tls/both.pem\n}\n"
    conf = tree(tmp_path, text, {"tls/both.pem": KEY + CERT})
    blob = tmp_path / "blob"
    r = apctl("pack", conf, "-o", str(blob))
    assert r.returncode == 0 and "2 files" in r.stdout, r.stdout + r.stderr
    assert apctl("show", str(blob)).returncode == 0

"""Whole-image tests of authentication and authorization (docs/auth.md):
the real image over HTTPS (the development certificate) with a data disk,
an `auth` section with three roles, two API keys, three JWT keys (two
HS256, one ES256) and sessions from a login route, driven by Python's
http.client on keep-alive connections. Users are seeded by a migration
with password hashes computed here (tests/jwtmint.py), so only the logins
under test hash in the guest (600,000 PBKDF2 iterations each: seconds
under TCG, hence few logins).

Two appliances: the main one for schemes, JWTs, permissions, sessions,
CSRF, IDOR, user creation, audit and the console; and a small one with
`session-max-age 1m` and low login limits, booted first so that its
session's minute runs out while the main tests run, and so that brute
force can empty its buckets without starving the main one's logins (all
clients share one address, 10.0.2.2, behind QEMU's user network).

docs/auth.md's "Answers" table is the contract: 401 with WWW-Authenticate
for missing, wrong or foreign-scheme credentials, 403 for a role without
the permission or a cross-origin cookie request, 429 with Retry-After over
the login limits."""
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import ssl
import threading
import time

import pytest

import jwtmint
from qemu import ROOT, blank_disk, disk_guest, pack_dir

DEVCERT = os.path.join(ROOT, "build", "devcert")
CA = os.path.join(DEVCERT, "dev-cert.pem")
ISS, AUD = "https://idp.example", "my-api"
APP_ORIGIN = "https://app.example"
EVIL_ORIGIN = "https://evil.example"
SEED_TOKEN = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
              "eyJ1c2VySWQiOjEyMywicm9sZSI6ImFkbWluIiwiZXhwIjoxNjQwOTk1MjAwfQ."
              "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
HASH_RE = re.compile(r"^pbkdf2-sha256\$600000\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$")
SID_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")          # 32 bytes, base64url without padding

MAIN_CONF = """\
network { dhcp }
tls {
    certificate tls/dev-cert.pem
    key tls/dev-key.pem
}
firewall {
    inbound tcp 443 from any "https"
}
database {
    migrations db
    statement-timeout 1s
}
auth {
    role admin  read write delete metrics audit manage
    role editor read write
    role viewer read
    api-key ci-bot role admin sha256 @KEY_ADMIN@ user 1
    api-key writer role editor sha256 @KEY_EDITOR@ user 2
    api-key-header X-API-Key
    jwt-key main hs256 secret-file jwt/main.secret
    jwt-key idp  es256 public-key jwt/idp-public.pem
    jwt-key alt  hs256 secret-file jwt/alt.secret
    jwt-leeway 30s
    jwt-issuer https://idp.example
    jwt-audience my-api
    session-cookie sid
    session-max-age 2h
    session-same-site strict
    csrf-origin https://app.example
    csrf-header X-CSRF-Token
    login-limit 30/m burst 30
    account-limit 5/m burst 5
    audit on
}
routes {
    GET    /healthz health
    GET    /public sql "SELECT 'public' AS scheme"
    GET    /whoami sql "SELECT :auth_user_id AS user_id, :auth_role AS role, :auth_name AS name" {
        auth api-key jwt session
    }
    GET    /only/key sql "SELECT 'api-key' AS scheme" { auth api-key }
    GET    /only/jwt sql "SELECT 'jwt' AS scheme" { auth jwt }
    GET    /only/session sql "SELECT 'session' AS scheme" { auth session }
    GET    /docs sql "SELECT 'read' AS done" { permission read }
    POST   /docs sql "SELECT 'written' AS done" { permission write }
    DELETE /docs/:id sql "SELECT :id AS deleted" {
        param id integer min 1
        permission delete
    }

    # Notes belong to the caller: the owner is bound from the identity,
    # never from the request.
    POST   /api/notes sql "INSERT INTO notes(user_id, body) VALUES (:auth_user_id, :body) RETURNING id, user_id, body" {
        permission write
        param body text required length 1..200
        location /api/notes/:id
    }
    GET    /api/notes/:id sql "SELECT id, user_id, body FROM notes WHERE id = :id AND user_id = :auth_user_id" {
        permission read
        param id integer min 1
    }
    PUT    /api/notes/:id sql "UPDATE notes SET body = :body WHERE id = :id AND user_id = :auth_user_id RETURNING id, user_id, body" {
        permission write
        param id integer min 1
        param body text required length 1..200
    }

    POST   /api/users sql "INSERT INTO users(handle, password_hash, role) VALUES (:handle, :password_hash, 'viewer') RETURNING id, handle, role" {
        permission manage
        param handle text required length 2..30 pattern "[a-z0-9_]+"
        hash-password password
        location /api/users/:id
    }
    GET    /api/users/:id sql "SELECT id, handle, role, password_hash FROM users WHERE id = :id" {
        permission manage
        param id integer min 1
    }
    GET    /admin/audit sql "SELECT * FROM _appliance_audit" {
        permission audit
        page 1000 max 1000 key -id
    }
    GET    /admin/sessions sql "SELECT lower(hex(id_hash)) AS id, user_id, role, csrf, created, expires FROM _appliance_sessions" {
        permission audit
        result list
    }

    POST   /login login "SELECT id AS user_id, password_hash, role FROM users WHERE handle = :username"
    POST   /logout logout
    GET    /metrics metrics { permission metrics }
}
"""

SMALL_CONF = """\
network { dhcp }
tls {
    certificate tls/dev-cert.pem
    key tls/dev-key.pem
}
firewall {
    inbound tcp 443 from any "https"
}
database { migrations db }
auth {
    role viewer read
    session-max-age 1m
    login-limit 6/m burst 6
    account-limit 2/m burst 2
}
routes {
    GET  /healthz health
    GET  /only/session sql "SELECT 'session' AS scheme" { auth session }
    POST /login login "SELECT id AS user_id, password_hash, role FROM users WHERE handle = :username"
}
"""

SCHEMA = """\
CREATE TABLE users(
    id            INTEGER PRIMARY KEY,
    handle        TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'viewer'
);
CREATE TABLE notes(
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    body    TEXT NOT NULL
);
"""


def seed(users):
    """The migration's INSERTs: users [(id, handle, password, role)], hashed here."""
    rows = ",\n    ".join(f"({i}, '{h}', '{jwtmint.password_hash(pw)}', '{role}')" for i, h, pw, role in users)
    return f"INSERT INTO users(id, handle, password_hash, role) VALUES\n    {rows};\n"


def write_site(d, conf, files):
    (d / "tls").mkdir(parents=True, exist_ok=True)
    shutil.copy(os.path.join(DEVCERT, "dev-cert.pem"), d / "tls")
    shutil.copy(os.path.join(DEVCERT, "dev-key.pem"), d / "tls")
    for name, data in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    (d / "appliance.conf").write_text(conf)
    return pack_dir(d)


def boot(blob, disk):
    return disk_guest(blob, disk, guest_port=443, append="https-port={port}", mem="256M")


blank = blank_disk


class Resp:
    def __init__(self, r, raw, took):
        self.status, self.r, self.raw, self.took = r.status, r, raw, took
        ctype = r.getheader("Content-Type", "")
        self.doc = json.loads(raw) if raw and ctype.startswith("application/json") else None

    def header(self, name):
        return self.r.getheader(name)

    def cookies(self):
        return self.r.msg.get_all("Set-Cookie") or []

    def __repr__(self):
        return f"<{self.status} {dict(self.r.getheaders())} {self.raw[:300]!r}>"


class Client:
    """One HTTPS keep-alive connection to the guest (verifying the
    development certificate, issued for 127.0.0.1); reopened if the
    server closed it. No retries on 429: the tests want to see them."""

    def __init__(self, port):
        self.port = port
        self.ctx = ssl.create_default_context(cafile=CA)
        self.host = f"127.0.0.1:{port}"
        self.c = None

    def _conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=120)

    def __call__(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        for attempt in range(2):
            if self.c is None:
                self.c = self._conn()
            try:
                t = time.monotonic()
                self.c.request(method, path, body=data, headers=h)
                r = self.c.getresponse()
                raw = r.read()
                took = time.monotonic() - t
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
                self.c.close()
                self.c = None
                if attempt:
                    raise
        if r.getheader("Connection", "").lower() == "close":
            self.c.close()
            self.c = None
        return Resp(r, raw, took)

    def close(self):
        if self.c:
            self.c.close()
            self.c = None


def parse_cookie(line):
    """'sid=v; Path=/; HttpOnly' -> ('sid', 'v', {'path': '/', 'httponly': True})"""
    parts = [p.strip() for p in line.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name, value, attrs


def login(client, username, password):
    r = client("POST", "/login", {"username": username, "password": password})
    sid = None
    for line in r.cookies():
        name, value, _ = parse_cookie(line)
        if name == "sid" and value:
            sid = value
    return r, sid


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def cookie(sid):
    return {"Cookie": f"sid={sid}"}


def challenge(r):
    return r.header("WWW-Authenticate") or ""


def assert_error_json(r, *secret):
    """An error body is JSON {"error": ...} and echoes no credential."""
    assert r.doc is not None and "error" in r.doc, r
    for s in secret:
        assert s.encode() not in r.raw, (s, r)


def error_message(r):
    """The error's text: {"error": "..."} (docs/auth.md) or the sql
    routes' {"error": {"status": N, "message": "..."}}."""
    e = r.doc["error"]
    return e if isinstance(e, str) else e["message"]


def wait_ready(g, client):
    g.wait_for(r"boot: listening on", timeout=60)
    g.wait_for(r"store: ready", timeout=60)
    deadline = time.monotonic() + 30
    while client("GET", "/healthz").status != 200:
        assert time.monotonic() < deadline, g.output
        time.sleep(0.2)


# ---------------------------------------------------------------- the appliances

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The main appliance's secrets (all made here) and its packed blob."""
    d = tmp_path_factory.mktemp("auth-main")
    s = {
        "key_admin": secrets.token_hex(32), "key_editor": secrets.token_hex(32),
        "hs_main": secrets.token_bytes(48), "hs_alt": secrets.token_bytes(32),
        "idp": jwtmint.P256(),
        "pw": {"alice": "alice-" + secrets.token_urlsafe(12), "bob": "bob-" + secrets.token_urlsafe(12),
               "carol": "carol-" + secrets.token_urlsafe(12), "erin": "erin-" + secrets.token_urlsafe(12)},
    }
    s["secrets"] = [s["key_admin"], s["key_editor"], *s["pw"].values(),
                    s["hs_main"].hex(), s["hs_alt"].hex(),
                    base64.b64encode(s["hs_main"]).decode(), base64.b64encode(s["hs_alt"]).decode()]
    s["tokens"] = []          # every JWT minted: none may reach the console
    conf = (MAIN_CONF.replace("@KEY_ADMIN@", hashlib.sha256(s["key_admin"].encode()).hexdigest())
            .replace("@KEY_EDITOR@", hashlib.sha256(s["key_editor"].encode()).hexdigest()))
    users = [(1, "alice", s["pw"]["alice"], "admin"), (2, "bob", s["pw"]["bob"], "editor"),
             (3, "carol", s["pw"]["carol"], "viewer")]
    s["blob"] = write_site(d, conf, {
        "db/001_schema.sql": SCHEMA, "db/002_users.sql": seed(users),
        "jwt/main.secret": s["hs_main"], "jwt/alt.secret": s["hs_alt"],
        "jwt/idp-public.pem": s["idp"].public_pem()})
    s["dir"] = d
    return s


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small appliance (session-max-age 1m, low login limits), booted
    and logged into first: its session expires while the main tests run."""
    d = tmp_path_factory.mktemp("auth-small")
    pw = {"dave": "dave-" + secrets.token_urlsafe(12), "victim": "victim-" + secrets.token_urlsafe(12)}
    blob = write_site(d, SMALL_CONF, {"db/001_schema.sql": SCHEMA,
                                      "db/002_users.sql": seed([(1, "dave", pw["dave"], "viewer"),
                                                                (2, "victim", pw["victim"], "viewer")])})
    with boot(blob, blank(d / "disk.img")) as g:
        g.client = Client(g.port)
        wait_ready(g, g.client)
        g.pw = pw
        g.login, g.sid = login(g.client, "dave", pw["dave"])
        g.login_at = time.monotonic()              # the session began before this
        g.secrets = list(pw.values()) + ([g.sid] if g.sid else [])
        yield g
        g.client.close()


@pytest.fixture(scope="module")
def main(site, small):
    with boot(site["blob"], blank(site["dir"] / "disk.img")) as g:
        g.client = Client(g.port)
        wait_ready(g, g.client)
        g.wait_for(r"tls: serving port 443")
        yield g
        g.client.close()


@pytest.fixture(scope="module")
def alice(main, site):
    """alice's session (admin), for the cookie tests; (sid, csrf token)."""
    r, sid = login(Client(main.port), "alice", site["pw"]["alice"])
    assert r.status == 200 and sid, r
    site["secrets"] += [sid, r.doc["csrf_token"]]
    return sid, r.doc["csrf_token"]


def hs(site, body, key="main", kid=None, header=None):
    tok = jwtmint.hs256(site["hs_" + key], body, kid=kid, header=header)
    site["tokens"].append(tok)
    return tok


def es(site, body, kid=None, header=None):
    tok = site["idp"].es256(body, kid=kid, header=header)
    site["tokens"].append(tok)
    return tok


def jwt_header(tok):
    return base64.urlsafe_b64decode(tok.split(".")[0] + "==")


def claims(sub="2", role="editor", **kw):
    kw.setdefault("iss", ISS)
    kw.setdefault("aud", AUD)
    return jwtmint.claims(sub, role=role, **kw)


# ---------------------------------------------------------------- tests

def test_short_session_cookie_on_the_small_appliance(small):
    """Booted first: login answers 200 with the cookie's attributes
    (default SameSite=Lax; Max-Age from session-max-age 1m), and the
    cookie works at once. test_session_expires_after_max_age, last in
    the file, uses it again after the minute."""
    r, sid = small.login, small.sid
    assert r.status == 200, r
    assert r.doc["user_id"] == 1 and r.doc["role"] == "viewer" and r.doc["expires_in"] == 60, r.doc
    assert isinstance(r.doc["csrf_token"], str) and len(r.doc["csrf_token"]) >= 16
    assert sid and SID_RE.match(sid), r.cookies()
    _, _, attrs = parse_cookie(r.cookies()[0])
    assert attrs.get("max-age") == "60" and attrs.get("path") == "/", attrs
    assert attrs.get("httponly") is True and attrs.get("secure") is True, attrs
    assert str(attrs.get("samesite")).lower() == "lax", attrs
    assert "domain" not in attrs, attrs
    ok = small.client("GET", "/only/session", headers=cookie(sid))
    assert ok.status == 200 and ok.doc == {"scheme": "session"}, ok


def test_each_scheme_where_configured_and_401_elsewhere(main, site, alice):
    c = main.client
    sid, _ = alice
    jwt = hs(site, claims("2", "editor"))
    key = site["key_admin"]
    ok = c("GET", "/public")
    assert ok.status == 200 and ok.doc == {"scheme": "public"}, ok

    # No credentials: 401 and the challenge of the route's schemes.
    for path in ("/whoami", "/only/key", "/only/jwt", "/docs"):
        r = c("GET", path)
        assert r.status == 401 and challenge(r) == 'Bearer realm="appliance"', (path, r)
        assert_error_json(r)
    r = c("GET", "/only/session")
    assert r.status == 401 and challenge(r).startswith('Cookie realm="appliance"'), r
    assert_error_json(r)

    creds = {"bearer key": bearer(key), "X-API-Key": {"X-API-Key": key}, "jwt": bearer(jwt), "cookie": cookie(sid)}
    takes = {"/only/key": {"bearer key", "X-API-Key"}, "/only/jwt": {"jwt"}, "/only/session": {"cookie"},
             "/whoami": set(creds)}
    for path, accepted in takes.items():
        for name, h in creds.items():
            r = c("GET", path, headers=h)
            if name in accepted:
                assert r.status == 200, (path, name, r)
            else:
                assert r.status == 401 and challenge(r).startswith(("Bearer realm=", "Cookie realm=")), (path, name, r)
                assert_error_json(r, key, jwt, sid)

    # Who each credential is, as SQL routes see it.
    assert c("GET", "/whoami", headers=bearer(key)).doc == {"user_id": 1, "role": "admin", "name": "ci-bot"}
    assert c("GET", "/whoami", headers={"X-API-Key": site["key_editor"]}).doc == \
        {"user_id": 2, "role": "editor", "name": "writer"}
    doc = c("GET", "/whoami", headers=bearer(jwt)).doc
    assert doc == {"user_id": 2, "role": "editor", "name": "2"}, doc          # a decimal sub is the user id
    doc = c("GET", "/whoami", headers=cookie(sid)).doc
    assert doc["role"] == "admin" and doc["user_id"] == 1 and doc["name"] == "1", doc


def test_wrong_credentials_are_401_and_never_fall_back(main, site, alice):
    c = main.client
    sid, _ = alice
    bad = secrets.token_hex(32)
    for h in (bearer(bad), {"X-API-Key": bad}):
        r = c("GET", "/only/key", headers=h)
        assert r.status == 401 and challenge(r).startswith('Bearer realm="appliance"'), r
        assert_error_json(r, bad)
    r = c("GET", "/only/key", headers=bearer(bad))
    assert 'error="invalid_token"' in challenge(r), r
    # Half a key, the key with a newline, an empty bearer.
    for h in (bearer(site["key_admin"][:32]), bearer(site["key_admin"].upper()), {"Authorization": "Bearer "},
              {"Authorization": "Basic " + base64.b64encode(b"alice:x").decode()}):
        assert c("GET", "/only/key", headers=h).status == 401, h
    r = c("GET", "/only/session", headers=cookie("A" * 43))
    assert r.status == 401 and challenge(r).startswith('Cookie realm="appliance"'), r
    # A wrong credential is not rescued by a right one of lower precedence.
    r = c("GET", "/whoami", headers={**bearer(bad), **cookie(sid)})
    assert r.status == 401, r
    r = c("GET", "/whoami", headers={**bearer(bad), "X-API-Key": site["key_admin"]})
    assert r.status == 401, r
    r = c("GET", "/whoami", headers={"X-API-Key": bad, **cookie(sid)})
    assert r.status == 401, r


def test_jwts_verified_and_forgeries_refused(main, site):
    c = main.client
    good_hs = hs(site, claims("2", "editor"))
    good_hs_kid = hs(site, claims("2", "editor"), kid="main")
    good_es = es(site, claims("3", "viewer"), kid="idp")
    good_es_nokid = es(site, claims("3", "viewer"))
    good_alt = hs(site, claims("4", "viewer"), key="alt", kid="alt")
    aud_list = hs(site, claims("2", "editor", aud=["other-api", AUD]))
    leeway = hs(site, claims("2", "editor", ttl=-10))              # expired 10 s ago: within 30 s
    for tok in (good_hs, good_hs_kid, good_es, good_es_nokid, good_alt, aud_list, leeway):
        r = c("GET", "/only/jwt", headers=bearer(tok))
        assert r.status == 200 and r.doc == {"scheme": "jwt"}, (jwt_header(tok), r)
    assert c("GET", "/whoami", headers=bearer(good_es)).doc["role"] == "viewer"
    assert c("GET", "/whoami", headers=bearer(good_alt)).doc["name"] == "4"
    # A role the auth section does not declare authenticates with no permission.
    undeclared = hs(site, claims("2", "superuser"))
    r = c("GET", "/docs", headers=bearer(undeclared))
    assert r.status == 403, r
    r = c("GET", "/whoami", headers=bearer(undeclared))
    assert r.status == 200 and r.doc == {"user_id": 2, "role": None, "name": "2"}, r

    h, p, sig = good_hs.split(".")
    forged_payload = jwtmint.b64url(json.dumps(claims("2", "admin")).encode())
    pem = site["idp"].public_pem()
    now = int(time.time())
    bad = {
        "the seeds' example token (2022, userId, not our key)": SEED_TOKEN,
        "alg none": jwtmint.unsigned(claims("2", "admin")),
        "alg none, signature kept": jwtmint.unsigned(claims("2", "admin")) + sig,
        "tampered payload": f"{h}.{forged_payload}.{sig}",
        "tampered signature": f"{h}.{p}.{sig[:-4]}{'AAAA' if sig[-4:] != 'AAAA' else 'BBBB'}",
        "ES256 signature changed": good_es[:-6] + ("A" * 6 if not good_es.endswith("A" * 6) else "B" * 6),
        "expired": hs(site, claims("2", "editor", ttl=-3600)),
        "no exp": hs(site, {"sub": "2", "role": "editor", "iss": ISS, "aud": AUD}),
        "not yet valid": hs(site, claims("2", "editor", nbf=now + 600)),
        "wrong iss": hs(site, claims("2", "editor", iss="https://evil.example")),
        "no iss": hs(site, {k: v for k, v in claims("2", "editor").items() if k != "iss"}),
        "wrong aud": hs(site, claims("2", "editor", aud="other-api")),
        "no aud": hs(site, {k: v for k, v in claims("2", "editor").items() if k != "aud"}),
        "signed with a secret not configured": jwtmint.hs256(secrets.token_bytes(32), claims("2", "editor")),
        "HS256 with the ES256 key's public PEM as secret, kid idp":
            jwtmint.hs256(pem, claims("2", "admin"), kid="idp"),
        "HS256 with the ES256 key's public PEM as secret, no kid": jwtmint.hs256(pem, claims("2", "admin")),
        "HS256 token naming an ES256 kid": hs(site, claims("2", "editor"), kid="idp"),
        "ES256 token naming an HS256 kid": es(site, claims("2", "editor"), kid="main"),
        "unknown kid": hs(site, claims("2", "editor"), kid="nobody"),
        "alt's secret without its kid (tries main)": hs(site, claims("2", "editor"), key="alt"),
        "main's secret with kid alt": hs(site, claims("2", "editor"), kid="alt"),
        "crit header": hs(site, claims("2", "editor"), header={"alg": "HS256", "typ": "JWT", "crit": ["x"], "x": 1}),
        "alg RS256": hs(site, claims("2", "editor"), header={"alg": "RS256", "typ": "JWT"}),
        "two parts": f"{h}.{p}",
        "four parts": f"{good_hs}.x",
    }
    for what, tok in bad.items():
        r = c("GET", "/only/jwt", headers=bearer(tok))
        assert r.status == 401, (what, r)
        ch = challenge(r)
        assert ch.startswith('Bearer realm="appliance"') and 'error="invalid_token"' in ch, (what, ch)
        assert_error_json(r, tok)
        site["tokens"].append(tok)


def test_only_a_canonical_decimal_subject_is_a_user_id(main, site):
    """Two different subjects must never be the same :auth_user_id: a
    subject is a user id only as canonical decimal within int64; other
    subjects are names without a user id (or refused)."""
    c = main.client
    for sub, uid in (("5", 5), (5, 5), ("-3", -3), ("9223372036854775807", 9223372036854775807), ("0", 0)):
        doc = c("GET", "/whoami", headers=bearer(hs(site, claims(sub, "editor")))).doc
        assert doc["user_id"] == uid, (sub, doc)
    for sub in ("+5", " 5", "05", "-05", "-0", "5 ", "0x10", "9223372036854775808", "-9223372036854775809"):
        r = c("GET", "/whoami", headers=bearer(hs(site, claims(sub, "editor"))))
        assert r.status == 401 or r.doc["user_id"] is None, (sub, r)


def test_401_versus_403_by_role(main, site):
    c = main.client
    viewer = bearer(hs(site, claims("3", "viewer")))
    editor = bearer(hs(site, claims("2", "editor")))
    admin = bearer(es(site, claims("1", "admin"), kid="idp"))
    r = c("GET", "/docs", headers=viewer)
    assert r.status == 200 and r.doc == {"done": "read"}, r
    r = c("POST", "/docs", {}, headers=viewer)
    assert r.status == 403 and not challenge(r), r
    assert_error_json(r)
    r = c("POST", "/docs", {}, headers=editor)
    assert r.status == 200 and r.doc == {"done": "written"}, r
    r = c("DELETE", "/docs/5", headers=editor)
    assert r.status == 403, r
    r = c("DELETE", "/docs/5", headers=admin)
    assert 200 <= r.status < 300 and r.doc == {"deleted": 5}, r
    r = c("DELETE", "/docs/5", headers=bearer(site["key_admin"]))
    assert 200 <= r.status < 300, r
    r = c("DELETE", "/docs/5", headers={"X-API-Key": site["key_editor"]})
    assert r.status == 403, r
    r = c("DELETE", "/docs/5")
    assert r.status == 401, r
    # Metrics: internal, so credentials even without `auth`.
    r = c("GET", "/metrics")
    assert r.status == 401 and challenge(r).startswith("Bearer"), r
    assert c("GET", "/metrics", headers=viewer).status == 403
    r = c("GET", "/metrics", headers=bearer(site["key_admin"]))
    assert r.status == 200 and b"# TYPE" in r.raw, r


def test_session_life_cycle(main, site):
    c = Client(main.port)
    r, sid = login(c, "bob", site["pw"]["bob"])
    assert r.status == 200, r
    site["secrets"] += [sid or "", r.doc["csrf_token"]]
    site["bob_sid"] = sid
    assert r.doc["user_id"] == 2 and r.doc["role"] == "editor" and r.doc["expires_in"] == 7200, r.doc
    csrf = r.doc["csrf_token"]
    assert isinstance(csrf, str) and len(csrf) >= 16 and csrf != sid
    assert r.header("Cache-Control") == "no-store", r
    lines = r.cookies()
    assert len(lines) == 1, lines
    name, value, attrs = parse_cookie(lines[0])
    assert name == "sid" and SID_RE.match(value), lines
    assert attrs == {"path": "/", "max-age": "7200", "httponly": True, "secure": True, "samesite": "Strict"}, attrs
    # The cookie works, and is bob.
    assert c("GET", "/only/session", headers=cookie(sid)).status == 200
    assert c("GET", "/whoami", headers=cookie(sid)).doc["user_id"] == 2
    r = c("POST", "/docs", {}, headers={**cookie(sid), "Origin": APP_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 200, r
    # Logging out is a cookie-authenticated POST: it needs the token too.
    r = c("POST", "/logout", headers={**cookie(sid), "Origin": EVIL_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 403, r
    r = c("POST", "/logout", headers={**cookie(sid), "Origin": APP_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 204 and r.raw == b"", r
    lines = r.cookies()
    assert len(lines) == 1, lines
    name, value, attrs = parse_cookie(lines[0])
    assert name == "sid" and value == "" and attrs.get("max-age") == "0" and attrs.get("path") == "/", lines
    assert attrs.get("secure") is True and attrs.get("httponly") is True, attrs
    # The same cookie is dead at once, everywhere.
    r = c("GET", "/only/session", headers=cookie(sid))
    assert r.status == 401 and challenge(r).startswith('Cookie realm="appliance"'), r
    assert c("GET", "/whoami", headers=cookie(sid)).status == 401
    r = c("POST", "/docs", {}, headers={**cookie(sid), "Origin": APP_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 401, r


def test_unknown_user_and_wrong_password_answer_alike(main, site):
    c = Client(main.port)
    unknown, _ = login(c, "nobody_here", site["pw"]["alice"])
    wrong, _ = login(c, "alice", site["pw"]["alice"] + "x")
    print(f"\nfailed logins: unknown user {unknown.took:.2f} s, wrong password {wrong.took:.2f} s")
    assert unknown.status == wrong.status == 401, (unknown, wrong)
    assert unknown.raw == wrong.raw and error_message(unknown) == "wrong username or password", (unknown, wrong)
    assert unknown.cookies() == wrong.cookies() == []
    assert unknown.header("Content-Type") == wrong.header("Content-Type")
    # Both hashed (the unknown one against a dummy hash): alike in time too.
    assert 1 / 3 < unknown.took / wrong.took < 3, (unknown.took, wrong.took)
    # Not JSON, not an object, no password, a number: 400, no hashing needed.
    for body in ('{"username": "alice"', {"username": "alice"}, {"password": "x" * 10},
                 {"username": "alice", "password": 12345678}, ["alice", "pw"]):
        r = c("POST", "/login", body)
        assert r.status == 400 and r.took < 2, (body, r)


def test_a_health_check_answers_promptly_while_a_login_hashes(main, site):
    """The hash runs in slices between other connections' work."""
    hc = Client(main.port)
    assert hc("GET", "/healthz").status == 200            # handshake done before
    done = {}

    def run():
        t = time.monotonic()
        done["r"], done["sid"] = login(Client(main.port), "carol", site["pw"]["carol"])
        done["took"] = time.monotonic() - t

    th = threading.Thread(target=run)
    th.start()
    time.sleep(0.5)
    lat = []
    while th.is_alive():
        r = hc("GET", "/healthz")
        assert r.status == 200, r
        lat.append(r.took)
        time.sleep(0.05)
    th.join()
    r = done["r"]
    assert r.status == 200, r
    site["secrets"] += [done["sid"], r.doc["csrf_token"]]
    lat.sort()
    print(f"\nlogin took {done['took']:.2f} s; {len(lat)} health checks during it: "
          f"median {lat[len(lat) // 2] * 1000:.1f} ms, max {lat[-1] * 1000:.1f} ms" if lat else "")
    assert len(lat) >= 3, (done["took"], lat)
    assert lat[-1] < 1.0 and lat[-1] < done["took"] / 2, (done["took"], lat)
    # carol (viewer) by session: reads, but may not write even with the right CSRF headers.
    sid, csrf = done["sid"], r.doc["csrf_token"]
    assert hc("GET", "/docs", headers=cookie(sid)).status == 200
    r = hc("POST", "/docs", {}, headers={**cookie(sid), "Origin": APP_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 403, r


def test_csrf_for_cookie_authenticated_writes(main, site, alice):
    c = main.client
    sid, csrf = alice
    own = f"https://{c.host}"
    cases = [
        ("evil origin, right token", {"Origin": EVIL_ORIGIN, "X-CSRF-Token": csrf}, 403),
        ("configured origin, no token", {"Origin": APP_ORIGIN}, 403),
        ("configured origin, wrong token", {"Origin": APP_ORIGIN, "X-CSRF-Token": csrf[:-1] + ("A" if csrf[-1] != "A" else "B")}, 403),
        ("configured origin, empty token", {"Origin": APP_ORIGIN, "X-CSRF-Token": ""}, 403),
        ("neither Origin nor Referer", {"X-CSRF-Token": csrf}, 403),
        ("Origin null", {"Origin": "null", "X-CSRF-Token": csrf}, 403),
        ("http:// of the configured origin", {"Origin": "http://app.example", "X-CSRF-Token": csrf}, 403),
        ("a lookalike origin", {"Origin": "https://app.example.evil.example", "X-CSRF-Token": csrf}, 403),
        ("evil Referer", {"Referer": "https://evil.example/app.example", "X-CSRF-Token": csrf}, 403),
        ("configured origin and token", {"Origin": APP_ORIGIN, "X-CSRF-Token": csrf}, 200),
        ("Referer of the configured origin", {"Referer": APP_ORIGIN + "/page?x=1", "X-CSRF-Token": csrf}, 200),
        ("the request's own https origin", {"Origin": own, "X-CSRF-Token": csrf}, 200),
    ]
    for what, h, want in cases:
        r = c("POST", "/docs", {}, headers={**cookie(sid), **h})
        assert r.status == want, (what, r)
        if want == 403:
            assert_error_json(r, csrf, sid)
    # Each unsafe method is checked; safe ones are not.
    r = c("DELETE", "/docs/7", headers={**cookie(sid), "Origin": EVIL_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 403, r
    r = c("DELETE", "/docs/7", headers={**cookie(sid), "Origin": APP_ORIGIN, "X-CSRF-Token": csrf})
    assert r.status == 200, r
    assert c("GET", "/docs", headers={**cookie(sid), "Origin": EVIL_ORIGIN}).status == 200
    # Bearer credentials are exempt: browsers do not send them by themselves.
    assert c("POST", "/docs", {}, headers=bearer(site["key_admin"])).status == 200
    assert c("POST", "/docs", {}, headers={"X-API-Key": site["key_editor"], "Origin": EVIL_ORIGIN}).status == 200
    assert c("POST", "/docs", {}, headers=bearer(hs(site, claims("2", "editor")))).status == 200


def test_notes_belong_to_their_owner(main, site, alice):
    """IDOR: the owner is the caller's identity, never the request's."""
    c = main.client
    a, b = bearer(site["key_admin"]), {"X-API-Key": site["key_editor"]}      # users 1 and 2
    r = c("POST", "/api/notes", {"body": "alice's note", "user_id": 2, "auth_user_id": 2}, headers=a)
    assert r.status == 201 and r.doc["user_id"] == 1 and r.doc["body"] == "alice's note", r
    assert r.header("Location") == f"/api/notes/{r.doc['id']}"
    na = r.doc["id"]
    r = c("POST", "/api/notes?auth_user_id=1&user_id=1", {"body": "bob's note"}, headers=b)
    assert r.status == 201 and r.doc["user_id"] == 2, r
    nb = r.doc["id"]
    # Each reads their own, not the other's.
    assert c("GET", f"/api/notes/{na}", headers=a).doc == {"id": na, "user_id": 1, "body": "alice's note"}
    assert c("GET", f"/api/notes/{nb}", headers=b).status == 200
    for h, n in ((a, nb), (b, na)):
        r = c("GET", f"/api/notes/{n}", headers=h)
        assert r.status in (403, 404), r
        assert b"note" not in r.raw, r
        r = c("GET", f"/api/notes/{n}?auth_user_id={2 if n == nb else 1}", headers=h)
        assert r.status in (403, 404), r
        r = c("PUT", f"/api/notes/{n}", {"body": "overwritten", "user_id": 2 if n == nb else 1}, headers=h)
        assert r.status in (403, 404), r
    assert c("GET", f"/api/notes/{nb}", headers=b).doc["body"] == "bob's note"
    assert c("GET", f"/api/notes/{na}", headers=a).doc["body"] == "alice's note"
    # The owner may change it; other credentials of the same user see it.
    r = c("PUT", f"/api/notes/{nb}", {"body": "bob's edit"}, headers=b)
    assert r.status == 200 and r.doc == {"id": nb, "user_id": 2, "body": "bob's edit"}, r
    r = c("GET", f"/api/notes/{nb}", headers=bearer(hs(site, claims("2", "editor"))))
    assert r.status == 200 and r.doc["body"] == "bob's edit", r
    sid, _ = alice
    assert c("GET", f"/api/notes/{na}", headers=cookie(sid)).status == 200
    assert c("GET", f"/api/notes/{nb}", headers=cookie(sid)).status in (403, 404)
    assert c("GET", f"/api/notes/{na}").status == 401


def test_create_user_hashes_the_password_server_side(main, site):
    c = main.client
    admin = bearer(site["key_admin"])
    pw = site["pw"]["erin"]
    r = c("POST", "/api/users", {"handle": "erin", "password": pw}, headers=admin)
    assert r.status == 201, r
    uid = r.doc["id"]
    assert r.doc == {"id": uid, "handle": "erin", "role": "viewer"} and r.header("Location") == f"/api/users/{uid}"
    assert pw.encode() not in r.raw
    stored = c("GET", f"/api/users/{uid}", headers=admin).doc["password_hash"]
    m = HASH_RE.match(stored)
    assert m, stored
    salt = base64.b64decode(m.group(1) + "==")
    assert len(salt) == 16
    assert base64.b64decode(m.group(2) + "=") == hashlib.pbkdf2_hmac("sha256", pw.encode(), salt, 600000)
    # Too short, missing, not a string: 400, nothing stored.
    for body in ({"handle": "frank", "password": "short"}, {"handle": "frank"},
                 {"handle": "frank", "password": 123456789}):
        r = c("POST", "/api/users", body, headers=admin)
        assert r.status == 400 and "error" in r.doc, (body, r)
    assert c("GET", f"/api/users/{uid + 1}", headers=admin).status == 404
    # An editor may not create users.
    r = c("POST", "/api/users", {"handle": "mallory", "password": "long enough pw"}, headers={"X-API-Key": site["key_editor"]})
    assert r.status == 403, r
    # The new user logs in with the password.
    r, sid = login(Client(main.port), "erin", pw)
    assert r.status == 200 and r.doc["user_id"] == uid and r.doc["role"] == "viewer", r
    site["secrets"] += [sid, r.doc["csrf_token"]]


def test_sessions_table_keeps_no_session_id(main, site, alice):
    """Only the session id's SHA-256; a logged-out session is gone."""
    sid, csrf = alice
    r = main.client("GET", "/admin/sessions", headers=bearer(site["key_admin"]))
    assert r.status == 200 and r.doc["data"], r
    assert sid not in json.dumps(r.doc), r.doc
    rows = {row["id"]: row for row in r.doc["data"]}
    mine = rows.get(hashlib.sha256(sid.encode()).hexdigest())
    assert mine and mine["user_id"] == 1 and mine["expires"] - mine["created"] == 7200, r.doc
    assert hashlib.sha256(site["bob_sid"].encode()).hexdigest() not in rows, r.doc


def test_audit_records_logins_denials_and_key_use(main, site):
    c = main.client
    admin = bearer(site["key_admin"])
    deadline = time.monotonic() + 75          # key use is recorded at most once a minute
    while True:
        r = c("GET", "/admin/audit?limit=1000", headers=admin)
        assert r.status == 200, r
        rows = r.doc["data"]
        events = {row["event"] for row in rows}
        key_rows = [row for row in rows if row["event"] == "key-used" and row["scheme"] == "api-key"]
        if len({row["user"] for row in key_rows}) == 2 or time.monotonic() > deadline:
            break
        time.sleep(5)
    print(f"\naudit: {len(rows)} rows, events {sorted(events)}")
    assert {"id", "at", "event", "user", "scheme", "addr", "method", "path", "detail"} <= set(rows[0]), rows[0]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", rows[0]["at"]), rows[0]
    logins = [row for row in rows if row["event"] == "login"]
    assert any(row["user"] in ("1", "alice") and row["scheme"] == "password" for row in logins), logins
    failed = [row for row in rows if row["event"] == "login-failed"]
    assert {"alice", "nobody_here"} <= {row["user"] for row in failed}, failed
    denied = [row for row in rows if row["event"] == "denied"]
    assert any(row["path"] == "/docs" and row["method"] == "POST" for row in denied), denied
    assert any(row["event"] == "logout" for row in rows), events
    assert any(row["event"] == "refused" for row in rows), events
    assert any(row["event"] == "csrf-refused" for row in rows), events
    assert {row["user"] for row in key_rows} == {"ci-bot", "writer"}, key_rows
    assert all(row["addr"] in ("10.0.2.2", None, "") for row in rows), {row["addr"] for row in rows}
    text = json.dumps(rows)
    for s in site["secrets"] + site["tokens"]:
        assert s not in text, s



def test_login_limits_answer_429_without_hashing(small):
    """account-limit 2/m: two failed attempts on one account, then 429 even
    with the right password (checked before hashing); login-limit 6/m:
    the address's bucket, emptied by concurrent attempts."""
    c = Client(small.port)
    pw = small.pw["victim"]
    for i in range(2):
        r, _ = login(c, "victim", pw + "-wrong")
        assert r.status == 401, (i, r)
        hashed = r.took
    r, _ = login(c, "victim", pw + "-wrong")
    assert r.status == 429, r
    ra = r.header("Retry-After")
    assert ra and ra.isdigit() and 1 <= int(ra) <= 60, r
    assert_error_json(r, pw)
    r2, sid = login(c, "victim", pw)
    assert r2.status == 429 and not sid, r2
    print(f"\nhashed failure {hashed:.2f} s, limited answers {r.took:.3f} s and {r2.took:.3f} s")
    assert r.took < hashed / 2 and r2.took < hashed / 2
    # The address: at most what is left of its bucket get through.
    results = [None] * 10

    def attempt(i):
        results[i], _ = login(Client(small.port), f"nobody{i}", "some password")

    ths = [threading.Thread(target=attempt, args=(i,)) for i in range(10)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    statuses = sorted(r.status for r in results)
    print(f"10 concurrent attempts: {statuses}")
    assert set(statuses) <= {401, 429}, statuses
    limited = [r for r in results if r.status == 429]
    assert len(limited) >= 4, statuses
    assert all(r.header("Retry-After") and r.header("Retry-After").isdigit() for r in limited)
    small.wait_for(r"auth: login-limited user victim .*over account-limit")
    small.wait_for(r"auth: login-limited .*over login-limit")


def test_credential_size_limits(main, site):
    """Edges (docs/auth.md): a JWT of up to 8,192 characters is checked,
    one of 8,193 refused unread; a login name of 257 bytes is a 400 before any
    lookup or hashing."""
    c = main.client
    # The longest token within the limit (base64 skips some lengths).
    k = 4000
    while len(hs(site, claims("2", "editor", pad="x" * (k + 1)))) <= 8192:
        k += 1
    tok = hs(site, claims("2", "editor", pad="x" * k))
    assert 8189 <= len(tok) <= 8192
    assert c("GET", "/whoami", headers=bearer(tok)).status == 200
    over = tok + "A" * (8193 - len(tok))
    r = c("GET", "/whoami", headers=bearer(over))
    assert r.status == 401 and "the token is empty or too long" in challenge(r), r
    r, _ = login(c, "u" * 257, "whatever password")
    assert r.status == 400 and r.took < 1.0, r


def test_one_address_has_at_most_four_hashes_in_line(main):
    """Password hashes queue (docs/auth.md, "Hashing without blocking"):
    one client address may have 4 running or waiting; a fifth and sixth
    sent at the same time get 503 with Retry-After at once, unhashed."""
    clients = [Client(main.port) for _ in range(6)]
    for cl in clients:                          # connected first: the logins then arrive together
        assert cl("GET", "/healthz").status == 200
    results = [None] * 6

    def attempt(i):
        results[i], _ = login(clients[i], f"queue{i}", "not a password here")

    ths = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    statuses = sorted(r.status for r in results)
    print(f"\n6 logins at once from one address: {statuses}, "
          f"{sorted(round(r.took, 2) for r in results)} s")
    assert statuses == [401, 401, 401, 401, 503, 503], statuses
    for r in results:
        if r.status == 503:
            assert r.header("Retry-After") == "2" and r.took < 1.0, r
    for cl in clients:
        cl.close()


def test_session_expires_after_max_age(small):
    """Last: the small appliance's session (session-max-age 1m) was made
    when it booted, before the main tests ran."""
    left = small.login_at + 65 - time.monotonic()
    print(f"\nwaiting {max(left, 0):.0f} s more for the session to expire")
    if left > 0:
        time.sleep(left)
    r = small.client("GET", "/only/session", headers=cookie(small.sid))
    assert r.status == 401 and challenge(r).startswith('Cookie realm="appliance"'), r

def test_no_secret_reaches_the_console(main, site, small):
    out = main.output + "\n" + small.output
    assert re.search(r"auth: ", main.output), main.output[-3000:]
    found = []
    for s in site["secrets"] + site["tokens"] + small.secrets:
        if not s:
            continue
        if s in out:
            found.append(s)
        if s.count(".") == 2:                      # a JWT's signature on its own
            sig = s.rsplit(".", 1)[1]
            if len(sig) >= 20 and sig in out:
                found.append(sig)
    assert not found, ("secrets in the console", found)


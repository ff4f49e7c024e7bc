"""Whole-image tests of sql routes: examples/social booted with a blank data
disk and driven over HTTP by Python's http.client (keep-alive) and curl.
Every status mapping (201 + Location, 200, 204, 400 with every field's
error, 404, 409, 415, 422, 503 over the time and memory budgets),
validation by type, pagination by offset and by cursor (no repeats or
gaps while rows arrive between pages), allow-listed sort and filter,
Idempotency-Key replay, and injection attempts in every kind of value.

The example authenticates (docs/auth.md): its identity provider's key is
replaced by one made here (tests/jwtmint.py), so the tests mint ES256
tokens for the users they sign up. Writes bind the caller from the token,
never from the body: a body's user_id is ignored, another user's post is
a 404 to delete, no credential is a 401 with a challenge, a member on an
admin route a 403, an expired token or one signed by another key a 401;
and a login session writes the same way with its cookie and CSRF token."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from jwtmint import P256, claims, hs256, password_hash, unsigned
from qemu import ROOT, Guest, blank_disk, disk_guest, free_port, pack_dir

APCTL = os.path.join(ROOT, "build", "apctl")
J = {"Content-Type": "application/json"}
INJECT = "' OR 1=1--"
PASSWORD = "correct horse battery"


def boot_disk(blob, disk, mem="128M"):
    return disk_guest(blob, disk, mem=mem)


blank = blank_disk


def bearer(token):
    return {"Authorization": "Bearer " + token}


class Api:
    """One keep-alive connection; reopened if the server closed it. A 429
    (examples/social rate-limits posting) waits its Retry-After, as a
    polite client does."""

    def __init__(self, port):
        self.port = port
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def __call__(self, method, path, body=None, headers=None):
        for _ in range(5):
            st, r, doc = self.once(method, path, body, headers)
            if st != 429:
                break
            time.sleep(int(r.getheader("Retry-After")))
        return st, r, doc

    def once(self, method, path, body=None, headers=None):
        h = dict(J) if body is not None else {}
        h.update(headers or {})
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        for attempt in range(2):
            try:
                self.c.request(method, path, body=data, headers=h)
                r = self.c.getresponse()
                raw = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.last_body = raw
        doc = json.loads(raw) if raw and r.getheader("Content-Type", "").startswith("application/json") else None
        return r.status, r, doc


@pytest.fixture(scope="module")
def social(tmp_path_factory):
    """The example with a key pair of our own as its identity provider, and
    three users signed up (each a PBKDF2 hash in the guest, seconds under
    TCG, so only these): ann (1), bob (2) and one named like an injection
    (3). ann, bob: their members' tokens as headers; admin: an admin's."""
    d = tmp_path_factory.mktemp("social")
    shutil.copytree(os.path.join(ROOT, "examples", "social"), d, dirs_exist_ok=True)
    idp = P256()
    idp.write_public(d / "idp-public.pem")
    disk = blank(d / "disk.img")
    with boot_disk(pack_dir(d), disk) as g:
        g.wait_for(r"store: ready: 2 migrations")
        g.wait_for(r"boot: listening on")
        api = Api(g.port)
        g.users = []
        # bob's sign-up also sends a hash of its own: never bound (the
        # session test logs in with PASSWORD).
        planted = password_hash("planted password")
        for handle, extra in [("ann", {"name": "Ann"}), ("bob", {"password_hash": planted}), ("x_or_1", {"name": INJECT})]:
            body = dict(extra, handle=handle, password=PASSWORD)
            st, r, doc = api("POST", "/api/users", body)
            assert st == 201, (st, api.last_body)
            # The answer is what RETURNING names: never the hash.
            assert sorted(doc) == ["created_at", "handle", "id", "name"] and b"pbkdf2" not in api.last_body
            assert r.getheader("Location") == f"/api/users/{doc['id']}"
            g.users.append(doc)
        assert [u["id"] for u in g.users] == [1, 2, 3]
        g.api, g.idp = api, idp
        g.ann = bearer(idp.es256(claims("1", "member")))
        g.bob = bearer(idp.es256(claims("2", "member")))
        g.admin = bearer(idp.es256(claims("3", "admin")))
        yield g


def test_create_read_delete_and_their_statuses(social):
    api, ann = social.api, social.ann
    st, r, doc = api("POST", "/api/posts", {"body": "hello"}, ann)
    assert st == 201
    pid = doc["id"]
    assert r.getheader("Location") == f"/api/posts/{pid}"
    assert doc == {"id": pid, "user_id": 1, "body": "hello", "likes": 0, "created_at": doc["created_at"]}
    assert r.getheader("Cache-Control") == "no-store" and r.getheader("X-Request-Id")
    st, _, got = api("GET", f"/api/posts/{pid}")
    assert (st, got) == (200, doc)
    st, _, _ = api("HEAD", f"/api/posts/{pid}")
    assert st == 200
    st, _, err = api("GET", "/api/posts/999999")
    assert (st, err) == (404, {"error": {"status": 404, "message": "no such record"}})
    assert api("DELETE", f"/api/posts/{pid}", headers=ann)[0] == 204
    assert api("DELETE", f"/api/posts/{pid}", headers=ann)[0] == 404       # nothing changed
    assert api("GET", f"/api/posts/{pid}")[0] == 404
    st, r, _ = api("PUT", "/api/posts/1")
    assert st == 405 and "GET" in r.getheader("Allow")


def test_database_errors_map_to_statuses(social):
    api = social.api
    st, _, err = api("POST", "/api/users", {"handle": "ann", "password": PASSWORD})   # UNIQUE
    assert st == 409 and err["error"]["status"] == 409
    # A token for a user the database does not have: the FOREIGN KEY.
    ghost = bearer(social.idp.es256(claims("999", "member")))
    st, _, err = api("POST", "/api/posts", {"body": "x"}, ghost)
    assert st == 422 and err["error"]["status"] == 422
    assert "FOREIGN" not in json.dumps(err)                               # details stay in the log
    social.wait_for(r"INFO  sql: POST /api/posts -> 422: FOREIGN KEY constraint failed")
    st, _, _ = api("POST", "/api/posts/424242/like", {}, social.ann)       # no such post
    assert st == 404


def test_invalid_values_are_all_listed(social):
    api, ann = social.api, social.ann
    st, _, err = api("POST", "/api/posts", {"body": ""}, ann)
    assert st == 400 and err == {"error": {"status": 400, "message": "the request has invalid values", "errors": [
        {"field": "body", "message": "must be 1 to 500 characters long"}]}}
    cases = [({}, "is required"),
             ({"body": None}, "may not be null"),
             ({"body": 5}, "must be a string"),
             ({"body": ["x"]}, "must be a string"),
             ({"body": "é" * 501}, "must be 1 to 500 characters long")]
    for body, msg in cases:
        st, _, err = api("POST", "/api/posts", body, ann)
        assert st == 400 and err["error"]["errors"] == [{"field": "body", "message": msg}], body
    # 500 two-byte characters are 500 characters, not 1000.
    assert api("POST", "/api/posts", {"body": "é" * 500}, ann)[0] == 201
    for bad in ["abc", "0", "-1", "1.5", "99999999999999999999"]:
        assert api("GET", f"/api/posts/{bad}")[0] == 400, bad
    # The password hash-password takes: a string of 8 to 1024 characters.
    for password, msg in [("short", "must be 8 to 1024 characters long"), ("é" * 7, "must be 8 to 1024 characters long"),
                          ("x" * 1025, "must be 8 to 1024 characters long"), (12345678, "must be a string"),
                          (None, "may not be null")]:
        st, _, err = api("POST", "/api/users", {"handle": "cat", "password": password})
        assert st == 400 and err["error"]["errors"] == [{"field": "password", "message": msg}], password


def hashes_done(social):
    st, _, _ = social.api("GET", "/metrics", headers=social.admin)
    assert st == 200
    line = [l for l in social.api.last_body.decode().splitlines() if l.startswith("auth_password_hashes_total ")]
    return int(line[0].split()[1])


def test_signup_validates_every_field_before_hashing(social):
    """A sign-up lists every invalid field, the password's with the
    others', and an invalid one costs no PBKDF2 hash (seconds of guest CPU
    a request otherwise)."""
    api = social.api
    st, _, err = api("POST", "/api/users", {"handle": "A!", "name": 5})
    assert st == 400 and err["error"]["message"] == "the request has invalid values"
    assert sorted(err["error"]["errors"], key=lambda e: e["field"]) == [
        {"field": "handle", "message": "must match the pattern [a-z0-9_]+"},
        {"field": "name", "message": "must be a string"},
        {"field": "password", "message": "is required"}]
    before = hashes_done(social)
    for body in [{"handle": "A!", "password": PASSWORD}, {"handle": "cat", "name": "x" * 101, "password": PASSWORD}]:
        st, _, err = api("POST", "/api/users", body)
        assert st == 400 and len(err["error"]["errors"]) == 1, err
    assert hashes_done(social) == before


def test_the_author_is_the_token_never_the_body(social):
    api = social.api
    # user_id is no parameter: a body naming one (or the auth_ binding
    # itself) changes nothing; the query neither.
    for body in [{"user_id": 2, "body": "mine"}, {"auth_user_id": 2, "body": "mine"}]:
        st, _, doc = api("POST", "/api/posts?auth_user_id=2&user_id=2", body, social.ann)
        assert st == 201 and doc["user_id"] == 1, doc
    st, _, me = api("GET", "/api/me", headers=social.bob)
    assert st == 200 and me == {"id": 2, "handle": "bob", "name": "", "role": "member",
                                "created_at": social.users[1]["created_at"]}


def test_bodies_that_are_not_json(social):
    api = social.api
    st, _, err = api("POST", "/api/users", '{"handle":"cat",}')
    assert st == 400 and err["error"]["message"].startswith("the body is not valid JSON: ")
    st, _, err = api("POST", "/api/users", '{"handle":"cat","handle":"dog"}')
    assert st == 400 and "the same member name twice" in err["error"]["message"]
    st, _, _ = api("POST", "/api/users", "handle=cat", {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 415
    st, _, _ = api("POST", "/api/users", b'{"handle":"\xff\xfe"}')
    assert st == 400
    st, _, _ = api("POST", "/api/posts", '{"body":"x",}', social.ann)
    assert st == 400
    # curl as users type it, with the JSON type and a token.
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                          "-H", "Content-Type: application/json", "-H", "Authorization: " + social.ann["Authorization"],
                          "-d", '{"body":"curly"}',
                          f"http://127.0.0.1:{social.port}/api/posts"], capture_output=True, text=True)
    assert out.stdout == "201"


def liked_by(api, pid):
    st, _, doc = api("GET", f"/api/posts/{pid}/likes")
    assert st == 200
    return [row["user_id"] for row in doc["data"]]


def test_likes_count_once_per_user_the_caller(social):
    api, ann, bob = social.api, social.ann, social.bob
    pid = api("POST", "/api/posts", {"body": "like me"}, ann)[2]["id"]
    # The body's user_id is not a parameter: the like is ann's, the token's.
    assert api("POST", f"/api/posts/{pid}/like", {"user_id": 999}, ann)[2] == {"liked": True, "likes": 1}
    assert api("POST", f"/api/posts/{pid}/like", {}, ann)[2] == {"liked": True, "likes": 1}
    assert api("POST", f"/api/posts/{pid}/like", {"user_id": 1}, bob)[2] == {"liked": True, "likes": 2}
    assert liked_by(api, pid) == [1, 2]
    # Unliking is the caller's too, whatever the query says.
    assert api("DELETE", f"/api/posts/{pid}/like?user_id=2", headers=ann)[2] == {"liked": False, "likes": 1}
    assert liked_by(api, pid) == [2]
    ghost = bearer(social.idp.es256(claims("77", "member")))               # no such user
    st, _, err = api("POST", f"/api/posts/{pid}/like", {}, ghost)
    assert st == 422
    assert api("GET", f"/api/posts/{pid}")[2]["likes"] == 1               # the failed one left nothing
    assert liked_by(api, pid) == [2]


def test_only_the_author_deletes_a_post_and_an_admin_any(social):
    api, ann, bob = social.api, social.ann, social.bob
    pid = api("POST", "/api/posts", {"body": "ann's own"}, ann)[2]["id"]
    # bob names ann's post: as if it did not exist; it stays.
    st, _, err = api("DELETE", f"/api/posts/{pid}", headers=bob)
    assert (st, err) == (404, {"error": {"status": 404, "message": "no such record"}})
    assert api("GET", f"/api/posts/{pid}")[0] == 200
    assert api("DELETE", f"/api/posts/{pid}", headers=ann)[0] == 204
    assert api("GET", f"/api/posts/{pid}")[0] == 404
    # Moderation needs the delete permission: a member is refused, an admin is not.
    pid = api("POST", "/api/posts", {"body": "moderate me"}, ann)[2]["id"]
    st, r, err = api("DELETE", f"/api/admin/posts/{pid}", headers=ann)
    assert st == 403 and "error" in err
    assert api("GET", f"/api/posts/{pid}")[0] == 200
    assert api("DELETE", f"/api/admin/posts/{pid}", headers=social.admin)[0] == 204
    assert api("GET", f"/api/posts/{pid}")[0] == 404
    # The internal routes: admins only.
    assert api("GET", "/metrics", headers=ann)[0] == 403
    st, r, _ = api("GET", "/metrics", headers=social.admin)
    assert st == 200 and r.getheader("Content-Type").startswith("text/plain")
    assert api("GET", "/api/admin/backup", headers=ann)[0] == 403
    st, r, _ = api("GET", "/api/admin/backup", headers=social.admin)
    assert st == 200 and r.getheader("Content-Type") == "application/vnd.sqlite3"
    assert api.last_body.startswith(b"SQLite format 3\0")


def test_no_or_bad_credentials_are_401(social):
    api, idp = social.api, social.idp
    pid = api("POST", "/api/posts", {"body": "target"}, social.ann)[2]["id"]
    before = api("GET", "/api/posts?limit=100")[2]
    for method, path, body in [("POST", "/api/posts", {"body": "anonymous"}),
                               ("DELETE", f"/api/posts/{pid}", None),
                               ("POST", f"/api/posts/{pid}/like", {}),
                               ("DELETE", f"/api/admin/posts/{pid}", None),
                               ("GET", "/api/me", None),
                               ("GET", "/metrics", None)]:
        st, r, err = api(method, path, body)
        assert st == 401 and r.getheader("WWW-Authenticate") == 'Bearer realm="appliance"', (method, path)
        assert "error" in err, (method, path)
    other = P256()
    bad = {
        "expired": idp.es256(claims("1", "member", ttl=-3600)),
        "not yet valid": idp.es256(claims("1", "member", nbf=int(time.time()) + 3600)),
        "another key": other.es256(claims("1", "member")),
        "alg none": unsigned(claims("1", "member")),
        "HS256 keyed with the public key": hs256(idp.public_pem(), claims("1", "member")),
        "garbage": "a.b.c",
    }
    for why, token in bad.items():
        for method, path, body in [("POST", "/api/posts", {"body": "with a bad token"}),
                                   ("DELETE", f"/api/posts/{pid}", None)]:
            st, r, err = api(method, path, body, bearer(token))
            assert st == 401, (why, method, st)
            assert r.getheader("WWW-Authenticate").startswith('Bearer realm="appliance", error="invalid_token"'), why
            assert token not in api.last_body.decode() and token not in r.getheader("WWW-Authenticate"), why
    # A role the auth section does not declare: authenticated, allowed nothing.
    st, _, err = api("POST", "/api/posts", {"body": "superuser"}, bearer(idp.es256(claims("1", "superuser"))))
    assert st == 403 and "error" in err
    assert api("GET", "/api/posts?limit=100")[2] == before                 # none of them wrote
    assert api("GET", f"/api/posts/{pid}")[0] == 200


def test_a_login_session_writes_as_its_user(social):
    """The example's login route: a session cookie and CSRF token for bob
    (whose sign-up's own password_hash was not stored: the password is his);
    wrong passwords and unknown names alike are 401; logout ends it."""
    api, port = social.api, social.port
    st, r, doc = api("POST", "/login", {"username": "bob", "password": PASSWORD})
    assert st == 200, api.last_body
    assert doc["user_id"] == 2 and doc["role"] == "member" and doc["expires_in"] == 86400
    cookie = r.getheader("Set-Cookie")
    assert cookie.startswith("sid=") and "HttpOnly" in cookie and "Secure" in cookie
    sid = {"Cookie": cookie.split(";")[0]}
    st, _, me = api("GET", "/api/me", headers=sid)
    assert (st, me["handle"]) == (200, "bob")
    # A write with the cookie: the CSRF token and the appliance's own origin.
    csrf = dict(sid, **{"X-CSRF-Token": doc["csrf_token"], "Origin": f"https://127.0.0.1:{port}"})
    st, _, post = api("POST", "/api/posts", {"body": "from a browser", "user_id": 1}, csrf)
    assert st == 201 and post["user_id"] == 2
    assert api("POST", "/api/posts", {"body": "forged"}, sid)[0] == 403
    assert api("POST", "/api/posts", {"body": "forged"}, dict(csrf, Origin="https://evil.example"))[0] == 403
    assert api("DELETE", f"/api/posts/{post['id']}", headers=csrf)[0] == 204
    # Wrong password, unknown user (named like an injection): the same answer.
    for username, password in [("bob", "planted password"), (INJECT, PASSWORD)]:
        st, r, err = api("POST", "/login", {"username": username, "password": password})
        assert (st, err) == (401, {"error": {"status": 401, "message": "wrong username or password"}}), username
        assert r.getheader("Set-Cookie") is None
    st, r, _ = api("POST", "/logout", {}, csrf)
    assert st == 204 and "Max-Age=0" in r.getheader("Set-Cookie")
    st, r, _ = api("GET", "/api/me", headers=sid)
    assert st == 401 and "Max-Age=0" in r.getheader("Set-Cookie")


def ids(doc):
    return [row["id"] for row in doc["data"]]


def test_cursor_pages_have_no_repeats_or_gaps_while_rows_arrive(social):
    api, bob = social.api, social.bob
    made = [api("POST", "/api/posts", {"body": f"page test {i}"}, bob)[2]["id"] for i in range(40)]
    st, _, doc = api("GET", "/api/posts?user_id=2&limit=7")
    assert st == 200 and doc["pagination"]["limit"] == 7 and doc["pagination"]["has_more"]
    seen = ids(doc)
    while doc["pagination"]["next_cursor"]:
        # New posts (newer, so before the cursor) and a delete of one not yet seen.
        api("POST", "/api/posts", {"body": "arrived meanwhile"}, bob)
        st, _, doc = api("GET", f"/api/posts?user_id=2&limit=7&cursor={doc['pagination']['next_cursor']}")
        assert st == 200
        seen += ids(doc)
    assert seen == sorted(made, reverse=True)
    # Sorted by a column with ties (likes, all 0): the key breaks them.
    seen, url = [], "/api/posts?user_id=2&sort=likes&limit=9"
    while url:
        doc = api("GET", url)[2]
        seen += ids(doc)
        c = doc["pagination"]["next_cursor"]
        url = f"/api/posts?user_id=2&sort=likes&limit=9&cursor={c}" if c else None
    assert len(seen) == len(set(seen)) and set(made) <= set(seen)
    # Offsets too.
    doc = api("GET", "/api/posts?user_id=2&limit=5&offset=5")[2]
    assert doc["pagination"] == {"limit": 5, "offset": 5, "has_more": True, "next_cursor": doc["pagination"]["next_cursor"]}


def test_paging_arguments_are_checked(social):
    api = social.api
    for q, field in [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("offset=-1", "offset"),
                     ("sort=body", "sort"), ("sort=" + INJECT, "sort"), ("cursor=" + INJECT, "cursor"),
                     ("cursor=AQAB", "cursor")]:
        st, _, err = api("GET", "/api/posts?" + q.replace(" ", "%20"))
        assert st == 400 and err["error"]["errors"][0]["field"] == field, q
    assert api("GET", "/api/posts?limit=100")[0] == 200
    # More query pairs than are read (32), long ones: the rest are ignored.
    many = "&".join(f"x{i}=" + "v" * 150 for i in range(45))
    assert api("GET", "/api/posts?" + many + "&limit=3")[0] == 200
    assert api("GET", "/api/posts?limit=3&" + many)[2]["pagination"]["limit"] == 3


def test_injection_is_only_ever_data(social):
    api, ann = social.api, social.ann
    before = api("GET", "/api/posts?limit=100")[2]
    # A path parameter of type integer: refused.
    assert api("GET", "/api/posts/1%27%20OR%201=1--")[0] == 400
    assert api("DELETE", "/api/posts/1%27%20OR%201=1--/like", headers=ann)[0] == 400
    # A filter value: compared as data, matches nothing.
    doc = api("GET", "/api/posts?user_id=1%27%20OR%201=1--")[2]
    assert doc["data"] == []
    # A text value: stored and returned verbatim.
    st, _, doc = api("POST", "/api/posts", {"body": INJECT + "; DROP TABLE posts;"}, ann)
    assert st == 201 and doc["body"] == INJECT + "; DROP TABLE posts;"
    pid = doc["id"]
    assert social.users[2]["name"] == INJECT
    assert api("GET", "/api/users/3")[2]["name"] == INJECT
    # A token's subject bound as :auth_user_id: data too, so it owns nothing.
    sneaky = bearer(social.idp.es256(claims("1 OR 1=1", "member")))
    assert api("DELETE", f"/api/posts/{pid}", headers=sneaky)[0] == 404
    assert api("GET", f"/api/posts/{pid}")[0] == 200
    after = api("GET", "/api/posts?limit=100")[2]
    assert len(after["data"]) == len(before["data"]) + 1


def test_idempotency_keys_replay_and_refuse_other_bodies(social):
    api, ann = social.api, social.ann
    body = {"body": "exactly once"}
    st, r, first = api("POST", "/api/posts", body, dict(ann, **{"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}))
    assert st == 201 and r.getheader("Idempotent-Replayed") is None
    st, r, again = api("POST", "/api/posts", body, dict(ann, **{"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}))
    assert (st, again, r.getheader("Location")) == (201, first, f"/api/posts/{first['id']}")
    assert r.getheader("Idempotent-Replayed") == "true"
    st, _, err = api("POST", "/api/posts", {"body": "something else"},
                     dict(ann, **{"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}))
    assert st == 422 and "different request body" in err["error"]["message"]
    # A replay is the caller's: none without credentials, and another user's
    # same key and body is not ann's answer.
    assert api("POST", "/api/posts", body, {"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"})[0] == 401
    st, _, theirs = api("POST", "/api/posts", body,
                        dict(social.bob, **{"Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}))
    assert st != 201 or theirs["user_id"] == 2, (st, theirs)
    # Another key is another request; a bad key is refused.
    assert api("POST", "/api/posts", body, dict(ann, **{"Idempotency-Key": "other"}))[2]["id"] != first["id"]
    assert api("POST", "/api/posts", body, dict(ann, **{"Idempotency-Key": "a" * 256}))[0] == 400
    rows = [p for p in api("GET", "/api/posts?limit=100")[2]["data"] if p["body"] == "exactly once" and p["user_id"] == 1]
    assert len(rows) == 2


BUDGET_CONF = """\
network { dhcp }
firewall { inbound tcp 80 from any }
database {
    migrations db
    statement-timeout 100ms
    cache 64k
    memory 2m
}
routes {
    GET /healthz health
    GET /slow sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) AS c FROM n" {
        result one
    }
    GET /big sql "SELECT length(randomblob(4000000)) AS n"
    GET /small sql "SELECT 42 AS answer"
    GET /echo/:word/back/:n sql "SELECT :word AS word, :n AS n"
}
"""


def test_time_and_memory_budgets_answer_503_and_others_go_on(tmp_path):
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "001_x.sql").write_text("CREATE TABLE x(a);\n")
    (tmp_path / "appliance.conf").write_text(BUDGET_CONF)
    with boot_disk(pack_dir(tmp_path), blank(tmp_path / "disk.img")) as g:
        g.wait_for(r"boot: listening on")
        api = Api(g.port)
        t = time.monotonic()
        st, r, err = api("GET", "/slow")
        took = time.monotonic() - t
        assert st == 503 and r.getheader("Retry-After") == "1"
        assert err["error"]["message"] == "the query ran past its time budget: try again later"
        assert took < 5, took
        g.wait_for(r"WARN  sql: GET /slow -> 503: interrupted")
        st, _, err = api("GET", "/big")
        assert st == 503, err
        g.wait_for(r"WARN  sql: GET /big -> 503: out of memory")
        assert api("GET", "/small")[2] == {"answer": 42}
        # Pattern parameters nobody declared bind as text, the last one and
        # one in the middle of the pattern alike.
        assert api("GET", "/echo/hi%20there/back/7")[2] == {"word": "hi there", "n": "7"}
        assert api("GET", "/healthz")[0] == 200


CRASH_CONF = """\
network { dhcp }
firewall { inbound tcp 80 from any }
database {
    migrations db
    statement-timeout 20s   # the integrity check reads every page
}
routes {
    POST /rows sql "INSERT INTO rows(v) VALUES (:v) RETURNING id" {
        param v text required
        location /rows/:id
    }
    GET /rows sql "SELECT id FROM rows" { page 1000 max 10000 key id }
    GET /check sql "SELECT (SELECT count(*) FROM rows) AS n, (SELECT group_concat(integrity_check) FROM pragma_integrity_check) AS integrity"
}
"""


def all_ids(api):
    got, url = [], "/rows?limit=10000"
    while url:
        st, _, doc = api("GET", url)
        assert st == 200
        got += ids(doc)
        c = doc["pagination"]["next_cursor"]
        url = f"/rows?limit=10000&cursor={c}" if c else None
    return got


def test_acknowledged_writes_survive_sigkill(tmp_path):
    """A client writes rows and records each acknowledged id while QEMU is
    killed with SIGKILL at a random moment, 20 times over; after every
    reboot every acknowledged row is there and SQLite's integrity check
    passes, and at the end so does the offline export."""
    import random
    import sqlite3
    import threading
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "001_rows.sql").write_text("CREATE TABLE rows(id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n")
    (tmp_path / "appliance.conf").write_text(CRASH_CONF)
    blob, disk = pack_dir(tmp_path), blank(tmp_path / "disk.img")
    acked, rng = set(), random.Random(8)
    for cycle in range(21):
        with boot_disk(blob, disk) as g:
            g.wait_for(r"boot: listening on")
            api = Api(g.port)
            st, _, doc = api("GET", "/check")
            assert st == 200 and doc["integrity"] == "ok", (cycle, doc)
            present = set(all_ids(api))
            assert acked <= present, (cycle, sorted(acked - present)[:10])
            if cycle == 20:
                break
            stop = threading.Event()

            def writer():
                c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=5)
                n = 0
                while not stop.is_set():
                    try:
                        c.request("POST", "/rows", body=json.dumps({"v": f"c{cycle} n{n}" + "x" * rng.randrange(3000)}),
                                  headers=J)
                        r = c.getresponse()
                        doc = json.loads(r.read())
                    except (OSError, http.client.HTTPException, ValueError):
                        return
                    if r.status == 201:
                        acked.add(doc["id"])
                    n += 1

            t = threading.Thread(target=writer)
            t.start()
            time.sleep(rng.uniform(0.2, 1.2))
            g.proc.kill()
            g.proc.wait()
            stop.set()
            t.join(timeout=10)
    assert len(acked) > 100
    r = subprocess.run([APCTL, "db", "export", str(disk), str(tmp_path / "out.sqlite")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    db = sqlite3.connect(tmp_path / "out.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert acked <= {row[0] for row in db.execute("SELECT id FROM rows")}


TOKEN = "4f1c0e7b9a1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a"
BACKUP_CONF = """\
network { dhcp }
firewall { inbound tcp 80 from any }
database { migrations db }
routes {
    POST /rows sql "INSERT INTO rows(v) VALUES (:v) RETURNING id" { param v text required }
    GET /admin/backup backup { token-sha256 %s }
}
"""


def test_online_backup_streams_a_consistent_snapshot_while_serving(tmp_path):
    import hashlib
    import socket
    import sqlite3
    import threading
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "001_rows.sql").write_text("CREATE TABLE rows(id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n")
    (tmp_path / "appliance.conf").write_text(BACKUP_CONF % hashlib.sha256(TOKEN.encode()).hexdigest())
    with boot_disk(pack_dir(tmp_path), blank(tmp_path / "disk.img")) as g:
        g.wait_for(r"boot: listening on")
        api = Api(g.port)
        for i in range(300):
            assert api("POST", "/rows", {"v": f"{i:04d}" + "x" * 30000})[0] == 200
        # No token, a wrong one: 401 with a challenge.
        st, r, _ = api("GET", "/admin/backup")
        assert st == 401 and r.getheader("WWW-Authenticate") == 'Bearer realm="backup"'
        st, r, _ = api("GET", "/admin/backup", headers={"Authorization": "Bearer " + TOKEN[:-1] + "b"})
        assert st == 401
        g.wait_for(r"WARN  backup: refused 10\.0\.2\.2: a wrong bearer token")
        # A slow reader holds the backup open while writes go on.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.connect(("127.0.0.1", g.port))
        s.settimeout(30)
        s.sendall(f"GET /admin/backup HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
        data = s.recv(16384)
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert b"Content-Type: application/vnd.sqlite3" in head and b"Content-Disposition: attachment" in head
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
        g.wait_for(r"store: backup: snapshot of \d+ KiB, checkpoints paused")
        during = [api("POST", "/rows", {"v": "during"})[0] for _ in range(50)]
        assert during == [200] * 50                     # the appliance keeps serving writes
        st, _, _ = api("GET", "/admin/backup", headers={"Authorization": "Bearer " + TOKEN})
        assert st == 503                                # one at a time
        while len(body) < length:
            chunk = s.recv(65536)
            assert chunk, (len(body), length)
            body += chunk
            time.sleep(0.002)
        s.close()
        g.wait_for(r"store: backup: done, checkpoints resumed")
        assert len(body) == length
        (tmp_path / "snap.sqlite").write_bytes(body)
        db = sqlite3.connect(tmp_path / "snap.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # Exactly the rows committed when it began: none of those written during it.
        assert db.execute("SELECT count(*), min(v) FROM rows").fetchone()[0] == 300
        db.close()
        # Writes after the backup checkpoint again; a second backup has them all.
        st, r, _ = api("GET", "/admin/backup", headers={"Authorization": "Bearer " + TOKEN})
        assert st == 200
        (tmp_path / "snap2.sqlite").write_bytes(api.last_body)
        db = sqlite3.connect(tmp_path / "snap2.sqlite")
        assert db.execute("SELECT count(*) FROM rows").fetchone()[0] == 350


def test_a_failing_disk_answers_503_and_loses_nothing_committed(tmp_path):
    """The disk image lives on a small tmpfs; once the tmpfs is full the
    host refuses the guest's writes (ENOSPC, reported to the guest as a
    virtio-blk I/O error). Writes then answer 503, never 2xx; reads and
    health go on; after space returns and a reboot every acknowledged row
    is there and the integrity check passes."""
    import sqlite3
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (tmp_path / "db").mkdir()
        (tmp_path / "db" / "001_rows.sql").write_text("CREATE TABLE rows(id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n")
        conf = CRASH_CONF.replace('statement-timeout 20s', 'statement-timeout 5s')
        (tmp_path / "appliance.conf").write_text(conf)
        blob, disk = pack_dir(tmp_path), blank(mnt / "disk.img", 40 << 20)
        port = free_port()
        extra = ["-initrd", str(blob), "-netdev", f"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:80",
                 "-device", "virtio-net-pci,netdev=n0",
                 "-drive", f"file={disk},format=raw,if=none,id=d0,cache=writeback,werror=report,rerror=report",
                 "-device", "virtio-blk-pci,drive=d0"]
        acked = set()
        with Guest("", extra=extra) as g:
            g.port = port
            g.wait_for(r"boot: listening on")
            api = Api(port)
            for i in range(20):
                st, _, doc = api("POST", "/rows", {"v": "before"})
                assert st == 201
                acked.add(doc["id"])
            # Fill the file system: the sparse disk's unwritten blocks have nowhere to go.
            filler = mnt / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=64"], capture_output=True)
            statuses = []
            for i in range(40):
                st, r, doc = api("POST", "/rows", {"v": "y" * 60000})
                statuses.append(st)
                if st == 201:
                    acked.add(doc["id"])
                else:
                    assert st == 503 and doc["error"]["status"] == 503, (st, doc)
                    assert r.getheader("Retry-After")
            assert 503 in statuses, statuses
            g.wait_for(r"WARN  sql: POST /rows -> 503: disk I/O error")
            assert api("GET", "/check")[0] in (200, 503)
            filler.unlink()
            g.proc.kill()
        with Guest("", extra=extra) as g:
            g.wait_for(r"boot: listening on")
            api = Api(port)
            st, _, doc = api("GET", "/check")
            assert st == 200 and doc["integrity"] == "ok", doc
            assert acked <= set(all_ids(api))
    finally:
        subprocess.run(["umount", "-l", str(mnt)])

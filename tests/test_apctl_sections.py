"""apctl on the firewall, limits, database and routes sections: every
invalid config gives its exact message and position; directories (a
static site, migrations) are validated and packed; warnings for configs
that are valid but probably not meant."""
import functools
import subprocess

import pytest

from test_apctl import APCTL, apctl, write

# (config text, exact stderr line); no files exist beside these configs.
INVALID = [
    # firewall
    ('firewall { inbound tcp 0 from any }\n',
     "appliance.conf:1:24: '0' is not a port 1-65535, a range N-M of them, or any"),
    ('firewall { inbound tcp 70000 from any }\n',
     "appliance.conf:1:24: '70000' is not a port 1-65535, a range N-M of them, or any"),
    ('firewall { inbound tcp 443-80 from any }\n',
     "appliance.conf:1:24: '443-80' is not a port 1-65535, a range N-M of them, or any"),
    ('firewall { inbound tcp 80-90-100 from any }\n',
     "appliance.conf:1:24: '80-90-100' is not a port 1-65535, a range N-M of them, or any"),
    ('firewall { inbound tcp from any }\n',
     "appliance.conf:1:24: tcp rule needs a port, a range N-M or any before 'from' (e.g. 443)"),
    ('firewall { inbound udp 53 from 10.0.0.300/8 }\n',
     "appliance.conf:1:32: '10.0.0.300/8' is not a peer: A.B.C.D/N, A.B.C.D or any"),
    ('firewall { inbound tcp 22 from 10.0.0.1/8 }\n',
     "appliance.conf:1:32: '10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)"),
    ('firewall { inbound tcp 22 from 10.0.0.0/33 }\n',
     "appliance.conf:1:32: '10.0.0.0/33' is not a peer: A.B.C.D/N, A.B.C.D or any"),
    ('firewall { inbound sctp 22 from any }\n',
     "appliance.conf:1:20: unknown protocol 'sctp' (use tcp, udp, icmp, all or a protocol number 0-255)"),
    ('firewall { inbound 6 from any }\n',
     "appliance.conf:1:20: protocol 6 is tcp: write 'tcp' and its ports"),
    ('firewall { inbound 256 from any }\n',
     "appliance.conf:1:20: unknown protocol '256' (use tcp, udp, icmp, all or a protocol number 0-255)"),
    ('firewall { inbound icmp ping from any }\n',
     "appliance.conf:1:25: 'ping' is not an ICMP type: a name such as echo-request, TYPE or TYPE:CODE (0-255), or any"),
    ('firewall { inbound icmp 3:256 from any }\n',
     "appliance.conf:1:25: '3:256' is not an ICMP type: a name such as echo-request, TYPE or TYPE:CODE (0-255), or any"),
    ('firewall { inbound tcp 443 to any }\n',
     'appliance.conf:1:28: expected \'from\' and a peer here, not \'to\' (e.g. inbound tcp 443 from 0.0.0.0/0 "https")'),
    ('firewall { outbound tcp 443 from any }\n',
     'appliance.conf:1:29: expected \'to\' and a peer here, not \'from\' (e.g. outbound tcp 443 to 0.0.0.0/0 "https")'),
    ('firewall { inbound tcp 443 from any https }\n',
     "appliance.conf:1:37: unexpected 'https' after the peer (a description is a quoted string)"),
    ('firewall { inbound tcp 443 from any "a" "b" }\n',
     "appliance.conf:1:41: unexpected 'b' after the description"),
    ('firewall { inbound tcp 443 }\n',
     'appliance.conf:1:12: \'inbound\' needs a protocol and a peer (e.g. inbound tcp 443 from 0.0.0.0/0 "https")'),
    ('firewall { inbound tcp 443 from }\n',
     "appliance.conf:1:28: 'from' needs a peer: A.B.C.D/N, A.B.C.D or any"),
    ('firewall {\n inbound tcp 443 from any "x"\n inbound tcp 443 from 0.0.0.0/0 "y"\n}\n',
     'appliance.conf:3:2: the same rule as line 2 (remove one)'),
    ('firewall { inbound tcp 443 from any { } }\n',
     "appliance.conf:1:12: 'inbound' does not take a block"),
    ('firewall { flows 10 }\n',
     "appliance.conf:1:18: '10' for 'flows' is not a whole number 64-1048576"),
    ('firewall { tcp-established-timeout 30s }\n',
     "appliance.conf:1:36: '30s' for 'tcp-established-timeout' is not a duration 1m-5d with a unit: ms, s, m, h or d"),
    ('firewall { tcp-established-timeout 6d }\n',
     "appliance.conf:1:36: '6d' for 'tcp-established-timeout' is not a duration 1m-5d with a unit: ms, s, m, h or d"),
    ('firewall { udp-timeout 30 }\n',
     "appliance.conf:1:24: '30' for 'udp-timeout' is not a duration 30s-1m with a unit: ms, s, m, h or d"),
    ('firewall { udp-stream-timeout 90500ms }\n',
     "appliance.conf:1:31: 'udp-stream-timeout' is whole seconds"),
    ('firewall { inbound all 80 from any }\n',
     'appliance.conf:1:24: expected \'from\' and a peer here, not \'80\' (e.g. inbound tcp 443 from 0.0.0.0/0 "https")'),
    ('firewall { inbound icmp echo-request from any "tab\\there" }\n',
     'appliance.conf:1:47: a description is one line of text (no \\n or \\t)'),
    ('firewall { allow tcp 443 }\n',
     "appliance.conf:1:12: unknown directive 'allow' in firewall (known: inbound, outbound, flows, tcp-established-timeout, udp-timeout, udp-stream-timeout, other-timeout)"),
    ('firewall { flows 100; flows 200 }\n',
     "appliance.conf:1:23: 'flows' given twice in firewall (first at line 1)"),
    ('firewall { inbound tcp 80 from any flows 100 }\n',
     "appliance.conf:1:36: 'flows' starts a new directive: end 'inbound' before it with ';' or a newline"),
    # limits
    ('limits { connections 0 }\n',
     "appliance.conf:1:22: '0' for 'connections' is not a whole number 1-4096"),
    ('limits { connections 5000 }\n',
     "appliance.conf:1:22: '5000' for 'connections' is not a whole number 1-4096"),
    ('limits { connections lots }\n',
     "appliance.conf:1:22: 'lots' for 'connections' is not a whole number 1-4096"),
    ('limits { header-timeout 10 }\n',
     "appliance.conf:1:25: '10' for 'header-timeout' is not a duration 1s-5m with a unit: ms, s, m, h or d"),
    ('limits { header-timeout 10x }\n',
     "appliance.conf:1:25: '10x' for 'header-timeout' is not a duration 1s-5m with a unit: ms, s, m, h or d"),
    ('limits { header-timeout 500ms }\n',
     "appliance.conf:1:25: '500ms' for 'header-timeout' is not a duration 1s-5m with a unit: ms, s, m, h or d"),
    ('limits { body-max 2g }\n',
     "appliance.conf:1:19: '2g' for 'body-max' is not a size 0-1g in bytes or with k, m or g"),
    ('limits { body-max 1.5m }\n',
     "appliance.conf:1:19: '1.5m' for 'body-max' is not a size 0-1g in bytes or with k, m or g"),
    ('limits { request-line-max 100 }\n',
     "appliance.conf:1:27: '100' for 'request-line-max' is not a size 256-64k in bytes or with k, m or g"),
    ('limits { headers-max 08 }\n',
     "appliance.conf:1:22: '08' for 'headers-max' is not a whole number 8-512"),
    ('limits { max-connections 10 }\n',
     "appliance.conf:1:10: unknown directive 'max-connections' in limits (known: connections, header-timeout, body-timeout, send-timeout, keepalive-timeout, keepalive-requests, drain-timeout, request-line-max, header-max, headers-max, body-max)"),
    ('limits { connections 10 20 }\n',
     "appliance.conf:1:25: 'connections' takes 1 argument (a whole number 1-4096)"),
    # database
    ('database { disk sda }\n',
     "appliance.conf:1:17: 'sda' is not a disk name: vda (the first virtio-blk disk), vdb, ... vdz"),
    ('database { disk vd1 }\n',
     "appliance.conf:1:17: 'vd1' is not a disk name: vda (the first virtio-blk disk), vdb, ... vdz"),
    ('database { disk vda; disk vdb }\n',
     "appliance.conf:1:22: 'disk' given twice in database (first at line 1)"),
    ('database { migrations nowhere }\n',
     "appliance.conf:1:23: directory 'nowhere' not found or empty (put it next to appliance.conf; apctl pack takes its files into the blob)"),
    ('database { cache 1k }\n',
     "appliance.conf:1:18: '1k' for 'cache' is not a size 64k-1g in bytes or with k, m or g"),
    ('database { statement-timeout 2m }\n',
     "appliance.conf:1:30: '2m' for 'statement-timeout' is not a duration 1ms-1m with a unit: ms, s, m, h or d"),
    ('database { size 1g }\n',
     "appliance.conf:1:12: unknown directive 'size' in database (known: disk, migrations, cache, statement-timeout, memory, idempotency)"),
    # routes
    ('routes { FETCH / health }\n',
     'appliance.conf:1:10: \'FETCH\' is not a method: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, a comma list of them, or ANY (a route is METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql "SELECT ...")'),
    ('routes { get / health }\n',
     'appliance.conf:1:10: \'get\' is not a method: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, a comma list of them, or ANY (a route is METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql "SELECT ...")'),
    ('routes { GET,GET / health }\n',
     'appliance.conf:1:10: \'GET,GET\' is not a method: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, a comma list of them, or ANY (a route is METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql "SELECT ...")'),
    ('routes { GET, / health }\n',
     'appliance.conf:1:10: \'GET,\' is not a method: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, a comma list of them, or ANY (a route is METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql "SELECT ...")'),
    ('routes { GET }\n',
     'appliance.conf:1:10: a route needs a pattern and a kind (METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql "SELECT ...")'),
    ('routes { GET / }\n',
     'appliance.conf:1:10: a route needs a pattern and a kind (METHOD PATTERN KIND [ARGS], e.g. GET /api/posts/:id sql "SELECT ...")'),
    ('routes { GET api health }\n',
     "appliance.conf:1:14: a pattern starts with '/' (e.g. /api/posts/:id)"),
    ('routes { GET /api/ health }\n',
     "appliance.conf:1:14: a pattern does not end in '/' (write it without; docs/config.md has the trailing-slash policy)"),
    ('routes { GET /a//b health }\n',
     "appliance.conf:1:14: empty segment ('//') in pattern"),
    ('routes { GET /a/*/b health }\n',
     "appliance.conf:1:14: '*' must be the last segment"),
    ('routes { GET /a* health }\n',
     "appliance.conf:1:14: '*' is a whole segment, and only the last one"),
    ('routes { GET /a/: health }\n',
     "appliance.conf:1:14: a parameter is ':' and a name (letters, digits, '_'), e.g. :id"),
    ('routes { GET /a/:1x health }\n',
     "appliance.conf:1:14: a parameter is ':' and a name (letters, digits, '_'), e.g. :id"),
    ('routes { GET /a/:id/:id health }\n',
     'appliance.conf:1:14: the same parameter name twice in one pattern'),
    ('routes { GET /a/%20 health }\n',
     "appliance.conf:1:14: a pattern segment holds letters, digits and -._~!$&'()+,;=:@ only (no '%' escapes, no spaces)"),
    ('routes { GET /a/../b health }\n',
     "appliance.conf:1:14: '.' and '..' segments are not allowed in a pattern"),
    ('routes { GET /a/:a/:b/:c/:d/:e/:f/:g/:h/:i health }\n',
     'appliance.conf:1:14: more than 8 parameters in one pattern'),
    ('routes { GET / proxy http://x }\n',
     "appliance.conf:1:16: unknown route kind 'proxy' (use static, redirect, health, ready, metrics, sql, handler, backup, login or logout)"),
    ('routes { GET / health now }\n',
     'appliance.conf:1:23: health takes no arguments'),
    ('routes { GET / redirect 200 /x }\n',
     "appliance.conf:1:25: '200' is not a redirect status (301, 302, 303, 307 or 308)"),
    ('routes { GET / redirect 301 }\n',
     'appliance.conf:1:16: redirect takes a status and a target: redirect 301 https://example.com/*'),
    ('routes { GET / redirect 301 example.com }\n',
     "appliance.conf:1:29: 'example.com' is not a redirect target: a path /... or an http:// or https:// URL"),
    ('routes { GET / redirect 301 //evil.example }\n',
     "appliance.conf:1:29: '//evil.example' is not a redirect target: a path /... or an http:// or https:// URL"),
    ('routes { GET / redirect 301 /new/* }\n',
     "appliance.conf:1:29: a target ending in '*' needs a pattern ending in '/*' (the matched rest replaces it)"),
    ('routes { GET / sql }\n',
     'appliance.conf:1:16: sql takes one to 8 quoted statements: sql "SELECT ..."'),
    ('routes { GET / sql SELECT }\n',
     'appliance.conf:1:20: an SQL statement is a quoted string (sql "SELECT ...")'),
    ('routes { GET / sql "  " }\n',
     'appliance.conf:1:20: empty SQL statement'),
    ('routes { GET / sql "SELECT 1" }\n',
     'appliance.conf:1:16: sql routes need a database section (database { disk vda })'),
    ('routes { GET / handler 9lives }\n',
     "appliance.conf:1:24: '9lives' is not a handler name (letters, digits, '_')"),
    ('routes {\n GET /a/:id health\n GET /a/:name ready\n}\n',
     'appliance.conf:3:6: duplicate route: GET /a/:name is already routed at line 2'),
    ('routes {\n GET,POST /a health\n ANY /a ready\n}\n',
     'appliance.conf:3:6: duplicate route: ANY /a is already routed at line 2'),
    ('routes { GET / health { body-max 1x } }\n',
     "appliance.conf:1:34: '1x' for 'body-max' is not a size 0-1g in bytes or with k, m or g"),
    ('routes { GET / health { index x.html } }\n',
     "appliance.conf:1:25: 'index' is for static routes serving a directory"),
    ('routes { GET / health { cors * credentials } }\n',
     "appliance.conf:1:25: 'cors *' cannot allow credentials: list the origins instead"),
    ('routes { GET / health { cors https://App.example } }\n',
     "appliance.conf:1:30: 'https://App.example' is not an origin: scheme://host[:port] in lower case, "
     "no path or trailing '/' (e.g. cors https://app.example.com credentials)"),
    ('routes { GET / health { cors https://a.example/x } }\n',
     "appliance.conf:1:30: 'https://a.example/x' is not an origin: scheme://host[:port] in lower case, "
     "no path or trailing '/' (e.g. cors https://app.example.com credentials)"),
    ('routes { GET / health { cors credentials } }\n',
     "appliance.conf:1:25: 'cors' needs at least one origin (e.g. cors https://app.example.com credentials)"),
    ('routes { GET / health { cors * http://a.b } }\n',
     "appliance.conf:1:25: 'cors *' already allows every origin: drop the others"),
    ('routes { GET / health { rate-limit 10 } }\n',
     "appliance.conf:1:36: '10' is not a rate N/s or N/m (e.g. rate-limit 10/s burst 20)"),
    ('routes { GET / health { rate-limit 10/h } }\n',
     "appliance.conf:1:36: '10/h' is not a rate N/s or N/m (e.g. rate-limit 10/s burst 20)"),
    ('routes { GET / health { rate-limit 0/s } }\n',
     "appliance.conf:1:36: '0/s' is not a rate N/s or N/m with N 1-100000 per second"),
    ('routes { GET / health { rate-limit 10/s bursts 5 } }\n',
     "appliance.conf:1:41: expected 'burst' here (e.g. rate-limit 10/s burst 20)"),
    ('routes { GET / health { cache-control "a\\nb" } }\n',
     'appliance.conf:1:39: a header value is printable ASCII on one line'),
    ('routes { GET / health { timeout 5s } }\n',
     "appliance.conf:1:25: unknown directive 'timeout' in a route's options (known: body-max, cache-control, index, rate-limit, cors, plain-http, param, page, sort-by, filter-by, json-boolean, result, location, token-sha256, auth, permission, hash-password)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" }\n',
     "appliance.conf:2:21: ':x' is neither a parameter of the pattern nor declared (param x integer|real|text|boolean ...)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT ?" }\n',
     'appliance.conf:2:21: use :name parameters (not ?, @name or $name)'),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :_x" }\n',
     "appliance.conf:2:21: ':_x': names starting with '_' are the server's own"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { param x integer } }\n',
     "appliance.conf:2:17: param 'x' is declared but no statement uses :x"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x float } }\n',
     "appliance.conf:2:43: 'float' is not a type (integer, real, text or boolean)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x text min 3 } }\n',
     "appliance.conf:2:48: 'min' is for integer and real params (text has length)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x integer min 1.5 } }\n',
     "appliance.conf:2:55: '1.5' is not an integer number"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x text length 5..2 } }\n',
     "appliance.conf:2:55: '5..2' is not a length A..B (characters, A <= B <= 16777216)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x text pattern "(a|b)" } }\n',
     'appliance.conf:2:56: bad pattern: groups and alternation ( ) | are not supported (docs/store.md lists the syntax)'),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x integer default abc } }\n',
     "appliance.conf:2:35: param 'x': default 'abc' is not an integer"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x integer required default 3 } }\n',
     "appliance.conf:2:35: param 'x': required and default together (a default is for an optional value)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT :x" { param x integer; param x text } }\n',
     "appliance.conf:2:58: param 'x' declared twice"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { sort-by a } }\n',
     'appliance.conf:2:17: sort-by and filter-by are for list routes: add page (e.g. page 20 max 100 key -id)'),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { page 0 } }\n',
     "appliance.conf:2:34: 'page' takes the default page size, 1-10000 (e.g. page 20 max 100 key -id)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { page 20 max 10 } }\n',
     "appliance.conf:2:46: '10': max is a page size from the default to 10000"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { page 20 key a-b } }\n',
     "appliance.conf:2:46: 'a-b' is not a column name, optionally after '-' (descending)"),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { page 20; result one } }\n',
     'appliance.conf:2:43: a route with page has result list'),
    ('database { disk vda }\nroutes { GET /a sql "SELECT 1" { location api } }\n',
     'appliance.conf:2:43: a location is a path /... with :column parts from the result'),
    ('database { disk vda }\nroutes { GET /a health { param x integer } }\n',
     "appliance.conf:2:26: 'param' is an option of sql routes"),
    ('database { cache 4m; memory 4m }\n',
     'appliance.conf:1:22: the cache (4096 KiB) needs a memory budget at least twice its size (memory is 4096 KiB)'),
    ('database { idempotency 10s }\n',
     "appliance.conf:1:24: '10s' for 'idempotency' is not a duration 1m-30d with a unit: ms, s, m, h or d"),
    ('limits { drain-timeout 11m }\n',
     "appliance.conf:1:24: '11m' for 'drain-timeout' is not a duration 0s-10m with a unit: ms, s, m, h or d"),
    ('database { disk vda }\nroutes { GET /b backup }\n',
     'appliance.conf:2:17: a backup route needs credentials: { permission backup }, or its token\'s hash { token-sha256 HEX } (openssl rand -hex 32 makes a token; printf %s "$TOKEN" | sha256sum its hash)'),
    ('database { disk vda }\nroutes { GET /b backup { token-sha256 abc } }\n',
     'appliance.conf:2:39: a SHA-256 is 64 hex digits (printf %s "$TOKEN" | sha256sum); never put the token itself here'),
    ('database { disk vda }\nroutes { POST /b backup { token-sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa } }\n',
     'appliance.conf:2:18: a backup route answers GET only'),
    ('database { disk vda }\nroutes { GET /b health { token-sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa } }\n',
     "appliance.conf:2:26: 'token-sha256' is an option of backup routes"),
    ('routes { GET /b backup { token-sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa } }\n',
     'appliance.conf:1:17: backup routes need a database section (database { disk vda })'),
    ('database { disk vda }\nroutes { GET /b backup x }\n',
     'appliance.conf:2:24: backup takes no arguments (its token-sha256 goes in its block)'),
    ('routes { GET / static }\n',
     'appliance.conf:1:16: static takes a file or directory: static www'),
    ('routes { GET / static ../etc }\n',
     "appliance.conf:1:23: '../etc' is not a usable file name (relative to appliance.conf, no '..', shorter than 128 bytes)"),
    ('routes { GET / static missing }\n',
     "appliance.conf:1:23: 'missing' not found: no such file or directory beside appliance.conf"),
]


def test_there_are_many_invalid_cases():
    assert len(INVALID) >= 80


@pytest.mark.parametrize("text,message", INVALID, ids=[str(i) for i in range(len(INVALID))])
def test_invalid_section_message_and_position(tmp_path, text, message):
    r = apctl("check", write(tmp_path, text))
    assert (r.returncode, r.stderr.rstrip("\n")) == (1, message)


def tree(tmp_path, text, files):
    tmp_path.mkdir(exist_ok=True)
    write(tmp_path, text)
    for name, content in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(tmp_path / "appliance.conf")


SITE = {"www/index.html": "<h1>hi</h1>\n", "www/css/site.css": "h1{}\n", "www/.git/config": "secret\n",
        "www/.env": "TOKEN=x\n", "www/.well-known/security.txt": "Contact: a@b\n"}
MIGS = {"db/migrations/001_init.sql": "CREATE TABLE t(x);\n", "db/migrations/002_more.sql": "CREATE TABLE u(y);\n",
        "db/migrations/010_late.sql": "CREATE TABLE v(z);\n"}
API = """database {
    disk vdb
    migrations db/migrations
}
routes {
    GET /api/t/:x sql "SELECT x FROM t WHERE x = :x"
}
"""

FILE_INVALID = [
    ("routes { GET /* static www }\n", {"www/.hidden": "x"},
     "appliance.conf:1:24: 'www' not found: no such file or directory beside appliance.conf"),
    ("routes { GET /* static www/index.html/x }\n", SITE,
     "appliance.conf:1:24: 'www/index.html/x' not found: no such file or directory beside appliance.conf"),
    ("routes { GET /about static www }\n", SITE,
     "appliance.conf:1:28: a directory is served under a pattern ending in '/*' (e.g. GET /docs/* static www)"),
    ("routes { GET /* static www { index a/b.html } }\n", SITE,
     "appliance.conf:1:36: 'a/b.html' is not a file name (no '/')"),
    ("database { migrations db/migrations/001_init.sql }\n", MIGS,
     "appliance.conf:1:23: 'db/migrations/001_init.sql' is a file; 'migrations' wants a directory"),
    ("database { migrations db/migrations }\n", {**MIGS, "db/migrations/README.md": "notes"},
     "appliance.conf:1:23: 'db/migrations/README.md' is not a migration file name: NNN_name.sql, "
     "e.g. 001_create_posts.sql"),
    ("database { migrations db/migrations }\n", {**MIGS, "db/migrations/1_short.sql": "x"},
     "appliance.conf:1:23: 'db/migrations/1_short.sql' is not a migration file name: NNN_name.sql, "
     "e.g. 001_create_posts.sql"),
    ("database { migrations db/migrations }\n", {**MIGS, "db/migrations/002_again.sql": "x"},
     "appliance.conf:1:23: migrations 'db/migrations/002_again.sql' and 'db/migrations/002_more.sql' have "
     "the same number 2 (renumber one)"),
    ("database { migrations db/migrations }\n", {**MIGS, "db/migrations/003_empty.sql": ""},
     "appliance.conf:1:23: migration 'db/migrations/003_empty.sql' is empty"),
    ("database { migrations db/migrations }\n", {**MIGS, "db/migrations/old/004_x.sql": "x"},
     "appliance.conf:1:23: 'db/migrations/old/004_x.sql' is in a subdirectory: migrations are files "
     "directly in 'db/migrations'"),
    ("database { migrations db/migrations }\n", {"db/migrations/.keep": ""},
     "appliance.conf:1:23: directory 'db/migrations' not found or empty (put it next to appliance.conf; "
     "apctl pack takes its files into the blob)"),
]


@pytest.mark.parametrize("text,files,message", FILE_INVALID, ids=[str(i) for i in range(len(FILE_INVALID))])
def test_invalid_files_message_and_position(tmp_path, text, files, message):
    r = apctl("check", tree(tmp_path, text, files))
    assert (r.returncode, r.stderr.rstrip("\n")) == (1, message)


def entries(blob):
    """Names in a cpio newc archive, in order (a minimal reader for tests)."""
    names, off = [], 0
    while True:
        h = blob[off:off + 110]
        assert h[:6] == b"070701"
        size, namesize = int(h[54:62], 16), int(h[94:102], 16)
        name = blob[off + 110:off + 110 + namesize - 1].decode()
        if name == "TRAILER!!!":
            return names
        names.append(name)
        off = (off + 110 + namesize + 3) & ~3
        off = (off + size + 3) & ~3


def test_pack_takes_a_site_without_hidden_files(tmp_path):
    conf = tree(tmp_path, "firewall { inbound tcp 80 from any }\nroutes { GET /* static www }\n", SITE)
    blob = tmp_path / "blob"
    r = apctl("pack", conf, "-o", str(blob))
    assert r.returncode == 0, r.stderr
    assert "4 files (2 hidden names left out)" in r.stdout
    assert entries(blob.read_bytes()) == ["appliance.conf", "www/.well-known/security.txt",
                                          "www/css/site.css", "www/index.html"]
    assert b"TOKEN" not in blob.read_bytes() and b"secret" not in blob.read_bytes()


def test_pack_orders_migrations_and_show_lists_them(tmp_path):
    conf = tree(tmp_path, API, MIGS)
    blob = tmp_path / "blob"
    assert apctl("pack", conf, "-o", str(blob)).returncode == 0
    assert entries(blob.read_bytes())[1:] == sorted(MIGS)
    shown = apctl("show", str(blob)).stdout
    assert "    migrations db/migrations    # 3 files: 001_init.sql .. 010_late.sql\n" in shown
    assert "    disk vdb\n" in shown
    assert '    GET /api/t/:x sql "SELECT x FROM t WHERE x = :x"\n' in shown


def test_a_file_in_a_served_directory_is_packed_once(tmp_path):
    text = "routes {\n GET /* static www\n GET /home static www/index.html\n}\n"
    blob = tmp_path / "blob"
    assert apctl("pack", tree(tmp_path, text, SITE), "-o", str(blob)).returncode == 0
    names = entries(blob.read_bytes())
    assert names.count("www/index.html") == 1


WARNINGS = [
    ("", "warning: no inbound firewall rule: every inbound packet is dropped (add e.g. inbound tcp 443 "
     "from 0.0.0.0/0 to firewall)"),
    ("firewall { inbound tcp 22 from 10.0.0.0/8 }\nroutes { GET /healthz health }\n",
     "warning: routes are configured but no inbound firewall rule admits tcp 80 or 443 (add e.g. inbound "
     "tcp 443 from 0.0.0.0/0)"),
    ("firewall { inbound tcp 443 from any }\nroutes { GET /healthz health }\n", ""),
    ("firewall { inbound all from 10.0.0.0/8 }\nroutes { GET /healthz health }\n", ""),
]


@pytest.mark.parametrize("text,warning", WARNINGS, ids=[str(i) for i in range(len(WARNINGS))])
def test_warnings_go_to_stderr_with_success(tmp_path, text, warning):
    r = apctl("check", write(tmp_path, text))
    assert r.returncode == 0
    assert r.stderr.rstrip("\n") == warning


FULL = """network { address 192.0.2.10/24; gateway 192.0.2.1 }
firewall {
    inbound  tcp 443  from 0.0.0.0/0   "https"
    inbound  tcp 80   from any   "redirect to \\"https\\""
    inbound  icmp echo-request from 192.0.2.0/24
    inbound  icmp 3:1 from 192.0.2.7
    inbound  udp 5000-5010 from 10.1.2.3
    inbound  47 from 10.0.0.0/8
    outbound tcp any to any "anything tcp"
    outbound icmp fragmentation-needed to any
    outbound all to 10.0.0.0/8
    flows 8192
    tcp-established-timeout 3600s
    udp-timeout 45s
    udp-stream-timeout 2m
    other-timeout 90s
}
limits {
    connections 64
    header-timeout 5s
    keepalive-timeout 0s
    body-max 2048k
    header-max 32768
}
database {
    disk vdc
    migrations db/migrations
    cache 512k
    statement-timeout 1500ms
}
routes {
    GET  /healthz        health
    GET  /readyz         ready
    GET,HEAD /metrics    metrics { auth none }
    GET  /api/posts/:id  sql "SELECT id, title FROM posts WHERE id = :id" { param id integer min 1 max 1e9 }
    GET  /api/posts      sql "SELECT id, title, done FROM posts WHERE score > :score" {
        param score real default -1.5 nullable
        page 25 max 50 key -id
        sort-by title
        filter-by done title
        json-boolean done
    }
    POST,PUT /api/posts  sql \
        "INSERT INTO posts(title, done) VALUES(:title, :done)" \
        "SELECT 1" {
        param title text required length 1..80 pattern "[A-Za-z ]+"
        param done boolean default false
        location /api/posts/:rowid
        result one
        body-max 16k
        rate-limit 5/s burst 10
    }
    DELETE /api/posts/:id sql "DELETE FROM posts WHERE id = :id" { body-max 0 }
    ANY  /hook           handler hello { rate-limit 90/m }
    GET  /old/*          redirect 308 https://example.com/new/*
    GET  /docs           redirect 301 /docs/index.html
    GET  /docs/*         static www { index start.html; cache-control "public, max-age=60" }
    GET  /*              static www
}
"""


def test_everything_round_trips_through_show(tmp_path):
    files = {**SITE, **MIGS}
    conf = tree(tmp_path, FULL, files)
    blob = tmp_path / "blob"
    r = apctl("pack", conf, "-o", str(blob))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    shown = apctl("show", str(blob))
    assert shown.returncode == 0 and shown.stderr == ""
    out = shown.stdout
    for line in ['    inbound tcp 80 from 0.0.0.0/0 "redirect to \\"https\\""\n',
                 "    inbound icmp 3:1 from 192.0.2.7/32\n", "    inbound 47 from 10.0.0.0/8\n",
                 "    outbound all to 10.0.0.0/8\n", "    tcp-established-timeout 1h\n",
                 "    other-timeout 90s\n", "    keepalive-timeout 0s\n", "    body-max 2m\n",
                 "    header-max 32k\n", "    cache 512k\n", "    statement-timeout 1500ms\n",
                 "    GET /metrics metrics {\n        auth none\n    }\n", "    ANY /hook handler hello {\n        rate-limit 90/m burst 2\n",
                 "        body-max 0\n", "        index start.html\n",
                 "        param id integer min 1 max 1000000000\n",
                 "        param score real nullable default -1.5\n",
                 "        page 25 max 50 key -id\n", "        sort-by title\n", "        filter-by done title\n",
                 "        json-boolean done\n",
                 '        param title text required length 1..80 pattern "[A-Za-z ]+"\n',
                 "        param done boolean default false\n", "        result one\n",
                 "        location /api/posts/:rowid\n"]:
        assert line in out, line
    # The shown text is a config with the same effect.
    again = tmp_path / "again"
    conf2 = tree(again, out, files)
    blob2 = again / "blob"
    assert apctl("pack", conf2, "-o", str(blob2)).returncode == 0
    assert apctl("show", str(blob2)).stdout == out


def test_limits_at_their_edges(tmp_path):
    rules = "".join(f"    inbound tcp {p} from any\n" for p in range(1, 61))
    assert apctl("check", write(tmp_path, "firewall {\n" + rules + "}\n")).returncode == 0
    r = apctl("check", write(tmp_path, "firewall {\n" + rules + "    inbound tcp 61 from any\n}\n"))
    assert r.stderr.rstrip() == ("appliance.conf:62:5: more than 60 inbound rules (merge some: use port "
                                 "ranges or wider CIDRs)")
    ok = ("limits {\n connections 4096\n header-timeout 5m\n request-line-max 64k\n headers-max 512\n"
          " body-max 1g\n}\nfirewall { flows 1048576; tcp-established-timeout 5d; udp-timeout 1m }\n")
    assert apctl("check", write(tmp_path, ok)).returncode == 0
    routes = "".join(f"    GET /r{i} health\n" for i in range(128))
    assert apctl("check", write(tmp_path, "routes {\n" + routes + "}\n")).returncode == 0
    r = apctl("check", write(tmp_path, "routes {\n" + routes + "    GET /r128 health\n}\n"))
    assert r.stderr.rstrip() == "appliance.conf:130:5: more than 128 routes"
    eight = "/".join(f":p{i}" for i in range(8))
    assert apctl("check", write(tmp_path, f"routes {{ GET /{eight} health }}\n")).returncode == 0


# ------------------------------------------------------------ auth (docs/auth.md)

@functools.lru_cache(maxsize=None)
def public_pem(kind):
    """A public key PEM made by openssl: p256 (what es256 takes), and kinds
    it refuses."""
    cmd = {
        "p256": "openssl ecparam -name prime256v1 -genkey | openssl ec -pubout",
        "p384": "openssl ecparam -name secp384r1 -genkey | openssl ec -pubout",
        "compressed": "openssl ecparam -name prime256v1 -genkey | openssl ec -pubout -conv_form compressed",
        "rsa": "openssl genrsa 2048 | openssl rsa -pubout",
        "private": "openssl ecparam -name prime256v1 -genkey -noout",
    }[kind]
    return subprocess.run(["sh", "-c", cmd + " 2>/dev/null"], capture_output=True, text=True,
                          check=True).stdout


SECRET = b"hs256-secret-NEVER-SHOWN-0123456789"       # 35 bytes
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
AUTH_FILES = {"jwt.secret": SECRET, "short.secret": b"s" * 31, "nl.secret": b"n" * 40 + b"\n",
              "big.secret": b"b" * 1024, "huge.secret": b"h" * 1025, "www/in.secret": SECRET}


def auth_files():
    return {**AUTH_FILES, "idp.pem": public_pem("p256"), "p384.pem": public_pem("p384"),
            "comp.pem": public_pem("compressed"), "rsa.pem": public_pem("rsa"),
            "priv.pem": public_pem("private"),
            "bad.pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "broken.pem": "-----BEGIN PUBLIC KEY-----\nMFkw\n"}


DB = "database { disk vda }\n"
A_ROLE = "auth {\n role admin read metrics\n api-key bot role admin sha256 " + HASH + "\n}\n"
AUTH_INVALID = [
    # the section's directives
    ("auth { role Admin read }\n",
     "appliance.conf:1:13: 'Admin' is not a role name (a-z, 0-9, '_' and '-', 1-64 characters)"),
    ("auth { role admin Read }\n",
     "appliance.conf:1:19: 'Read' is not a permission name (a-z, 0-9, '_' and '-', 1-64 characters)"),
    ("auth { role admin read read }\n", "appliance.conf:1:24: 'read' is listed twice in role 'admin'"),
    ("auth { role admin; role admin }\n", "appliance.conf:1:25: role 'admin' declared twice (one line per role)"),
    ("auth { role }\n", "appliance.conf:1:8: 'role' takes a name and its permissions (e.g. role editor read "
     "write; a role may have none)"),
    ("auth { api-key bot role admin sha256 " + HASH + " }\n",
     "appliance.conf:1:25: 'admin' is not a declared role (declare it in this section: role admin PERM...)"),
    ("auth { role x; role y; api-key bot role admin sha256 " + HASH + " }\n",
     "appliance.conf:1:41: 'admin' is not a declared role (declared: x, y)"),
    ("auth { role admin; api-key bot role admin sha256 9f86 }\n",
     'appliance.conf:1:50: a SHA-256 is 64 hex digits (printf %s "$KEY" | sha256sum); never put the key itself here'),
    ("auth { role admin; api-key bot role admin sha 9f86 }\n",
     "appliance.conf:1:43: expected 'sha256' here (api-key NAME role ROLE sha256 HEX [user N], e.g. api-key "
     'ci-bot role admin sha256 HEX; printf %s "$KEY" | sha256sum makes HEX)'),
    ("auth { role admin; api-key bot role admin }\n",
     "appliance.conf:1:20: 'api-key' takes a name, role ROLE, sha256 HEX and optionally user N (api-key NAME "
     'role ROLE sha256 HEX [user N], e.g. api-key ci-bot role admin sha256 HEX; printf %s "$KEY" | sha256sum '
     "makes HEX)"),
    ("auth { role admin; api-key bot role admin sha256 " + HASH + " user x }\n",
     "appliance.conf:1:120: 'x' is not a user id (a whole number, 64-bit)"),
    ("auth { role admin; api-key bot role admin sha256 " + HASH + " user 9223372036854775808 }\n",
     "appliance.conf:1:120: '9223372036854775808' is not a user id (a whole number, 64-bit)"),
    ("auth { role a\n api-key bot role a sha256 " + HASH + "\n api-key bot role a sha256 " + "0" * 64 + " }\n",
     "appliance.conf:3:10: api-key 'bot' declared twice (names are unique)"),
    ("auth { role a\n api-key b1 role a sha256 " + HASH + "\n api-key b2 role a sha256 " + HASH.upper() + " }\n",
     "appliance.conf:3:27: the same key hash as api-key 'b1' (one key, one name)"),
    ("auth { api-key-header Authorization }\n",
     "appliance.conf:1:23: 'Authorization' already carries credentials: the API-key header is another one "
     "(e.g. X-API-Key; keys are always accepted as Authorization: Bearer too)"),
    ("auth { api-key-header X:Key }\n",
     "appliance.conf:1:23: 'X:Key' is not a header field name: letters, digits and !#$%&'*+-.^_`|~, 1-64 "
     "characters (e.g. api-key-header X-API-Key)"),
    ("auth { jwt-key main hs256 secret-file short.secret }\n",
     "appliance.conf:1:39: 'short.secret' is 31 bytes: an HS256 secret is 32-1024 bytes (RFC 7518 3.2; "
     "openssl rand -out short.secret 32)"),
    ("auth { jwt-key main hs256 secret-file huge.secret }\n",
     "appliance.conf:1:39: 'huge.secret' is 1025 bytes: an HS256 secret is 32-1024 bytes (RFC 7518 3.2; "
     "openssl rand -out huge.secret 32)"),
    ("auth { jwt-key main hs256 secret-file missing.secret }\n",
     "appliance.conf:1:39: file 'missing.secret' not found (put it next to appliance.conf; apctl pack takes "
     "it into the blob)"),
    ("auth { jwt-key main HS256 secret-file jwt.secret }\n",
     "appliance.conf:1:21: 'HS256' is not an algorithm: hs256 or es256 (no others are accepted)"),
    ("auth { jwt-key main rs256 public-key rsa.pem }\n",
     "appliance.conf:1:21: 'rs256' is not an algorithm: hs256 or es256 (no others are accepted)"),
    ("auth { jwt-key main hs256 public-key jwt.secret }\n",
     "appliance.conf:1:27: expected 'secret-file' here (e.g. jwt-key main hs256 secret-file jwt.secret, or "
     "jwt-key idp es256 public-key idp.pem)"),
    ("auth { jwt-key main hs256 jwt.secret }\n",
     "appliance.conf:1:8: 'jwt-key' takes 4 arguments (e.g. jwt-key main hs256 secret-file jwt.secret, or "
     "jwt-key idp es256 public-key idp.pem)"),
    ("auth { jwt-key main es256 public-key rsa.pem }\n",
     "appliance.conf:1:38: 'rsa.pem': an RSA key: es256 takes a P-256 EC key (openssl ecparam -name "
     "prime256v1 -genkey | openssl ec -pubout)"),
    ("auth { jwt-key main es256 public-key p384.pem }\n",
     "appliance.conf:1:38: 'p384.pem': not a P-256 public key: an EC key on another curve (ES256 is P-256, "
     "prime256v1: openssl ecparam -name prime256v1 -genkey | openssl ec -pubout)"),
    ("auth { jwt-key main es256 public-key comp.pem }\n",
     "appliance.conf:1:38: 'comp.pem': a compressed point: write it uncompressed (openssl ec -pubin -in "
     "key.pem -pubout -conv_form uncompressed)"),
    ("auth { jwt-key main es256 public-key priv.pem }\n",
     "appliance.conf:1:38: 'priv.pem': holds a private key: give the public half only (openssl ec -in "
     "key.pem -pubout), the private key stays with the token issuer"),
    ("auth { jwt-key main es256 public-key jwt.secret }\n",
     "appliance.conf:1:38: 'jwt.secret': holds no PEM public key (want -----BEGIN PUBLIC KEY-----: openssl "
     "ecparam -name prime256v1 -genkey | openssl ec -pubout)"),
    ("auth { jwt-key main es256 public-key bad.pem }\n",
     "appliance.conf:1:38: 'bad.pem': not a P-256 public key: the PUBLIC KEY does not decode (openssl "
     "ecparam -name prime256v1 -genkey | openssl ec -pubout)"),
    ("auth { jwt-key main es256 public-key broken.pem }\n",
     "appliance.conf:1:38: 'broken.pem': the PEM is damaged (a BEGIN line without its END, or bad base64)"),
    ("auth { jwt-key a/b: hs256 secret-file jwt.secret }\n",
     "appliance.conf:1:16: 'a/b:' is not a key id (letters, digits and _-.~+/=, 1-64 characters; the "
     "tokens' \"kid\")"),
    ("auth {\n jwt-key a hs256 secret-file jwt.secret\n jwt-key a es256 public-key idp.pem\n}\n",
     "appliance.conf:3:10: jwt-key 'a' declared twice (a kid names one key)"),
    ("auth { jwt-leeway 6m }\n",
     "appliance.conf:1:19: '6m' for 'jwt-leeway' is not a duration 0s-5m with a unit: ms, s, m, h or d"),
    ("auth { jwt-leeway 1500ms }\n", "appliance.conf:1:19: 'jwt-leeway' is whole seconds"),
    ("auth { jwt-issuer \"a\\tb\" }\n",
     "appliance.conf:1:19: 'a\tb' is not an issuer: printable text, 1-255 characters (e.g. jwt-issuer "
     "https://idp.example)"),
    ('auth { jwt-user-claim "a b" }\n',
     "appliance.conf:1:23: 'a b' is not a claim name: letters, digits and _-.:/, 1-64 characters (e.g. "
     "jwt-user-claim sub)"),
    ("auth { session-max-age 59s }\n",
     "appliance.conf:1:24: '59s' for 'session-max-age' is not a duration 1m-365d with a unit: ms, s, m, h or d"),
    ("auth { session-max-age 366d }\n",
     "appliance.conf:1:24: '366d' for 'session-max-age' is not a duration 1m-365d with a unit: ms, s, m, h or d"),
    ('auth { session-cookie "a b" }\n',
     "appliance.conf:1:23: 'a b' is not a cookie name: letters, digits and !#$%&'*+-.^_`|~, 1-64 characters "
     "(e.g. session-cookie sid)"),
    ("auth { session-cookie __Host-sid; session-path /app }\n",
     "appliance.conf:1:35: a __Host- cookie needs session-path / and no session-domain (browsers refuse it "
     "otherwise)"),
    ("auth { session-path api }\n",
     "appliance.conf:1:21: 'api' is not a cookie path: /... in printable ASCII, no spaces or ';'"),
    ("auth { session-domain .example.com }\n",
     "appliance.conf:1:23: '.example.com' is not a domain: a DNS name such as example.com (no leading dot, "
     "port or IP address)"),
    ("auth { session-same-site relaxed }\n",
     "appliance.conf:1:26: 'relaxed': session-same-site is lax, strict or none"),
    ("auth { session-cache 15 }\n",
     "appliance.conf:1:22: '15' for 'session-cache' is not a whole number 16-65536"),
    ("auth { session-cache 65537 }\n",
     "appliance.conf:1:22: '65537' for 'session-cache' is not a whole number 16-65536"),
    ("auth { csrf-origin http://app.example }\n",
     "appliance.conf:1:20: 'http://app.example' is not an origin: https://host[:port] in lower case, no path "
     "or trailing '/'"),
    ("auth { csrf-origin https://app.example/ }\n",
     "appliance.conf:1:20: 'https://app.example/' is not an origin: https://host[:port] in lower case, no "
     "path or trailing '/'"),
    ("auth { csrf-origin https://a.example\n csrf-origin https://a.example }\n",
     "appliance.conf:2:14: 'https://a.example' is listed twice"),
    ("auth { csrf-origin " + " ".join(f"https://{i}.example" for i in range(9)) + " }\n",
     "appliance.conf:1:164: more than 8 csrf origins"),
    ("auth { password-iterations 599999 }\n",
     "appliance.conf:1:28: '599999' for 'password-iterations' is not a whole number 600000-10000000"),
    ("auth { password-iterations 10000001 }\n",
     "appliance.conf:1:28: '10000001' for 'password-iterations' is not a whole number 600000-10000000"),
    ("auth { password-length 0..10 }\n",
     "appliance.conf:1:24: '0..10' is not a length A..B (characters, 1 <= A <= B <= 4096, e.g. "
     "password-length 8..1024)"),
    ("auth { password-length 8..4097 }\n",
     "appliance.conf:1:24: '8..4097' is not a length A..B (characters, 1 <= A <= B <= 4096, e.g. "
     "password-length 8..1024)"),
    ("auth { password-length 9..8 }\n",
     "appliance.conf:1:24: '9..8' is not a length A..B (characters, 1 <= A <= B <= 4096, e.g. "
     "password-length 8..1024)"),
    ("auth { hash-concurrency 0 }\n",
     "appliance.conf:1:25: '0' for 'hash-concurrency' is not a whole number 1-64"),
    ("auth { hash-concurrency 65 }\n",
     "appliance.conf:1:25: '65' for 'hash-concurrency' is not a whole number 1-64"),
    ("auth { login-limit 10/h }\n",
     "appliance.conf:1:20: '10/h' is not a rate N/s or N/m (e.g. login-limit 10/m burst 10)"),
    ("auth { account-limit 5/m bursts 5 }\n",
     "appliance.conf:1:26: expected 'burst' here (e.g. account-limit 5/m burst 5)"),
    ("auth { audit maybe }\n", "appliance.conf:1:14: 'maybe': audit is on or off"),
    ("auth { audit on }\n",
     "appliance.conf:1:8: 'audit on' keeps the appliance_audit table: it needs a database section "
     "(database { disk vda }), or write audit off"),
    ("auth { magic on }\n",
     "appliance.conf:1:8: unknown directive 'magic' in auth (known: role, api-key, api-key-header, jwt-key, "
     "jwt-leeway, jwt-issuer, jwt-audience, jwt-user-claim, jwt-role-claim, session-cookie, session-max-age, "
     "session-path, session-domain, session-same-site, session-cache, csrf-origin, csrf-header, "
     "password-iterations, password-length, hash-concurrency, login-limit, account-limit, audit)"),
    ("auth { jwt-leeway 1s; jwt-leeway 2s }\n",
     "appliance.conf:1:23: 'jwt-leeway' given twice in auth (first at line 1)"),
    ("auth { }\nauth { }\n", "appliance.conf:2:1: section 'auth' given twice (first at line 1)"),
    # routes: credentials
    (DB + "routes { GET /m metrics }\n",
     "appliance.conf:2:17: a metrics route needs credentials: { permission metrics } (or { auth none } to "
     "serve it to anyone)"),
    ("routes { GET /m metrics { permission metrics } }\n",
     "appliance.conf:1:27: 'permission' needs an auth section (auth { role NAME PERM... } and a way to "
     "authenticate: docs/auth.md)"),
    ("routes { GET /m metrics { auth jwt } }\n",
     "appliance.conf:1:27: 'auth' needs an auth section (auth { role NAME PERM... } and a way to "
     "authenticate: docs/auth.md)"),
    (A_ROLE + "routes { GET /m metrics { permission write } }\n",
     "appliance.conf:5:38: 'write' is not a permission any role has (the roles grant: read, metrics)"),
    ("routes { GET /m metrics { permission write } }\nauth { role a }\n",
     "appliance.conf:1:38: 'write' is not a permission any role has (grant it: role NAME write)"),
    ("auth { role a metrics }\nroutes { GET /m metrics { permission metrics } }\n",
     "appliance.conf:2:27: 'permission' needs a way to authenticate: the auth section has no api-key or "
     "jwt-key, and no login route makes sessions"),
    (A_ROLE + "routes { GET /m metrics { auth jwt } }\n",
     "appliance.conf:5:32: 'jwt': the auth section declares no jwt-key"),
    ("auth { jwt-key a hs256 secret-file jwt.secret }\nroutes { GET /m metrics { auth api-key } }\n",
     "appliance.conf:2:32: 'api-key': the auth section declares no api-key"),
    (A_ROLE + "routes { GET /m metrics { auth api-key session } }\n",
     "appliance.conf:5:40: 'session': no login route makes sessions (add e.g. POST /login login \"SELECT ...\")"),
    (A_ROLE + "routes { GET /m metrics { auth none; permission metrics } }\n",
     "appliance.conf:5:38: 'permission' needs a caller's role: drop 'auth none' (a public route has no one "
     "to check)"),
    ("routes { GET /m metrics { auth none jwt } }\n",
     "appliance.conf:1:27: 'auth none' makes the route public: it takes no other scheme"),
    ("routes { GET /m metrics { auth oauth } }\n",
     "appliance.conf:1:32: 'oauth' is not a scheme: api-key, jwt, session, or none alone"),
    ("routes { GET /m metrics { auth jwt jwt } }\n", "appliance.conf:1:36: 'jwt' is listed twice"),
    ("routes { GET /m metrics { auth } }\n",
     "appliance.conf:1:27: 'auth' takes the schemes the route accepts: api-key, jwt, session, or none alone "
     "(e.g. auth jwt session)"),
    ("routes { GET /m metrics { permission } }\n",
     "appliance.conf:1:27: 'permission' takes 1 argument (e.g. permission write)"),
    (A_ROLE + "routes { GET /m metrics { auth api-key permission metrics } }\n",
     "appliance.conf:5:40: 'permission' starts a new directive: end 'auth' before it with ';' or a newline"),
    (DB + "routes { GET /b backup { token-sha256 " + "a" * 64 + "; auth none } }\n",
     "appliance.conf:2:17: a backup route takes its token-sha256 or auth and permission, not both (keep one)"),
    # routes: sql names
    (DB + 'routes { GET /a sql "SELECT :auth_user_id" }\n',
     "appliance.conf:2:21: ':auth_user_id' is the caller's identity, but the route takes no credentials "
     "(add { permission PERM } or { auth SCHEME... })"),
    (DB + 'routes { GET /a sql "SELECT :auth_role" { auth none } }\n',
     "appliance.conf:2:21: ':auth_role' is the caller's identity, but the route takes no credentials "
     "(add { permission PERM } or { auth SCHEME... })"),
    (DB + 'routes { GET /a sql "SELECT :auth_x" { auth jwt } }\n',
     "appliance.conf:2:21: ':auth_x': the caller's identity is :auth_user_id, :auth_role or :auth_name (no "
     "other auth_ names)"),
    (DB + 'routes { POST /a sql "SELECT :auth_x" { param auth_x text } }\n',
     "appliance.conf:2:47: 'auth_x': auth_ names are bound from the caller's credentials, never from the "
     "request"),
    (DB + 'routes { GET /a/:auth_user_id sql "SELECT 1" }\n',
     "appliance.conf:2:14: ':auth_user_id' in the pattern: auth_ names are bound from the caller's "
     "credentials, never from the request"),
    (DB + "routes { GET /b backup { auth none } }\n",
     "appliance.conf:2:17: a backup route hands out the whole database: it cannot be public (auth none); give it "
     "{ permission backup } or a token-sha256"),
    ("auth { role admin; api-key bot role admin sha256 "
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 }\n",
     'appliance.conf:1:50: this is the SHA-256 of an empty key (printf %s "$KEY" with KEY unset?): an empty '
     "header would match it"),
    # routes: hash-password
    (DB + 'routes { POST /a/:password_hash sql "SELECT :password_hash" { hash-password password } }\n',
     "appliance.conf:2:37: ':password_hash' is what hash-password binds: the pattern may not have a parameter "
     "of that name"),
    (DB + 'routes { GET /a sql "SELECT :password_hash" { hash-password password } }\n',
     "appliance.conf:2:47: 'hash-password' reads the JSON body: the route's methods are POST, PUT or PATCH "
     "only"),
    (DB + 'routes { POST /a sql "SELECT 1" { hash-password password } }\n',
     "appliance.conf:2:18: hash-password password: no statement uses :password_hash (the hash is bound "
     "there; the password never is)"),
    (DB + 'routes { POST /a sql "SELECT :password_hash, :password" { hash-password password; param password '
     'text } }\n',
     "appliance.conf:2:89: 'password' is the hash-password field: it is hashed, never bound (drop this param)"),
    (DB + 'routes { POST /a sql "SELECT :pw_hash" { hash-password pw; param pw_hash text } }\n',
     "appliance.conf:2:66: 'pw_hash' is what hash-password binds (drop this param)"),
    (DB + 'routes { POST /a health { hash-password password } }\n',
     "appliance.conf:2:27: 'hash-password' is an option of sql routes"),
    (DB + 'routes { POST /a sql "SELECT :x_hash" { hash-password 1x } }\n',
     "appliance.conf:2:55: '1x' is not a field name (a letter, then letters, digits, '_')"),
    (DB + 'routes { POST /a sql "SELECT :auth_x_hash" { hash-password auth_x } }\n',
     "appliance.conf:2:60: 'auth_x': auth_ names are bound from the caller's credentials, never from the "
     "request"),
    # routes: login and logout
    (DB + 'auth { }\nroutes { POST /login login "SELECT 1" }\n',
     "appliance.conf:3:28: a login statement finds the user by :username (e.g. SELECT id AS user_id, "
     "password_hash, role FROM users WHERE handle = :username)"),
    (DB + 'auth { }\nroutes { POST /login login "SELECT :username, :password" }\n',
     "appliance.conf:3:28: ':password': a login statement's only name is :username (the password is checked "
     "against the row's password_hash, never bound)"),
    (DB + 'auth { }\nroutes { GET /login login "SELECT :username" }\n',
     "appliance.conf:3:21: a login route answers POST only"),
    (DB + 'auth { }\nroutes { POST /login login }\n',
     'appliance.conf:3:22: login takes one quoted statement that finds the user by :username: login "SELECT '
     'id AS user_id, password_hash, role FROM users WHERE handle = :username"'),
    (DB + 'auth { }\nroutes { POST /login login "SELECT :username" "SELECT 2" }\n',
     'appliance.conf:3:47: login takes one quoted statement that finds the user by :username: login "SELECT '
     'id AS user_id, password_hash, role FROM users WHERE handle = :username"'),
    (DB + 'auth { }\nroutes { POST /login login SELECT }\n',
     'appliance.conf:3:28: an SQL statement is a quoted string (sql "SELECT ...")'),
    (DB + 'auth { }\nroutes { POST /login login "SELECT :username" { auth none } }\n',
     "appliance.conf:3:49: 'auth' is not for login routes (a login route is public: it makes the credential)"),
    (DB + 'auth { }\nroutes { POST /login login "SELECT :username" { param x text } }\n',
     "appliance.conf:3:49: 'param' is an option of sql routes"),
    ('auth { }\nroutes { POST /login login "SELECT :username" }\n',
     "appliance.conf:2:22: login routes need a database section (database { disk vda })"),
    (DB + 'routes { POST /login login "SELECT :username" }\n',
     "appliance.conf:2:22: login routes need an auth section (auth { role NAME PERM... }: docs/auth.md)"),
    ("routes { POST /logout logout }\n",
     "appliance.conf:1:23: logout routes need an auth section (auth { role NAME PERM... }: docs/auth.md)"),
    ("auth { }\nroutes { POST /logout logout }\n",
     'appliance.conf:2:23: a logout route ends the sessions a login route starts: add one (e.g. POST /login '
     'login "SELECT ...")'),
    ("auth { }\nroutes { POST /logout logout x }\n", "appliance.conf:2:30: logout takes no arguments"),
    # a secret that a static route would serve
    ("auth { jwt-key a hs256 secret-file www/in.secret }\nroutes { GET /* static www }\n",
     "appliance.conf:1:36: 'www/in.secret' is a secret, but the static route at line 2 serves it (keep it out "
     "of served directories)"),
    ("routes { GET /s static jwt.secret }\nauth { jwt-key a hs256 secret-file jwt.secret }\n",
     "appliance.conf:2:36: 'jwt.secret' is a secret, but the static route at line 1 serves it (keep it out "
     "of served directories)"),
    ("auth { }\nroutes { ANY /logout logout }\n", "appliance.conf:2:22: a logout route answers POST only"),
    ("auth { }\nroutes { POST /logout logout { permission x } }\n",
     "appliance.conf:2:32: 'permission' is not for logout routes (a logout route ends the session its cookie "
     "names)"),
]


@pytest.mark.parametrize("text,message", AUTH_INVALID, ids=[str(i) for i in range(len(AUTH_INVALID))])
def test_invalid_auth_message_and_position(tmp_path, text, message):
    r = apctl("check", tree(tmp_path, text, auth_files()))
    assert (r.returncode, r.stderr.rstrip("\n")) == (1, message)


FULL_AUTH = """database { disk vda }
tls { certificate tls/cert.pem; key tls/key.pem }
firewall { inbound tcp 443 from any }
routes {
    GET    /api/posts      sql "SELECT :auth_user_id, :auth_role, :auth_name" { auth jwt api-key session; permission read }
    DELETE /api/posts/:id  sql "DELETE FROM posts WHERE id = :id" { permission delete }
    GET    /api/me         sql "SELECT :auth_user_id" { auth session }
    GET    /metrics        metrics { permission metrics }
    GET    /status         metrics { auth none }
    GET    /backup         backup { permission backup }
    GET    /files/*        static www { auth api-key }
    POST   /login          login "SELECT id AS user_id, password_hash, role FROM users WHERE handle = :username"
    POST   /logout         logout
    POST   /api/users      sql "INSERT INTO users(handle, password_hash) VALUES (:handle, :password_hash) RETURNING id" {
        param handle text required length 2..30
        hash-password password
    }
}
auth {
    # keys may name a role declared below them
    api-key ci-bot role admin sha256 HASH user -7
    api-key reader role viewer sha256 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef
    role admin  read write delete metrics backup
    role editor read write
    role viewer read
    role nobody
    api-key-header X-Key
    jwt-key main hs256 secret-file jwt.secret
    jwt-key idp  es256 public-key idp.pem
    jwt-leeway 5m
    jwt-issuer "https://idp.example/tenant one"
    jwt-audience my-api
    jwt-user-claim https://example.com/uid
    jwt-role-claim cognito:groups
    session-cookie __Host-sid
    session-max-age 365d
    session-path /
    session-same-site strict
    session-cache 65536
    csrf-origin https://app.example https://b.example:8443
    csrf-origin https://c.example
    csrf-header X-CSRF
    password-iterations 600000
    password-length 1..4096
    hash-concurrency 64
    login-limit 1/s
    account-limit 3/m burst 7
    audit on
}
""".replace("HASH", HASH)


def test_auth_round_trips_through_show_and_keeps_the_secret(tmp_path):
    from test_apctl import pair
    cert, key = pair("ec")
    files = {**auth_files(), "tls/cert.pem": cert, "tls/key.pem": key, "www/a.txt": "a\n"}
    blob = tmp_path / "blob"
    r = apctl("pack", tree(tmp_path, FULL_AUTH, files), "-o", str(blob))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    shown = apctl("show", str(blob))
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    out = shown.stdout
    assert ("auth {\n    role admin read write delete metrics backup\n    role editor read write\n"
            "    role viewer read\n    role nobody\n"
            f"    api-key ci-bot role admin sha256 {HASH} user -7\n"
            "    api-key reader role viewer sha256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
            "    api-key-header X-Key\n    jwt-key main hs256 secret-file jwt.secret\n"
            "    jwt-key idp es256 public-key idp.pem\n    jwt-leeway 5m\n"
            '    jwt-issuer "https://idp.example/tenant one"\n    jwt-audience my-api\n'
            "    jwt-user-claim https://example.com/uid\n    jwt-role-claim cognito:groups\n"
            "    session-cookie __Host-sid\n    session-max-age 365d\n    session-path /\n"
            "    session-same-site strict\n    session-cache 65536\n"
            "    csrf-origin https://app.example https://b.example:8443 https://c.example\n"
            "    csrf-header X-CSRF\n    password-iterations 600000\n    password-length 1..4096\n"
            "    hash-concurrency 64\n    login-limit 1/s burst 1\n    account-limit 3/m burst 7\n"
            "    audit on\n}\nroutes {\n") in out
    for line in ['    GET /api/posts sql "SELECT :auth_user_id, :auth_role, :auth_name" {\n'
                 "        auth api-key jwt session\n        permission read\n    }\n",
                 # permission alone: every scheme the section configures
                 "        auth api-key jwt session\n        permission delete\n",
                 "    GET /metrics metrics {\n        auth api-key jwt session\n        permission metrics\n    }\n",
                 "    GET /status metrics {\n        auth none\n    }\n",
                 "    GET /files/* static www {\n        auth api-key\n    }\n",
                 '    POST /login login "SELECT id AS user_id, password_hash, role FROM users WHERE handle = '
                 ':username"\n',
                 "    POST /logout logout\n",
                 "        param handle text required length 2..30\n        hash-password password\n"]:
        assert line in out, line
    # The HS256 secret rides in the blob, owner-only, and is never shown.
    data = blob.read_bytes()
    assert SECRET in data and SECRET.decode() not in out
    i = data.index(b"jwt.secret\0")
    assert data[i - 110 + 14:i - 110 + 22] == b"00008180"
    i = data.index(b"idp.pem\0")
    assert data[i - 110 + 14:i - 110 + 22] == b"000081A4"
    # The shown text is a config with the same effect.
    again = tmp_path / "again"
    blob2 = again / "blob"
    r = apctl("pack", tree(again, out, files), "-o", str(blob2))
    assert r.returncode == 0, r.stderr
    assert apctl("show", str(blob2)).stdout == out


AUTH_DEFAULTS = """auth {
    api-key-header X-API-Key
    jwt-leeway 30s
    jwt-user-claim sub
    jwt-role-claim role
    session-cookie sid
    session-max-age 1d
    session-path /
    session-same-site lax
    session-cache 1024
    csrf-header X-CSRF-Token
    password-iterations 600000
    password-length 8..1024
    hash-concurrency 2
    login-limit 10/m burst 10
    account-limit 5/m burst 5
    audit on
}
"""


@pytest.mark.parametrize("db", [True, False])
def test_auth_defaults_shown(tmp_path, db):
    blob = tmp_path / "blob"
    assert apctl("pack", write(tmp_path, (DB if db else "") + "auth { }\n"), "-o", str(blob)).returncode == 0
    out = apctl("show", str(blob)).stdout
    # Without a database there is no audit table: the effective value is off.
    want = AUTH_DEFAULTS if db else AUTH_DEFAULTS.replace(
        "    audit on\n", "    audit off\n")
    assert want in out
    again = tmp_path / "again"
    again.mkdir()
    blob2 = again / "blob"
    assert apctl("pack", write(again, out), "-o", str(blob2)).returncode == 0
    assert apctl("show", str(blob2)).stdout == out


def test_no_auth_section_shows_none(tmp_path):
    blob = tmp_path / "blob"
    apctl("pack", write(tmp_path, "routes { GET /m metrics { auth none } }\n"), "-o", str(blob))
    out = apctl("show", str(blob)).stdout
    assert "auth {" not in out and "    GET /m metrics {\n        auth none\n    }\n" in out


AUTH_VALID = [
    # the edges of every range
    "auth { password-iterations 10000000; jwt-leeway 0s; session-max-age 1m; session-cache 16 }\n",
    "auth { hash-concurrency 1; password-length 4096..4096; login-limit 100000/s burst 100000 }\n",
    "auth { jwt-leeway 300s; session-max-age 8760h; audit off }\n",
    "auth { jwt-key a hs256 secret-file big.secret; jwt-key b hs256 secret-file jwt.secret }\n",
    "auth { role a; api-key k role a sha256 " + HASH + " user -9223372036854775808 }\n",
    "auth { role a; api-key k role a sha256 " + HASH + " user 9223372036854775807 }\n",
    # words of role and api-key lines are free: a permission may be called audit
    "auth { role admin role audit api-key }\n",
    "auth { session-domain Example.COM; session-same-site none; session-cookie __Secure-id }\n",
    # hash-password works without an auth section (the password defaults)
    DB + 'routes { POST,PUT /u sql "INSERT INTO u(h) VALUES (:pw_hash)" { hash-password pw } }\n',
    # credentials on any kind; auth names with a permission alone
    A_ROLE + "routes {\n GET /h health { auth api-key }\n GET /s/* static www { permission read }\n}\n",
    DB + A_ROLE + 'routes { GET /a/:id sql "SELECT :id, :auth_name" { permission read } }\n',
    DB + A_ROLE + "routes { GET /b backup { permission read } }\n",
    # the auth section after the routes that use it
    "routes { GET /m metrics { permission metrics } }\n" + A_ROLE,
]


@pytest.mark.parametrize("text", AUTH_VALID, ids=[str(i) for i in range(len(AUTH_VALID))])
def test_valid_auth(tmp_path, text):
    r = apctl("check", tree(tmp_path, text, {**auth_files(), "www/a.txt": "a\n"}))
    assert r.returncode == 0, r.stderr


def test_auth_limits_at_their_edges(tmp_path):
    def check(text):
        return apctl("check", tree(tmp_path, text, auth_files()))
    roles = "".join(f" role r{i} p{i} p{i + 16}\n" for i in range(16))
    assert check("auth {\n" + roles + "}\n").returncode == 0
    r = check("auth {\n" + roles + " role r16\n}\n")
    assert r.stderr.rstrip() == "appliance.conf:18:2: more than 16 roles"
    r = check("auth {\n" + roles.replace(" role r15 p15 p31\n", " role r15 p15 p31 p32\n") + "}\n")
    assert r.stderr.rstrip() == "appliance.conf:17:19: more than 32 distinct permissions"
    keys = "".join(f" api-key k{i} role a sha256 {i:064x}\n" for i in range(64))
    assert check("auth {\n role a\n" + keys + "}\n").returncode == 0
    r = check("auth {\n role a\n" + keys + f" api-key k64 role a sha256 {64:064x}\n}}\n")
    assert r.stderr.rstrip() == "appliance.conf:67:2: more than 64 API keys"
    jwts = "".join(f" jwt-key k{i} hs256 secret-file jwt.secret\n" for i in range(8))
    assert check("auth {\n" + jwts + "}\n").returncode == 0
    r = check("auth {\n" + jwts + " jwt-key k8 es256 public-key idp.pem\n}\n")
    assert r.stderr.rstrip() == "appliance.conf:10:2: more than 8 JWT keys"


AUTH_WARNINGS = [
    ("firewall { inbound tcp 80 from any }\n" + DB + 'auth { }\nroutes { POST /login login "SELECT :username" }\n',
     "warning: login route /login without a tls section: session cookies are Secure, and browsers neither "
     "send nor keep Secure cookies over plain http (add a tls section)"),
    ("firewall { inbound tcp 80 from any }\nauth { jwt-key a hs256 secret-file nl.secret }\n",
     'warning: jwt-key a: nl.secret ends in a newline, which is part of the HS256 secret (write the file '
     'without one: printf %s "$SECRET" > nl.secret)'),
]


@pytest.mark.parametrize("text,warning", AUTH_WARNINGS, ids=[str(i) for i in range(len(AUTH_WARNINGS))])
def test_auth_warnings(tmp_path, text, warning):
    r = apctl("check", tree(tmp_path, text, auth_files()))
    assert r.returncode == 0
    assert r.stderr.rstrip("\n") == warning

/* app/auth.c: see auth.h; the behaviour is docs/auth.md's. */
#include "app/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/cookie.h"
#include "app/handlers.h"
#include "app/http_resp.h"
#include "app/jwt.h"
#include "kernel/kernel.h"
#include "net/net.h"
#include "store/store.h"

#define WAYS 4
#define KEY_AUDIT_S 60              /* an API key's uses: one audit row a minute at most */
#define CACHE_FRESH_S 30            /* a cached session is read again from the table after this */

static const struct config *cfg;
static const struct config_auth *A;
static struct jwt_key jkeys[CONFIG_JWT_KEYS_MAX];

/* The session cache: sets of WAYS entries indexed by the id's hash. */
struct centry {
    struct auth_session s;
    int64_t loaded;                 /* seconds since 1970, when read from the table */
    uint64_t used;                  /* a tick, for least recently used */
    int valid;
};
static struct centry *cache;
static unsigned nsets;
static uint64_t ctick;

/* Tokens verified already, by the SHA-256 of their bytes, until they
 * expire: an ES256 verification is some 7 ms of CPU under emulation, a
 * lookup a hash. Keys change only with the config, at boot. */
#define JWT_CACHE 256
struct jentry {
    uint8_t h[32];
    int valid, role, has_user;
    int64_t exp, user;
    char name[JWT_SUB_MAX + 1];
};
static struct jentry *jcache;

/* API keys' uses since their last audit row. */
static struct { uint64_t uses; int64_t last; } key_use[CONFIG_API_KEYS_MAX];

static uint64_t n_unauth, n_refused, n_denied, n_csrf;   /* 401 without / with credentials, 403s */
/* Failure events: refused credentials (anyone can send those) apart from
 * logins, denials and CSRF refusals, so a flood of junk cannot crowd the
 * others out. */
static struct log_limit fail_limit[2];
static uint64_t fail_dropped[2];
#define AUDIT_KEEP 100000           /* rows kept; older ones go */
#define AUDIT_TRIM_EVERY 1000       /* inserts between trims */
static unsigned audit_inserts;

static int64_t now_s(void) { return (int64_t)(clock_wall_ns() / 1000000000ull); }

/* Expiry needs the date: without the RTC's (clock_wall_ns 0) every token
 * would look fresh and no session would end. */
#define CLOCK_SANE 1577836800       /* 2020-01-01 */
int auth_clock_ok(void) { return now_s() >= CLOCK_SANE; }
static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000u; }

const char *auth_addr(uint32_t a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    return out;
}

int auth_role_index(const char *name, size_t n)
{
    for (unsigned i = 0; i < A->nroles; i++)
        if (strlen(A->role[i].name) == n && !memcmp(A->role[i].name, name, n))
            return (int)i;
    return -1;
}

int auth_init(const struct config *c)
{
    cfg = c;
    A = &c->auth;
    for (unsigned i = 0; i < A->njwt; i++) {
        const struct config_jwt_key *k = &A->jwt[i];
        jkeys[i] = (struct jwt_key){ .kid = k->name, .alg = k->es256 ? JWT_ES256 : JWT_HS256 };
        if (k->es256)
            memcpy(jkeys[i].pub, k->pub, 65);
        else
            jkeys[i].secret = k->file.data, jkeys[i].secret_len = k->file.len;
    }
    if (!A->enabled)
        return 0;
    if (A->njwt && !(jcache = calloc(JWT_CACHE, sizeof *jcache))) {
        log_error("auth", "no memory for the token cache");
        return -1;
    }
    nsets = 1;
    while (nsets * 2 * WAYS <= A->session_cache)
        nsets *= 2;
    cache = calloc((size_t)nsets * WAYS, sizeof *cache);
    if (!cache) {
        log_error("auth", "no memory for %u cached sessions", nsets * WAYS);
        return -1;
    }
    if (!auth_clock_ok())
        log_warn("auth", "the wall clock is not set (no RTC reading): JWTs, sessions and logins answer 503");
    log_info("auth", "%u roles, %u API keys, %u JWT keys, %u sessions cached; passwords PBKDF2-HMAC-SHA256 x %u",
             A->nroles, A->nkeys, A->njwt, nsets * WAYS, A->password_iterations);
    return 0;
}

/* ---- audit ---- */

void auth_audit(const char *event, const char *user, const char *scheme, uint32_t addr, const char *method,
                const char *path, size_t path_len, const char *detail, int fail)
{
    char a[16], d[200];
    int k = !strcmp(event, "refused");
    if (fail && !log_limit_take(&fail_limit[k], now_ms(), 20, 20)) {
        fail_dropped[k]++;
        return;
    }
    if (fail && fail_dropped[k]) {
        snprintf(d, sizeof d, "%s (and %llu like it not recorded)", detail ? detail : "",
                 (unsigned long long)fail_dropped[k]);
        detail = d;
        fail_dropped[k] = 0;
    }
    if (path_len > 200)
        path_len = 200;
    auth_addr(addr, a);
    /* A user name is what a client typed: escaped, so it cannot forge lines. */
    static char ue[6 * 256 + 1];
    if (user)
        json_escape(user, strlen(user), ue, sizeof ue);
    log_info("auth", "%s%s%s%s%s from %s: %s %.*s%s%s", event, user ? " user " : "", user ? ue : "",
             scheme ? " by " : "", scheme ? scheme : "", a, method ? method : "-", (int)path_len, path ? path : "",
             detail ? ": " : "", detail ? detail : "");
    if (!A->audit || !cfg->database.enabled || !store_ready())
        return;
    struct store_bind b[7] = {
        { "e", { .type = STORE_TEXT, .p = event, .len = strlen(event) } },
        { "u", user ? (struct store_value){ .type = STORE_TEXT, .p = user, .len = strlen(user) }
                    : (struct store_value){ .type = STORE_NULL } },
        { "s", scheme ? (struct store_value){ .type = STORE_TEXT, .p = scheme, .len = strlen(scheme) }
                      : (struct store_value){ .type = STORE_NULL } },
        { "a", { .type = STORE_TEXT, .p = a, .len = strlen(a) } },
        { "m", method ? (struct store_value){ .type = STORE_TEXT, .p = method, .len = strlen(method) }
                      : (struct store_value){ .type = STORE_NULL } },
        { "p", { .type = STORE_TEXT, .p = path ? path : "", .len = path ? path_len : 0 } },
        { "d", detail ? (struct store_value){ .type = STORE_TEXT, .p = detail, .len = strlen(detail) }
                      : (struct store_value){ .type = STORE_NULL } },
    };
    enum store_err e = store_exec("INSERT INTO _appliance_audit(at, event, user, scheme, addr, method, path, detail) "
                                  "VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), :e, :u, :s, :a, :m, :p, :d)",
                                  b, 7, NULL, NULL, NULL);
    if (e != STORE_OK)
        log_warn("auth", "audit row not written: %s", store_errmsg());
    else if (++audit_inserts % AUDIT_TRIM_EVERY == 0) {
        struct store_bind keep = { "k", { .type = STORE_INT, .i = AUDIT_KEEP } };
        store_exec("DELETE FROM _appliance_audit WHERE id <= (SELECT max(id) FROM _appliance_audit) - :k", &keep, 1,
                   NULL, NULL, NULL);
    }
}

static void audit_req(const struct conn *c, const char *event, const char *user, const char *scheme,
                      const char *detail, int fail)
{
    auth_audit(event, user, scheme, stream_peer_addr(c->s), http_method_name(c->rq.method), c->in + c->rq.path.off,
               c->rq.path.len, detail, fail);
}

/* ---- sessions ---- */

static struct centry *cache_set(const uint8_t h[32])
{
    uint32_t x = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    return &cache[(size_t)(x & (nsets - 1)) * WAYS];
}

static struct centry *cache_find(const uint8_t h[32])
{
    struct centry *set = cache_set(h);
    for (int i = 0; i < WAYS; i++)
        if (set[i].valid && crypto_equal(set[i].s.hash, h, 32))
            return &set[i];
    return NULL;
}

static void cache_put(const struct auth_session *s)
{
    struct centry *set = cache_set(s->hash), *v = &set[0];
    for (int i = 0; i < WAYS; i++) {
        if (!set[i].valid) {
            v = &set[i];
            break;
        }
        if (set[i].used < v->used)
            v = &set[i];
    }
    v->s = *s;
    v->valid = 1;
    v->loaded = now_s();
    v->used = ++ctick;
}

static void cache_drop(const uint8_t h[32])
{
    struct centry *e = cache_find(h);
    if (e)
        e->valid = 0;
}

static int on_session(void *arg, unsigned ncol, const char *const *names, const struct store_value *v)
{
    (void)names;
    struct auth_session *s = arg;
    if (ncol < 4 || v[0].type != STORE_INT || v[2].type != STORE_TEXT || v[2].len != AUTH_CSRF_CHARS ||
        v[3].type != STORE_INT)
        return 1;
    s->role = v[1].type == STORE_TEXT ? auth_role_index(v[1].p, v[1].len) : -1;
    memcpy(s->csrf, v[2].p, AUTH_CSRF_CHARS);
    s->csrf[AUTH_CSRF_CHARS] = 0;
    s->expires = v[3].i;
    s->user_id = v[0].i;
    return 1;
}

int auth_session_find(const struct conn *c, struct auth_session *s)
{
    size_t fl, vl;
    const char *f = http_header(c->in, &c->rq, "cookie", &fl);
    const char *v = f ? cookie_get(f, fl, A->cookie, &vl) : NULL;
    if (!v || vl != AUTH_SID_CHARS)
        return 0;
    uint8_t h[32];
    sha256_digest(v, vl, h);
    struct centry *e = cache_find(h);
    if (e && now_s() - e->loaded >= CACHE_FRESH_S) {
        e->valid = 0;                   /* rows deleted by hand end their sessions too */
        e = NULL;
    }
    if (e) {
        e->used = ++ctick;
        *s = e->s;
    } else {
        if (!store_ready())
            return -1;
        memset(s, 0, sizeof *s);
        s->expires = -1;
        struct store_bind b = { "h", { .type = STORE_BLOB, .p = (const char *)h, .len = 32 } };
        enum store_err err = store_exec("SELECT user_id, role, csrf, expires FROM _appliance_sessions WHERE id_hash = :h",
                                        &b, 1, on_session, s, NULL);
        if (err != STORE_OK && err != STORE_E_ABORT)
            return -1;
        if (s->expires < 0)
            return 0;
        memcpy(s->hash, h, 32);
        cache_put(s);
    }
    if (s->expires <= now_s()) {
        auth_session_delete(h);
        return 0;
    }
    return 1;
}

int auth_session_create(int64_t user, const char *role, char sid[AUTH_SID_CHARS + 1], char csrf[AUTH_CSRF_CHARS + 1])
{
    uint8_t r[48];
    if (!csprng_ready() || csprng_fill(r, sizeof r) < 0) {
        log_error("auth", "no session: the random source is not seeded from hardware");
        return -1;
    }
    base64_encode(r, 32, 1, sid, AUTH_SID_CHARS + 1);
    base64_encode(r + 32, 16, 1, csrf, AUTH_CSRF_CHARS + 1);
    memset(r, 0, sizeof r);
    struct auth_session s = { .user_id = user, .role = role ? auth_role_index(role, strlen(role)) : -1,
                              .expires = now_s() + (int64_t)A->session_max_age_s };
    sha256_digest(sid, AUTH_SID_CHARS, s.hash);
    memcpy(s.csrf, csrf, AUTH_CSRF_CHARS + 1);
    /* Expired sessions go, at most once a minute, as new ones come. */
    static int64_t last_sweep;
    if (now_s() - last_sweep >= 60) {
        last_sweep = now_s();
        struct store_bind t = { "t", { .type = STORE_INT, .i = now_s() } };
        store_exec("DELETE FROM _appliance_sessions WHERE expires <= :t", &t, 1, NULL, NULL, NULL);
    }
    struct store_bind b[6] = {
        { "h", { .type = STORE_BLOB, .p = (const char *)s.hash, .len = 32 } },
        { "u", { .type = STORE_INT, .i = user } },
        { "r", role ? (struct store_value){ .type = STORE_TEXT, .p = role, .len = strlen(role) }
                    : (struct store_value){ .type = STORE_NULL } },
        { "c", { .type = STORE_TEXT, .p = csrf, .len = AUTH_CSRF_CHARS } },
        { "n", { .type = STORE_INT, .i = now_s() } },
        { "e", { .type = STORE_INT, .i = s.expires } },
    };
    enum store_err e = store_exec("INSERT INTO _appliance_sessions(id_hash, user_id, role, csrf, created, expires) "
                                  "VALUES (:h, :u, :r, :c, :n, :e)", b, 6, NULL, NULL, NULL);
    if (e != STORE_OK) {
        log_warn("auth", "session not stored: %s", store_errmsg());
        return -1;
    }
    cache_put(&s);
    return 0;
}

void auth_session_delete(const uint8_t h[32])
{
    cache_drop(h);
    struct store_bind b = { "h", { .type = STORE_BLOB, .p = (const char *)h, .len = 32 } };
    if (store_ready() &&
        store_exec("DELETE FROM _appliance_sessions WHERE id_hash = :h", &b, 1, NULL, NULL, NULL) != STORE_OK)
        log_warn("auth", "session not deleted: %s", store_errmsg());
}

void auth_cookie(struct conn *c, const char *sid)
{
    static const char *const ss[] = { "Lax", "Strict", "None" };
    char dom[300] = "";
    if (A->session_domain)
        snprintf(dom, sizeof dom, "; Domain=%s", A->session_domain);
    http_extra(c, "Set-Cookie: %s=%s; Path=%s; Max-Age=%u%s; HttpOnly; Secure; SameSite=%s\r\n", A->cookie,
               sid ? sid : "", A->session_path, sid ? A->session_max_age_s : 0, dom, ss[A->same_site]);
}

/* ---- CSRF (docs/auth.md, "CSRF"; OWASP's CSRF prevention) ---- */

int auth_origin_ok(const struct conn *c, const char *o, size_t n)
{
    for (unsigned i = 0; i < A->ncsrf_origins; i++)
        if (origin_equal(A->csrf_origin[i], strlen(A->csrf_origin[i]), o, n))
            return 1;
    /* Same origin: https:// and the request's own Host. */
    struct http_span h = c->rq.field[HF_HOST];
    char self[8 + 256];
    if (!h.off || h.len > 256)
        return 0;
    memcpy(self, "https://", 8);
    memcpy(self + 8, c->in + h.off, h.len);
    return origin_equal(self, 8 + h.len, o, n);
}

int auth_csrf(struct conn *c, const struct auth_session *s)
{
    struct http_span os = c->rq.field[HF_ORIGIN];
    const char *o = os.off ? c->in + os.off : NULL;
    size_t on = os.len;
    if (!o) {
        size_t rl;
        const char *ref = http_header(c->in, &c->rq, "referer", &rl);
        on = ref ? url_origin(ref, rl) : 0;
        o = on ? ref : NULL;
    }
    const char *why = NULL;
    if (!o)
        why = "cross-site request refused: a cookie-authenticated change needs an Origin or Referer";
    else if (!auth_origin_ok(c, o, on))
        why = "cross-site request refused: this origin may not make changes with the session cookie";
    else {
        size_t tl;
        const char *t = http_header(c->in, &c->rq, A->csrf_header, &tl);
        if (!t || tl != AUTH_CSRF_CHARS || !crypto_equal(t, s->csrf, AUTH_CSRF_CHARS))
            why = "the CSRF token is missing or wrong (send the login answer's csrf_token in the CSRF header)";
    }
    if (!why)
        return 0;
    char user[24];
    snprintf(user, sizeof user, "%lld", (long long)s->user_id);
    n_csrf++;
    audit_req(c, "csrf-refused", user, "session", why, 1);
    http_error(c, 403, why);
    return -1;
}

/* ---- credentials ---- */

static const char *scheme_name(unsigned s)
{
    return s == CONFIG_AUTH_APIKEY ? "api-key" : s == CONFIG_AUTH_JWT ? "jwt" : "session";
}

/* 401 with WWW-Authenticate (RFC 9110 11.6.1; RFC 6750 3 for Bearer). */
static int unauthorized(struct conn *c, const struct config_route *r, const char *why, int presented,
                        unsigned scheme)
{
    if (presented)
        n_refused++;
    else
        n_unauth++;
    if (presented)
        audit_req(c, "refused", NULL, scheme ? scheme_name(scheme) : NULL, why, 1);
    http_error(c, 401, why);
    if (r->auth & (CONFIG_AUTH_APIKEY | CONFIG_AUTH_JWT))
        http_extra(c, "WWW-Authenticate: Bearer realm=\"appliance\"%s%s%s\r\n",
                   presented ? ", error=\"invalid_token\", error_description=\"" : "", presented ? why : "",
                   presented ? "\"" : "");
    else
        http_extra(c, "WWW-Authenticate: Cookie realm=\"appliance\", cookie-name=\"%s\"\r\n", A->cookie);
    http_extra(c, "Cache-Control: no-store\r\n");
    return -1;
}

static int api_key(struct conn *c, const char *k, size_t n)
{
    uint8_t h[32];
    sha256_digest(k, n, h);
    int found = -1;
    /* Every key compared, each in constant time: the time says nothing
     * about which key, or how much of one, matched. */
    for (unsigned i = 0; i < A->nkeys; i++)
        if (crypto_equal(h, A->key[i].sha256, 32))
            found = (int)i;
    if (found < 0)
        return -1;
    const struct config_api_key *key = &A->key[found];
    c->id.scheme = CONFIG_AUTH_APIKEY;
    c->id.role = (int)key->role;
    c->id.has_user = key->has_user;
    c->id.user_id = key->user;
    snprintf(c->id.name, sizeof c->id.name, "%s", key->name);
    key_use[found].uses++;
    if (now_s() - key_use[found].last >= KEY_AUDIT_S) {
        char d[48];
        snprintf(d, sizeof d, "%llu use%s", (unsigned long long)key_use[found].uses, key_use[found].uses == 1 ? "" : "s");
        audit_req(c, "key-used", key->name, "api-key", d, 0);
        key_use[found].uses = 0;
        key_use[found].last = now_s();
    }
    return 0;
}

static int jwt(struct conn *c, const char *t, size_t n, const char **why)
{
    uint8_t h[32];
    sha256_digest(t, n, h);
    struct jentry *e = &jcache[(h[0] | h[1] << 8) % JWT_CACHE];
    if (e->valid && crypto_equal(e->h, h, 32)) {
        if (now_s() > e->exp + (int64_t)A->jwt_leeway_s) {
            e->valid = 0;
            *why = "the token has expired";
            return -1;
        }
        c->id = (struct auth_ident){ CONFIG_AUTH_JWT, e->role, e->has_user, e->user, { 0 } };
        memcpy(c->id.name, e->name, sizeof c->id.name);
        return 0;
    }
    struct jwt_policy p = { jkeys, A->njwt, now_s(), A->jwt_leeway_s, A->jwt_issuer, A->jwt_audience,
                            A->jwt_user_claim, A->jwt_role_claim };
    struct jwt_claims cl;
    memset(&cl, 0, sizeof cl);
    if (jwt_verify(t, n, &p, &cl, why) < 0)
        return -1;
    c->id.scheme = CONFIG_AUTH_JWT;
    c->id.role = cl.role[0] ? auth_role_index(cl.role, strlen(cl.role)) : -1;
    snprintf(c->id.name, sizeof c->id.name, "%s", cl.sub);
    /* A canonical decimal subject is also :auth_user_id. */
    c->id.has_user = jwt_subject_id(cl.sub, &c->id.user_id);
    *e = (struct jentry){ .valid = 1, .role = c->id.role, .has_user = c->id.has_user, .exp = cl.exp,
                          .user = c->id.user_id };
    memcpy(e->h, h, 32);
    memcpy(e->name, c->id.name, sizeof e->name);
    return 0;
}

int auth_request(struct http_server *srv, struct conn *c, const struct config_route *r)
{
    (void)srv;
    memset(&c->id, 0, sizeof c->id);
    c->id.role = -1;
    size_t n;
    const char *v = http_header(c->in, &c->rq, "authorization", &n);
    unsigned scheme = 0;
    const char *cred = NULL;
    if (v) {
        if (n < 8 || strncasecmp(v, "Bearer ", 7) != 0)
            return unauthorized(c, r, "Authorization takes a Bearer credential here", 1, 0);
        cred = v + 7, n -= 7;
        while (n && *cred == ' ')               /* 1*SP (RFC 9110 11.4) */
            cred++, n--;
        scheme = memchr(cred, '.', n) ? CONFIG_AUTH_JWT : CONFIG_AUTH_APIKEY;
    } else if ((v = http_header(c->in, &c->rq, A->api_key_header, &n))) {
        cred = v;
        scheme = CONFIG_AUTH_APIKEY;
    } else {
        size_t fl, vl;
        const char *f = http_header(c->in, &c->rq, "cookie", &fl);
        if (f && cookie_get(f, fl, A->cookie, &vl))
            scheme = CONFIG_AUTH_SESSION;
    }
    if (!scheme)
        return unauthorized(c, r, "this route needs credentials", 0, 0);
    if (!(r->auth & scheme)) {
        static char why[80];
        snprintf(why, sizeof why, "this route does not take %s credentials", scheme_name(scheme));
        return unauthorized(c, r, why, 1, scheme);
    }
    const char *why = "the API key is not known";
    struct auth_session s;
    if (scheme != CONFIG_AUTH_APIKEY && !auth_clock_ok()) {
        http_error(c, 503, "the appliance's clock is not set: tokens and sessions cannot be checked");
        return -1;
    }
    if (scheme == CONFIG_AUTH_APIKEY && api_key(c, cred, n) < 0)
        return unauthorized(c, r, why, 1, scheme);
    if (scheme == CONFIG_AUTH_JWT && jwt(c, cred, n, &why) < 0)
        return unauthorized(c, r, why, 1, scheme);
    if (scheme == CONFIG_AUTH_SESSION) {
        int k = auth_session_find(c, &s);
        if (k < 0) {
            http_error(c, 503, "sessions cannot be checked now (the database is not ready)");
            http_extra(c, "Retry-After: 5\r\n");
            return -1;
        }
        if (k == 0) {
            unauthorized(c, r, "the session has expired or was ended", 1, scheme);
            auth_cookie(c, NULL);               /* the browser can forget it */
            return -1;
        }
        c->id.scheme = CONFIG_AUTH_SESSION;
        c->id.role = s.role;
        c->id.has_user = 1;
        c->id.user_id = s.user_id;
        snprintf(c->id.name, sizeof c->id.name, "%lld", (long long)s.user_id);
        enum http_method m = c->rq.method;
        if ((m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH || m == HTTP_DELETE) && auth_csrf(c, &s) < 0)
            return -1;
    }
    if (r->permission >= 0 && (c->id.role < 0 || !(A->role[c->id.role].perms & (1u << r->permission)))) {
        static char msg[200];
        snprintf(msg, sizeof msg, "%s%s%s may not do this (it needs the permission '%s')",
                 c->id.role < 0 ? "a caller without a role" : "the role '",
                 c->id.role < 0 ? "" : A->role[c->id.role].name, c->id.role < 0 ? "" : "'", A->perm[r->permission]);
        n_denied++;
        audit_req(c, "denied", c->id.name, scheme_name(scheme), msg, 1);
        http_error(c, 403, msg);
        http_extra(c, "Cache-Control: no-store\r\n");
        return -1;
    }
    return 0;
}

void auth_metrics(struct sbuf *b)
{
    if (!A || !A->enabled)
        return;
    sb_printf(b, "# TYPE auth_refused_total counter\n"
              "auth_refused_total{reason=\"no credentials\"} %llu\nauth_refused_total{reason=\"bad credentials\"} %llu\n"
              "auth_refused_total{reason=\"permission\"} %llu\nauth_refused_total{reason=\"csrf\"} %llu\n",
              (unsigned long long)n_unauth, (unsigned long long)n_refused, (unsigned long long)n_denied,
              (unsigned long long)n_csrf);
}

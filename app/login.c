/* app/login.c: see login.h; the behaviour is docs/auth.md's ("Login,
 * sessions, logout", "Hashing without blocking", "Brute force").
 *
 * A hash is a job in one FIFO. The poller gives one job a slice of about
 * a millisecond per loop turn, round-robin over the first
 * hash-concurrency jobs; the rest wait. The job's connection is parked
 * (http_park) meanwhile: it holds its slot and reads nothing.
 */
#include "app/login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/auth.h"
#include "app/handlers.h"
#include "app/http_resp.h"
#include "app/json.h"
#include "app/passhash.h"
#include "kernel/kernel.h"
#include "net/net.h"
#include "store/store.h"

#define SLICE_NS 1000000ull             /* a job's turn: about a millisecond */
#define SLICE_ITER 256                  /* iterations between clock reads */
#define QUEUE_MAX 64                    /* hashes running or waiting; more get 503 */
#define CREATE_MAX (QUEUE_MAX / 2)      /* of them hash-password routes': logins keep the rest */
#define PER_ADDR_MAX 4                  /* of them one client address's */
#define USERNAME_MAX 256
#define MEMBERS 64                      /* as sql routes' bodies */
/* Bucket keys in the server's rate limiter, apart from routes' own. */
#define RL_LOGIN_BASE (CONFIG_ROUTES_MAX + 1)
#define RL_ACCOUNT (2 * CONFIG_ROUTES_MAX + 2)

enum { J_LOGIN, J_CREATE };

struct job {
    struct job *next;
    struct conn *c;
    struct http_server *srv;
    int kind;
    struct pbkdf2_state st;
    struct pbkdf2_state pad;            /* dummy iterations after a cheaper stored hash */
    int padding;
    uint32_t addr;                      /* the client's, for its share of the queue */
    uint64_t t0;                        /* ns, for the log */
    /* login */
    uint8_t want[32];
    int known;
    int64_t user;
    char role[CONFIG_NAME_MAX + 1];
    int has_role;
    char username[USERNAME_MAX + 1];
    uint32_t account;                   /* the account name's bucket key */
    /* create */
    uint8_t salt[PASSHASH_SALT];
    char bind_name[CONFIG_NAME_MAX + 8];
    char *body;
    size_t body_len;
};

static const struct config_auth *A;
static struct job *jobs;
static unsigned njobs, rr;
static uint8_t dummy_salt[PASSHASH_SALT], dummy_want[32];
static uint64_t hashed, logins_ok, logins_failed, logins_limited;

static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000u; }

static const char FAILED[] = "wrong username or password";

/* ---- the job queue ---- */

static void unlink_job(struct job *j)
{
    for (struct job **p = &jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            njobs--;
            return;
        }
}

static void free_job(struct job *j)
{
    memset(&j->st, 0, sizeof j->st);
    memset(&j->pad, 0, sizeof j->pad);
    if (j->body)
        memset(j->body, 0, j->body_len);       /* it holds the password */
    free(j->body);
    free(j);
}

static void login_answer(struct conn *c, void *arg);
static void create_answer(struct conn *c, void *arg);

static int hash_poll(void *arg)
{
    (void)arg;
    if (!jobs)
        return 0;
    unsigned k = njobs < A->hash_concurrency ? njobs : A->hash_concurrency;
    struct job *j = jobs;
    for (unsigned i = rr++ % k; i; i--)
        j = j->next;
    uint64_t t0 = clock_monotonic_ns();
    int done;
    do
        done = pbkdf2_step(&j->st, SLICE_ITER) && (!j->padding || pbkdf2_step(&j->pad, SLICE_ITER));
    while (!done && clock_monotonic_ns() - t0 < SLICE_NS);
    if (done) {
        unlink_job(j);
        hashed++;
        http_resume(j->c, j->kind == J_LOGIN ? login_answer : create_answer, j);
        free_job(j);
    }
    return 1;
}

/* Queue a job whose pbkdf2 state is set up, and park its request. */
static int enqueue(struct conn *c, struct job *j)
{
    if (http_park(c) < 0) {
        free_job(j);
        http_error(c, 503, "no memory for this request: try again");
        return -1;
    }
    j->c = c;
    j->t0 = clock_monotonic_ns();
    struct job **p = &jobs;
    while (*p)
        p = &(*p)->next;
    *p = j;
    njobs++;
    return 0;
}

void login_cancel(struct conn *c)
{
    for (struct job *j = jobs; j; j = j->next)
        if (j->c == c) {
            unlink_job(j);
            free_job(j);
            return;
        }
}

int login_init(const struct config *c)
{
    A = &c->auth;
    int need = A->enabled;
    for (unsigned i = 0; i < c->nroutes; i++)
        need |= c->routes[i].hash_password != NULL;
    if (!need)
        return 0;
    /* An unknown user is checked against this: the same work as a real
     * hash with the configured count, and it never matches. */
    rand_weak_fill(dummy_salt, sizeof dummy_salt);
    rand_weak_fill(dummy_want, sizeof dummy_want);
    if (loop_add_poller(hash_poll, NULL) < 0) {
        log_error("auth", "no poller slot for password hashing");
        return -1;
    }
    return 0;
}

/* ---- shared checks ---- */

/* A job, if the queue has room for one more of this kind from this
 * address; else NULL with the 503 prepared. */
static struct job *new_job(struct http_server *srv, struct conn *c, int kind)
{
    uint32_t addr = stream_peer_addr(c->s);
    unsigned mine = 0, creates = 0;
    for (struct job *j = jobs; j; j = j->next) {
        mine += j->addr == addr;
        creates += j->kind == J_CREATE;
    }
    if (njobs >= QUEUE_MAX || mine >= PER_ADDR_MAX || (kind == J_CREATE && creates >= CREATE_MAX)) {
        http_error(c, 503, "too many password hashes are waiting: try again");
        http_extra(c, "Retry-After: 2\r\n");
        return NULL;
    }
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        http_error(c, 503, "no memory for this request: try again");
        return NULL;
    }
    j->srv = srv;
    j->kind = kind;
    j->addr = addr;
    return j;
}

static int is_json(const struct conn *c)
{
    size_t n;
    const char *t = http_header(c->in, &c->rq, "content-type", &n);
    return t && n >= 16 && !strncasecmp(t, "application/json", 16) && (n == 16 || t[16] == ';' || t[16] == ' ');
}

/* The body's members: their count, or -1 with the 400/415 prepared.
 * scratch must be freed by the caller. */
static int members(struct conn *c, const char *body, size_t len, struct json_member *m, char **scratch)
{
    *scratch = NULL;
    if (!is_json(c)) {
        http_error(c, 415, "the body must be JSON (Content-Type: application/json)");
        return -1;
    }
    *scratch = malloc(len + 2 * MEMBERS + 16);
    if (!*scratch) {
        http_error(c, 503, "no memory for this request: try again");
        return -1;
    }
    const char *why;
    size_t at;
    int n = json_object(body, len, m, MEMBERS, *scratch, &why, &at);
    if (n < 0) {
        char msg[200];
        snprintf(msg, sizeof msg, "the body is not valid JSON: %s (at byte %zu)", why, at);
        http_error(c, 400, msg);
    }
    return n;
}

static const struct json_member *get(const struct json_member *m, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(m[i].name, name))
            return &m[i];
    return NULL;
}

/* ---- login ---- */

struct user_row { int found; int64_t user; char hash[PASSHASH_MAX]; int has_hash; char role[CONFIG_NAME_MAX + 1]; int has_role; int bad; };

static int on_user(void *arg, unsigned ncol, const char *const *names, const struct store_value *v)
{
    struct user_row *u = arg;
    for (unsigned i = 0; i < ncol; i++) {
        if ((!strcmp(names[i], "user_id") || (!strcmp(names[i], "id") && !u->found)) && v[i].type == STORE_INT) {
            u->user = v[i].i;
            u->found = 1;
        } else if (!strcmp(names[i], "password_hash") && v[i].type == STORE_TEXT && v[i].len < PASSHASH_MAX) {
            memcpy(u->hash, v[i].p, v[i].len);
            u->hash[v[i].len] = 0;
            u->has_hash = 1;
        } else if (!strcmp(names[i], "role") && v[i].type == STORE_TEXT && v[i].len <= CONFIG_NAME_MAX) {
            memcpy(u->role, v[i].p, v[i].len);
            u->role[v[i].len] = 0;
            u->has_role = 1;
        }
    }
    return 1;                           /* the first row only */
}

static void limited(struct conn *c, uint32_t retry, const char *user, const char *why)
{
    logins_limited++;
    auth_audit("login-limited", user, NULL, stream_peer_addr(c->s), "POST", c->in + c->rq.path.off, c->rq.path.len,
               why, 1);
    http_error(c, 429, "too many login attempts: try again later");
    http_extra(c, "Retry-After: %u\r\nCache-Control: no-store\r\n", retry ? retry : 1);
}

void login_route(struct http_server *srv, struct conn *c, const struct config_route *r, const char *body, size_t len)
{
    uint32_t addr = stream_peer_addr(c->s);
    /* Login CSRF: a browser posting from another site's page is refused
     * when it says so (Origin); without Origin, the request goes on. */
    struct http_span os = c->rq.field[HF_ORIGIN];
    if (os.off && !auth_origin_ok(c, c->in + os.off, os.len)) {
        http_error(c, 403, "cross-site login refused: this origin may not log in here");
        return;
    }
    if (!auth_clock_ok()) {
        http_error(c, 503, "the appliance's clock is not set: sessions cannot be given");
        return;
    }
    struct rl_result l = rl_take(&srv->rl, RL_LOGIN_BASE + (unsigned)c->route, addr, A->login_per_min,
                                 A->login_burst, now_ms());
    if (!l.allowed) {
        limited(c, l.retry_s, NULL, "over login-limit for this address");
        return;
    }
    struct json_member m[MEMBERS];
    char *scratch;
    int n = members(c, body, len, m, &scratch);
    if (n < 0)
        goto out;
    const struct json_member *un = get(m, n, "username"), *pw = get(m, n, "password");
    if (!un || !pw || un->kind != JSON_STRING || pw->kind != JSON_STRING || !un->len || un->len > USERNAME_MAX) {
        http_error(c, 400, "a login is {\"username\": \"...\", \"password\": \"...\"} (strings; a username of "
                   "1-256 bytes)");
        goto out;
    }
    if (json_utf8_len(pw->s, pw->len) > A->password_max) {
        char msg[96];
        snprintf(msg, sizeof msg, "a password is at most %u characters", A->password_max);
        http_error(c, 400, msg);
        goto out;
    }
    if (!store_ready()) {
        http_error(c, 503, "logins cannot be checked now (the database is not ready)");
        http_extra(c, "Retry-After: 5\r\n");
        goto out;
    }
    struct user_row u = { 0 };
    struct store_bind b = { "username", { .type = STORE_TEXT, .p = un->s, .len = un->len } };
    enum store_err e = store_exec(r->sql[0], &b, 1, on_user, &u, NULL);
    if (e != STORE_OK && e != STORE_E_ABORT) {
        log_warn("auth", "login route %s: its statement failed: %s", r->pattern, store_errmsg());
        http_error(c, e == STORE_E_BUSY || e == STORE_E_TIMEOUT ? 503 : 500, "the login cannot be checked now");
        goto out;
    }
    /* The account's bucket: by user id when the name is a user's (so
     * "Alice" and "ALICE" are one account under a NOCASE lookup), else by
     * the name. Every attempt takes a token before it hashes, so
     * attempts sent at once cannot all pass; a success gives it back. */
    uint8_t h[32];
    char key[40];
    if (u.found) {
        int k = snprintf(key, sizeof key, "user:%lld", (long long)u.user);
        sha256_digest(key, (size_t)k, h);
    } else {
        sha256_digest(un->s, un->len, h);
    }
    uint32_t account = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    l = rl_take(&srv->rl, RL_ACCOUNT, account, A->account_per_min, A->account_burst, now_ms());
    if (!l.allowed) {
        limited(c, l.retry_s, un->s, "over account-limit for this account");
        goto out;
    }
    struct job *j = new_job(srv, c, J_LOGIN);
    if (!j) {
        rl_refund(&srv->rl, RL_ACCOUNT, account);   /* not an attempt */
        goto out;
    }
    uint32_t iter = A->password_iterations;
    uint8_t salt[PASSHASH_SALT_MAX];
    size_t saltlen = sizeof dummy_salt;
    memcpy(salt, dummy_salt, sizeof dummy_salt);
    memcpy(j->want, dummy_want, 32);
    if (u.found && u.has_hash &&
        passhash_parse(u.hash, strlen(u.hash), &iter, salt, &saltlen, j->want) == 0) {
        j->known = 1;
    } else {
        if (u.found)
            log_warn("auth", "user %lld has no password_hash in the pbkdf2-sha256 form: its logins fail",
                     (long long)u.user);
        iter = A->password_iterations;
        saltlen = sizeof dummy_salt;
        memcpy(salt, dummy_salt, sizeof dummy_salt);
        memcpy(j->want, dummy_want, 32);
    }
    /* An older hash with fewer iterations than configured: the rest run
     * on a dummy, so the answer's time says nothing about which users
     * exist (an unknown name costs the configured count). */
    if (iter < A->password_iterations) {
        pbkdf2_start(&j->pad, "", 0, dummy_salt, sizeof dummy_salt, A->password_iterations - iter);
        j->padding = 1;
    }
    j->user = u.user;
    j->has_role = u.has_role;
    memcpy(j->role, u.role, sizeof j->role);
    memcpy(j->username, un->s, un->len + 1);
    j->account = account;
    pbkdf2_start(&j->st, pw->s, pw->len, salt, saltlen, iter);
    memset((char *)pw->s, 0, pw->len);
    enqueue(c, j);
out:
    free(scratch);
}

static void login_answer(struct conn *c, void *arg)
{
    struct job *j = arg;
    struct http_server *srv = j->srv;
    uint32_t addr = stream_peer_addr(c->s);
    double ms = (double)(clock_monotonic_ns() - j->t0) / 1e6;
    int ok = crypto_equal(j->st.t, j->want, 32) & j->known;
    char detail[64];
    snprintf(detail, sizeof detail, "hashed in %.0f ms", ms);
    if (!ok) {
        logins_failed++;
        auth_audit("login-failed", j->username, "password", addr, "POST", c->in + c->rq.path.off, c->rq.path.len,
                   detail, 1);
        http_error(c, 401, FAILED);
        http_extra(c, "WWW-Authenticate: Cookie realm=\"appliance\", cookie-name=\"%s\"\r\nCache-Control: no-store\r\n",
                   A->cookie);
        handlers_route_headers(srv, c);
        return;
    }
    char sid[AUTH_SID_CHARS + 1], csrf[AUTH_CSRF_CHARS + 1];
    if (auth_session_create(j->user, j->has_role ? j->role : NULL, sid, csrf) < 0) {
        http_error(c, 503, "the session cannot be stored now: try again");
        http_extra(c, "Retry-After: 5\r\n");
        handlers_route_headers(srv, c);
        return;
    }
    logins_ok++;
    rl_refund(&srv->rl, RL_ACCOUNT, j->account);
    char user[24];
    snprintf(user, sizeof user, "%lld", (long long)j->user);
    auth_audit("login", user, "password", addr, "POST", c->in + c->rq.path.off, c->rq.path.len, detail, 0);
    char role[2 * CONFIG_NAME_MAX + 8] = "null";
    if (j->has_role) {
        char esc[2 * CONFIG_NAME_MAX + 1];
        json_escape(j->role, strlen(j->role), esc, sizeof esc);
        snprintf(role, sizeof role, "\"%s\"", esc);
    }
    char out[256];
    int k = snprintf(out, sizeof out, "{\"user_id\":%lld,\"role\":%s,\"csrf_token\":\"%s\",\"expires_in\":%u}\n",
                     (long long)j->user, role, csrf, A->session_max_age_s);
    http_begin(c, 200);
    auth_cookie(c, sid);
    http_extra(c, "Cache-Control: no-store\r\n");
    http_body(c, "application/json", out, (size_t)k, 0);
    handlers_route_headers(srv, c);
    memset(sid, 0, sizeof sid);
}

/* ---- logout ---- */

void logout_route(struct http_server *srv, struct conn *c, const struct config_route *r)
{
    (void)srv;
    (void)r;
    struct auth_session s;
    int k = auth_session_find(c, &s);
    if (k < 0) {
        http_error(c, 503, "sessions cannot be checked now (the database is not ready)");
        http_extra(c, "Retry-After: 5\r\n");
        return;
    }
    if (k == 1) {
        if (auth_csrf(c, &s) < 0)
            return;
        auth_session_delete(s.hash);
        char user[24];
        snprintf(user, sizeof user, "%lld", (long long)s.user_id);
        auth_audit("logout", user, "session", stream_peer_addr(c->s), "POST", c->in + c->rq.path.off,
                   c->rq.path.len, NULL, 0);
    }
    http_begin(c, 204);
    auth_cookie(c, NULL);
    http_extra(c, "Cache-Control: no-store\r\n");
}

/* ---- hash-password on sql routes ---- */

void login_hash_route(struct http_server *srv, struct conn *c, const struct config_route *r,
                      const struct url_path *u, const struct router_match *rm, const char *body, size_t len)
{
    /* A hash costs what a login costs: the same per-address budget. */
    struct rl_result l = rl_take(&srv->rl, RL_LOGIN_BASE + (unsigned)c->route, stream_peer_addr(c->s),
                                 A->login_per_min, A->login_burst, now_ms());
    if (!l.allowed) {
        http_error(c, 429, "too many password hashes from this address: try again later");
        http_extra(c, "Retry-After: %u\r\nCache-Control: no-store\r\n", l.retry_s ? l.retry_s : 1);
        return;
    }
    struct json_member m[MEMBERS];
    char *scratch;
    int n = members(c, body, len, m, &scratch);
    if (n < 0)
        goto out;
    const struct json_member *pw = get(m, n, r->hash_password);
    const char *msg = NULL;
    char buf[120];
    size_t chars = pw && pw->kind == JSON_STRING ? json_utf8_len(pw->s, pw->len) : 0;
    if (!pw)
        msg = "is required";
    else if (pw->kind == JSON_NULL)
        msg = "may not be null";
    else if (pw->kind != JSON_STRING)
        msg = "must be a string";
    else if (chars < A->password_min || chars > A->password_max) {
        snprintf(buf, sizeof buf, "must be %u to %u characters long", A->password_min, A->password_max);
        msg = buf;
    }
    /* Every other value is checked before any hashing: a bad request
     * costs no hash, and its 400 lists all its errors at once. */
    if (sql_route_check(srv, c, r, u, rm, body, len, msg ? r->hash_password : NULL, msg) < 0) {
        goto out;
    }
    struct job *j = new_job(srv, c, J_CREATE);
    if (!j) {
        goto out;
    }
    if (!csprng_ready() || csprng_fill(j->salt, sizeof j->salt) < 0) {
        free_job(j);
        free(scratch);
        http_error(c, 503, "no hardware random source for a salt");
        return;
    }
    j->body = malloc(len ? len : 1);
    if (!j->body) {
        free_job(j);
        free(scratch);
        http_error(c, 503, "no memory for this request: try again");
        return;
    }
    memcpy(j->body, body, len);
    j->body_len = len;
    snprintf(j->bind_name, sizeof j->bind_name, "%s_hash", r->hash_password);
    pbkdf2_start(&j->st, pw->s, pw->len, j->salt, sizeof j->salt, A->password_iterations);
    memset((char *)pw->s, 0, pw->len);
    enqueue(c, j);
out:
    free(scratch);
}

static void create_answer(struct conn *c, void *arg)
{
    struct job *j = arg;
    char stored[PASSHASH_MAX];
    if (!passhash_format(A->password_iterations, j->salt, sizeof j->salt, j->st.t, stored, sizeof stored)) {
        http_error(c, 500, "internal error");
        return;
    }
    c->hashed = stored;
    c->hashed_name = j->bind_name;
    handlers_sql_resumed(j->srv, c, j->body, j->body_len);
    c->hashed = c->hashed_name = NULL;
    memset(stored, 0, sizeof stored);
}

void login_metrics(struct sbuf *b)
{
    if (!A || (!A->enabled && !hashed))
        return;
    sb_printf(b, "# TYPE auth_logins_total counter\nauth_logins_total{result=\"ok\"} %llu\n"
              "auth_logins_total{result=\"failed\"} %llu\nauth_logins_total{result=\"limited\"} %llu\n"
              "# TYPE auth_password_hashes_total counter\nauth_password_hashes_total %llu\n"
              "# TYPE auth_password_hashes_waiting gauge\nauth_password_hashes_waiting %u\n",
              (unsigned long long)logins_ok, (unsigned long long)logins_failed, (unsigned long long)logins_limited,
              (unsigned long long)hashed, njobs);
}

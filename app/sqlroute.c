/* app/sqlroute.c: the sql route kind (docs/store.md, "sql routes"): a
 * request's values bound to the route's statements, run in one
 * transaction, and the rows answered as JSON.
 *
 * Values: each declared param from the path, else the JSON body, else
 * the query (in that order), typed and checked (app/sqlparam.c); every
 * failing field is listed in one 400. Results: `one` answers the first
 * row as an object (no row: 404), `list` pages rows into
 * {"data":[...],"pagination":{...}} (app/sqlpage.c), `none` answers 204
 * (404 when a DELETE, PUT or PATCH changed nothing). `location` makes a
 * POST's answer 201 Created with that Location.
 *
 * Failures map to statuses: UNIQUE 409, other constraints 422, busy,
 * over the time or memory budget, or a disk error 503, anything else 500
 * with a generic message; SQLite's own message goes to the log only.
 *
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a POST or
 * PATCH with a key has its response stored with the key in the same
 * transaction as its writes; a retry with the key and the same body
 * (and query) gets that response again (Idempotent-Replayed: true), a
 * retry with another body 422, for database.idempotency (24 h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/handlers.h"
#include "app/http_resp.h"
#include "app/json.h"
#include "app/sqlpage.h"
#include "app/sqlparam.h"
#include "app/url.h"
#include "store/store.h"

#define BINDS_MAX (CONFIG_SQL_PARAMS_MAX + CONFIG_PARAMS_MAX + CONFIG_SQL_COLS_MAX + 8)   /* + paging 4, auth 3, hash 1 */
#define QUERY_PAIRS_MAX 32
#define ERRORS_MAX 2048             /* the 400's errors list, as JSON */
#define IDEM_KEY_MAX 255

/* ---- a growing JSON text ---- */

struct jb {
    char *p;
    size_t len, cap;
    int over;                       /* ran past SQL_RESPONSE_MAX or out of memory */
};

static int jb_room(struct jb *b, size_t n)
{
    if (b->over)
        return -1;
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = cap <= SQL_RESPONSE_MAX ? realloc(b->p, cap) : NULL;
    if (!p) {
        b->over = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void jb_put(struct jb *b, const char *s, size_t n)
{
    if (jb_room(b, n) == 0) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = 0;
    }
}

static void jb_puts(struct jb *b, const char *s) { jb_put(b, s, strlen(s)); }

/* A JSON string; bytes that are not UTF-8 become U+FFFD, so the answer
 * stays valid JSON whatever the database holds. */
static void jb_str(struct jb *b, const char *s, size_t n)
{
    jb_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\' && s[run] != 0x7f &&
               (unsigned char)s[run] < 0x80)
            run++;
        jb_put(b, s + i, run - i);
        i = run;
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t k = 1;
            while (k < 4 && i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
                k++;
            if (json_utf8_ok(s + i, k) && (c >= 0xf0 ? k == 4 : c >= 0xe0 ? k == 3 : k == 2)) {
                jb_put(b, s + i, k);
                i += k;
            } else {
                jb_puts(b, "\\ufffd");
                i++;
            }
            continue;
        }
        char esc[8];
        size_t k = json_escape(s + i, 1, esc, sizeof esc);
        jb_put(b, esc, k);
        i++;
    }
    jb_put(b, "\"", 1);
}

static void jb_base64(struct jb *b, const uint8_t *p, size_t n)
{
    size_t len = (n + 2) / 3 * 4;
    jb_put(b, "\"", 1);
    if (jb_room(b, len) == 0)
        b->len += base64_encode(p, n, 0, b->p + b->len, len + 1);
    jb_put(b, "\"", 1);
}

static void jb_value(struct jb *b, const struct store_value *v, int boolean)
{
    char num[40];
    switch (v->type) {
    case STORE_INT:
        if (boolean)
            jb_puts(b, v->i ? "true" : "false");
        else
            jb_put(b, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)v->i));
        break;
    case STORE_REAL:
        if (isfinite(v->d))
            jb_put(b, num, (size_t)snprintf(num, sizeof num, "%.17g", v->d));
        else
            jb_puts(b, "null");
        break;
    case STORE_TEXT: jb_str(b, v->p, v->len); break;
    case STORE_BLOB: jb_base64(b, (const uint8_t *)v->p, v->len); break;
    default: jb_puts(b, "null"); break;
    }
}

/* ---- the request's values ---- */

struct req {
    struct http_server *srv;
    struct conn *c;
    const struct config_route *r;
    const struct url_path *u;
    const struct router_match *m;
    struct json_member members[CONFIG_SQL_PARAMS_MAX * 4];
    int nmembers;
    struct { char *k, *v; size_t vlen; } query[QUERY_PAIRS_MAX];
    unsigned nquery;
    struct store_bind bind[BINDS_MAX];
    unsigned nbind;
    /* Undeclared pattern parameters' names, NUL-terminated for their
     * binds (the router's point into the pattern, "id/like"). */
    char pname[CONFIG_PARAMS_MAX][CONFIG_PATTERN_MAX + 1];
    char errors[ERRORS_MAX];
    size_t nerr_len;
    unsigned nerr;
    char *arena;
};

static void add_error(struct req *q, const char *field, const char *msg)
{
    char f[160], m[400];
    json_escape(field, strlen(field), f, sizeof f);
    json_escape(msg, strlen(msg), m, sizeof m);
    int k = snprintf(q->errors + q->nerr_len, sizeof q->errors - q->nerr_len, "%s{\"field\":\"%s\",\"message\":\"%s\"}",
                     q->nerr ? "," : "", f, m);
    if (k > 0 && (size_t)k < sizeof q->errors - q->nerr_len)
        q->nerr_len += (size_t)k;
    q->nerr++;
}

static const char *path_param(const struct req *q, const char *name)
{
    size_t k = strlen(name);
    for (unsigned i = 0; i < q->m->nparams; i++)
        if (q->m->param[i].name_len == k && !memcmp(q->m->param[i].name, name, k))
            return q->u->buf + q->u->seg[q->m->param[i].seg].off;
    return NULL;
}

static const char *query_get(const struct req *q, const char *key, size_t *len)
{
    for (unsigned i = 0; i < q->nquery; i++)
        if (!strcmp(q->query[i].k, key)) {
            *len = q->query[i].vlen;
            return q->query[i].v;
        }
    return NULL;
}

static const struct json_member *member(const struct req *q, const char *name)
{
    for (int i = 0; i < q->nmembers; i++)
        if (!strcmp(q->members[i].name, name))
            return &q->members[i];
    return NULL;
}

/* The query's pairs into the arena (decoded; first of each key kept). */
static int read_query(struct req *q, char **arena)
{
    const struct http_request *rq = &q->c->rq;
    const char *s = q->c->in + rq->query.off;
    size_t pos = 0, n = rq->query.len;
    for (;;) {
        char *k = *arena, *v = k + 128;
        int r = url_query_next(s, n, &pos, k, 128, v, n + 1);
        if (r == 0)
            return 0;
        if (r < 0) {
            add_error(q, "query", "a query parameter is badly percent-encoded or its name is over 127 bytes");
            return -1;
        }
        size_t dummy;
        if (q->nquery == QUERY_PAIRS_MAX || query_get(q, k, &dummy))
            continue;
        size_t vl = strlen(v);
        q->query[q->nquery].k = k;
        q->query[q->nquery].v = v;
        q->query[q->nquery].vlen = vl;
        q->nquery++;
        *arena = v + vl + 1;
    }
}

static void bind(struct req *q, const char *name, struct store_value v)
{
    if (q->nbind < BINDS_MAX)
        q->bind[q->nbind++] = (struct store_bind){ name, v };
}

static void collect_params(struct req *q)
{
    const struct config_sql *s = &q->r->q;
    char msg[200];
    for (unsigned i = 0; i < s->nparam; i++) {
        const struct config_param *p = &s->param[i];
        struct store_value v;
        const char *pv = path_param(q, p->name), *qv;
        const struct json_member *jm;
        size_t ql;
        int rc;
        if (pv)
            rc = sqlparam_text(p, pv, strlen(pv), &v, msg, sizeof msg);
        else if ((jm = member(q, p->name)))
            rc = sqlparam_json(p, jm, &v, msg, sizeof msg);
        else if ((qv = query_get(q, p->name, &ql)))
            rc = sqlparam_text(p, qv, ql, &v, msg, sizeof msg);
        else
            rc = sqlparam_absent(p, &v, msg, sizeof msg);
        if (rc < 0)
            add_error(q, p->name, msg);
        else
            bind(q, p->name, v);
    }
    /* Pattern parameters nobody declared: text. */
    for (unsigned i = 0; i < q->m->nparams; i++) {
        char *name = q->pname[i];
        size_t k = q->m->param[i].name_len < CONFIG_PATTERN_MAX ? q->m->param[i].name_len : CONFIG_PATTERN_MAX;
        memcpy(name, q->m->param[i].name, k);
        name[k] = 0;
        int declared = 0;
        for (unsigned j = 0; j < s->nparam; j++)
            declared |= !strcmp(s->param[j].name, name);
        if (!declared) {
            const char *pv = q->u->buf + q->u->seg[q->m->param[i].seg].off;
            bind(q, name, (struct store_value){ .type = STORE_TEXT, .p = pv, .len = strlen(pv) });
        }
    }
    /* The caller's identity (docs/auth.md): only ever from its credential,
     * and bound last, so it wins over any same-named value above (the
     * config refuses `param auth_...` and such pattern names too). */
    const struct auth_ident *id = &q->c->id;
    if (id->scheme) {
        const struct config_auth *A = &q->srv->cfg->auth;
        bind(q, "auth_user_id", id->has_user ? (struct store_value){ .type = STORE_INT, .i = id->user_id }
                                             : (struct store_value){ .type = STORE_NULL });
        bind(q, "auth_role", id->role >= 0 ? (struct store_value){ .type = STORE_TEXT, .p = A->role[id->role].name,
                                                                   .len = strlen(A->role[id->role].name) }
                                           : (struct store_value){ .type = STORE_NULL });
        bind(q, "auth_name", (struct store_value){ .type = STORE_TEXT, .p = id->name, .len = strlen(id->name) });
    }
    if (q->c->hashed)
        bind(q, q->c->hashed_name, (struct store_value){ .type = STORE_TEXT, .p = q->c->hashed,
                                                         .len = strlen(q->c->hashed) });
}

/* ---- rows ---- */

struct rows {
    const struct config_sql *s;
    struct jb *out;
    uint64_t n, want;               /* rows written, rows wanted (list: limit) */
    int more;                       /* a row past the limit exists */
    const char *sort_name, *key_name;   /* list: the cursor's columns */
    int sort_col, key_col;          /* their indexes, from the first row */
    struct store_value sv, kv;      /* the last row's, copied */
    char sv_buf[SQLPAGE_VALUE_MAX + 1], kv_buf[SQLPAGE_VALUE_MAX + 1];
    int sv_long, kv_long;
};

static int is_bool(const struct config_sql *s, const char *name)
{
    for (unsigned i = 0; i < s->nbool; i++)
        if (!strcmp(s->booleans[i], name))
            return 1;
    return 0;
}

static void keep(struct store_value *dst, char *buf, int *too_long, const struct store_value *v)
{
    *dst = *v;
    *too_long = 0;
    if (v->type == STORE_TEXT || v->type == STORE_BLOB) {
        *too_long = v->len > SQLPAGE_VALUE_MAX;
        size_t k = *too_long ? 0 : v->len;
        memcpy(buf, v->p, k);
        dst->p = buf;
        dst->len = k;
    }
}

static int on_row(void *arg, unsigned ncol, const char *const *names, const struct store_value *cols)
{
    struct rows *w = arg;
    if (w->n == w->want) {
        w->more = 1;
        return 1;
    }
    if (w->n)
        jb_put(w->out, ",", 1);
    for (unsigned i = 0; w->n == 0 && w->sort_name && i < ncol; i++) {
        if (!strcmp(names[i], w->sort_name))
            w->sort_col = (int)i;
        if (!strcmp(names[i], w->key_name))
            w->key_col = (int)i;
    }
    jb_put(w->out, "{", 1);
    for (unsigned i = 0; i < ncol; i++) {
        if (i)
            jb_put(w->out, ",", 1);
        jb_str(w->out, names[i], strlen(names[i]));
        jb_put(w->out, ":", 1);
        jb_value(w->out, &cols[i], is_bool(w->s, names[i]));
    }
    jb_put(w->out, "}", 1);
    if (w->sort_col >= 0 && (unsigned)w->sort_col < ncol)
        keep(&w->sv, w->sv_buf, &w->sv_long, &cols[w->sort_col]);
    if (w->key_col >= 0 && (unsigned)w->key_col < ncol)
        keep(&w->kv, w->kv_buf, &w->kv_long, &cols[w->key_col]);
    w->n++;
    return w->out->over;
}

/* A `one` route's row, kept for its Location (values live only while
 * the statement runs). */
static struct {
    unsigned n;
    char name[64][64];
    struct store_value v[64];
    char buf[64][SQLPAGE_VALUE_MAX + 1];
} first;

/* ---- answers ---- */

static int status_of(enum store_err e, const char **msg)
{
    switch (e) {
    case STORE_E_UNIQUE: *msg = "conflict: a record with this value exists already"; return 409;
    case STORE_E_CONSTRAINT: *msg = "the request breaks a rule of the data (a check, a required value or a reference)"; return 422;
    case STORE_E_BUSY: *msg = "the database is busy: try again"; return 503;
    case STORE_E_TIMEOUT: *msg = "the query ran past its time budget: try again later"; return 503;
    case STORE_E_IO: *msg = "the database could not reach its disk: try again later"; return 503;
    case STORE_E_NOT_READY: *msg = "the database is not ready"; return 503;
    default: *msg = "internal error"; return 500;
    }
}

static void fail_store(struct req *q, enum store_err e)
{
    const char *msg;
    int st = status_of(e, &msg);
    store_rollback();
    if (st >= 500)
        log_warn("sql", "%s %s -> %d: %s (id %s)", http_method_name(q->c->rq.method), q->r->pattern, st,
                 store_errmsg(), q->c->reqid);
    else
        log_info("sql", "%s %s -> %d: %s (id %s)", http_method_name(q->c->rq.method), q->r->pattern, st,
                 store_errmsg(), q->c->reqid);
    http_error(q->c, st, msg);
    if (st == 503)
        http_extra(q->c, "Retry-After: 1\r\n");
}

/* The route's location with :names from the row (or params, or rowid). */
static int build_location(struct req *q, int use_row, const struct store_info *info, char *out, size_t cap)
{
    const char *t = q->r->q.location;
    size_t o = 0;
    while (*t) {
        if (*t != ':') {
            if (o + 1 >= cap)
                return -1;
            out[o++] = *t++;
            continue;
        }
        const char *b = ++t;
        while ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '_')
            t++;
        size_t k = (size_t)(t - b);
        const struct store_value *v = NULL;
        for (unsigned i = 0; use_row && i < first.n; i++)
            if (strlen(first.name[i]) == k && !memcmp(first.name[i], b, k))
                v = &first.v[i];
        for (unsigned i = 0; !v && i < q->nbind; i++)
            if (strlen(q->bind[i].name) == k && !memcmp(q->bind[i].name, b, k))
                v = &q->bind[i].v;
        char tmp[64];
        const char *s = NULL;
        size_t sl = 0;
        if (v && v->type == STORE_INT) {
            sl = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)v->i);
            s = tmp;
        } else if (v && v->type == STORE_TEXT) {
            s = v->p;
            sl = v->len;
        } else if (k == 5 && !memcmp(b, "rowid", 5)) {
            sl = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)info->rowid);
            s = tmp;
        } else {
            return -1;
        }
        /* Percent-encode all but unreserved characters (RFC 3986 2.3). */
        for (size_t i = 0; i < sl; i++) {
            unsigned char c = (unsigned char)s[i];
            int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '.' || c == '_' || c == '~';
            if (o + 4 >= cap)
                return -1;
            if (plain)
                out[o++] = (char)c;
            else
                o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
        }
    }
    out[o] = 0;
    return 0;
}

static int on_one(void *arg, unsigned ncol, const char *const *names, const struct store_value *cols)
{
    struct rows *w = arg;
    if (w->n == 0) {
        first.n = ncol < 64 ? ncol : 64;
        for (unsigned i = 0; i < first.n; i++) {
            int lg;
            snprintf(first.name[i], sizeof first.name[i], "%s", names[i]);
            keep(&first.v[i], first.buf[i], &lg, &cols[i]);
        }
    }
    return on_row(w, ncol, names, cols);
}

/* ---- idempotency ---- */

struct idem {
    char key[IDEM_KEY_MAX + 1];
    char route[CONFIG_PATTERN_MAX + 20 + JWT_SUB_MAX];
    uint8_t sum[32];
    int found, replay_status;
    char location[LOCATION_MAX + 1];
    char *response;
    size_t response_len;
    uint8_t stored_sum[32];
    int64_t created;
};

static int on_idem(void *arg, unsigned ncol, const char *const *names, const struct store_value *v)
{
    (void)names;
    struct idem *d = arg;
    if (ncol < 5 || v[0].type != STORE_BLOB || v[0].len != 32)
        return 1;
    memcpy(d->stored_sum, v[0].p, 32);
    d->replay_status = (int)v[1].i;
    d->location[0] = 0;
    if (v[2].type == STORE_TEXT && v[2].len <= LOCATION_MAX) {
        memcpy(d->location, v[2].p, v[2].len);
        d->location[v[2].len] = 0;
    }
    d->response_len = v[3].type == STORE_BLOB || v[3].type == STORE_TEXT ? v[3].len : 0;
    d->response = malloc(d->response_len + 1);
    if (d->response && d->response_len)
        memcpy(d->response, v[3].p, d->response_len);
    d->created = v[4].i;
    d->found = 1;
    return 1;
}

/* 1 when answered from the store (a replay or a refusal). */
static int idem_lookup(struct req *q, struct idem *d, const char *body, size_t body_len)
{
    size_t kl;
    const char *k = http_header(q->c->in, &q->c->rq, "idempotency-key", &kl);
    if (!k)
        return 0;
    /* A structured-field string ("...") or a bare token. */
    if (kl >= 2 && k[0] == '"' && k[kl - 1] == '"')
        k++, kl -= 2;
    int ok = kl >= 1 && kl <= IDEM_KEY_MAX;
    for (size_t i = 0; ok && i < kl; i++)
        ok = k[i] > 0x20 && k[i] < 0x7f && k[i] != '"' && k[i] != '\\';
    if (!ok) {
        http_error(q->c, 400, "Idempotency-Key must be 1-255 printable characters");
        return 1;
    }
    memcpy(d->key, k, kl);
    d->key[kl] = 0;
    const struct http_request *rq = &q->c->rq;
    /* Keys are the caller's own: another caller's same key is another request. */
    const struct auth_ident *id = &q->c->id;
    snprintf(d->route, sizeof d->route, "%s %.*s%s%s%s", http_method_name(rq->method),
             (int)(rq->path.len < 200 ? rq->path.len : 200), q->c->in + rq->path.off, id->scheme ? " @" : "",
             id->scheme == CONFIG_AUTH_APIKEY ? "key:" : id->scheme == CONFIG_AUTH_JWT ? "jwt:"
             : id->scheme ? "user:" : "", id->scheme ? id->name : "");
    /* The fingerprint: query and body. A hash-password route's body holds
     * a password, and a plain SHA-256 of it would be a fast hash of that
     * password on the disk: there the fingerprint is the other members,
     * decoded (name, kind, value), never the password's. */
    const char *skip = q->r->hash_password;
    size_t fl = rq->query.len + 1 + body_len + (skip ? (size_t)q->nmembers * 64 : 0);   /* separators, kind, numbers */
    char *f = malloc(fl + 1);
    if (!f) {
        http_error(q->c, 503, "no memory");
        return 1;
    }
    memcpy(f, q->c->in + rq->query.off, rq->query.len);
    f[rq->query.len] = '\n';
    if (!skip) {
        if (body_len)
            memcpy(f + rq->query.len + 1, body, body_len);
    } else {
        size_t o = rq->query.len + 1;
        for (int i = 0; i < q->nmembers; i++) {
            const struct json_member *m = &q->members[i];
            if (!strcmp(m->name, skip))
                continue;
            o += (size_t)snprintf(f + o, fl + 1 - o, "%s%c%d%c", m->name, 0, (int)m->kind, 0);
            if (m->kind == JSON_STRING || m->kind == JSON_NESTED) {
                memcpy(f + o, m->s, m->len);
                o += m->len;
            } else {
                o += (size_t)snprintf(f + o, fl + 1 - o, "%lld %.17g", (long long)m->i, m->d);
            }
            f[o++] = 0;
        }
        fl = o;
    }
    sha256_digest(f, fl, d->sum);
    free(f);
    struct store_bind b[2] = { { "k", { .type = STORE_TEXT, .p = d->key, .len = strlen(d->key) } },
                               { "r", { .type = STORE_TEXT, .p = d->route, .len = strlen(d->route) } } };
    enum store_err e = store_exec("SELECT body_sha256, status, location, response, created_at FROM "
                                  "_appliance_idempotency WHERE key = :k AND route = :r", b, 2, on_idem, d, NULL);
    if (e != STORE_OK && e != STORE_E_ABORT) {
        fail_store(q, e);
        return 1;
    }
    int64_t now = (int64_t)(clock_wall_ns() / 1000000000ull);
    if (d->found && d->created + (int64_t)q->srv->cfg->database.idempotency_s < now) {
        d->found = 0;                   /* expired: this request starts afresh */
        free(d->response);
        d->response = NULL;
    }
    if (!d->found)
        return 0;
    if (memcmp(d->sum, d->stored_sum, 32) != 0) {
        http_error(q->c, 422, "this Idempotency-Key was used with a different request body");
        free(d->response);
        return 1;
    }
    http_begin(q->c, d->replay_status);
    if (d->location[0])
        http_extra(q->c, "Location: %s\r\n", d->location);
    http_extra(q->c, "Idempotent-Replayed: true\r\nCache-Control: no-store\r\n");
    if (d->response)
        http_body_owned(q->c, "application/json", d->response, d->response_len);
    return 1;
}

static enum store_err idem_save(struct req *q, struct idem *d, int status, const char *location,
                                const char *resp, size_t len)
{
    int64_t now = (int64_t)(clock_wall_ns() / 1000000000ull);
    struct store_bind b[7] = {
        { "k", { .type = STORE_TEXT, .p = d->key, .len = strlen(d->key) } },
        { "r", { .type = STORE_TEXT, .p = d->route, .len = strlen(d->route) } },
        { "h", { .type = STORE_BLOB, .p = (const char *)d->sum, .len = 32 } },
        { "s", { .type = STORE_INT, .i = status } },
        { "l", location ? (struct store_value){ .type = STORE_TEXT, .p = location, .len = strlen(location) }
                        : (struct store_value){ .type = STORE_NULL } },
        { "b", { .type = STORE_BLOB, .p = resp ? resp : "", .len = len } },
        { "t", { .type = STORE_INT, .i = now } },
    };
    /* Expired keys go as new ones come (created_at is indexed). */
    struct store_bind cut = { "t", { .type = STORE_INT, .i = now - (int64_t)q->srv->cfg->database.idempotency_s } };
    enum store_err e = store_exec("DELETE FROM _appliance_idempotency WHERE created_at < :t", &cut, 1, NULL, NULL, NULL);
    if (e == STORE_OK)
        e = store_exec("INSERT OR REPLACE INTO _appliance_idempotency(key, route, body_sha256, status, location, "
                       "response, created_at) VALUES (:k, :r, :h, :s, :l, :b, :t)", b, 7, NULL, NULL, NULL);
    return e;
}

/* ---- the route ---- */

static const char *const filter_names[CONFIG_SQL_COLS_MAX] = { "_f0", "_f1", "_f2", "_f3", "_f4", "_f5", "_f6", "_f7" };

/* A filter's value: integer or real when it reads as one, else text
 * (SQLite's column affinity compares either way). */
static struct store_value sniff(const char *v, size_t n)
{
    struct config_param p = { .type = CONFIG_P_INTEGER };
    struct store_value out;
    char msg[8];
    if (sqlparam_text(&p, v, n, &out, msg, sizeof msg) == 0)
        return out;
    p.type = CONFIG_P_REAL;
    if (sqlparam_text(&p, v, n, &out, msg, sizeof msg) == 0)
        return out;
    return (struct store_value){ .type = STORE_TEXT, .p = v, .len = n };
}

static int parse_count(const char *v, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t x = 0;
    if (!n || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (x > max)
        return -1;
    *out = x;
    return 0;
}

/* The list's paging from the query into pg, limit and offset; errors
 * are added to q. */
static void list_args(struct req *q, struct sqlpage *pg, uint64_t *limit, uint64_t *offset, char *cursor_store)
{
    const struct config_sql *s = &q->r->q;
    size_t n;
    const char *v;
    char msg[160];
    memset(pg, 0, sizeof *pg);
    const char *sort = query_get(q, "sort", &n);
    if (sqlpage_sort(s, sort, sort ? n : 0, pg) < 0) {
        char allowed[256] = "";
        size_t o = (size_t)snprintf(allowed, sizeof allowed, "%s", s->key);
        for (unsigned i = 0; i < s->nsort && o < sizeof allowed; i++)
            o += (size_t)snprintf(allowed + o, sizeof allowed - o, ", %s", s->sort_by[i]);
        snprintf(msg, sizeof msg, "can sort by %s (with '-' for descending) only", allowed);
        add_error(q, "sort", msg);
    }
    *limit = s->page_default;
    if ((v = query_get(q, "limit", &n)) && (parse_count(v, n, s->page_max, limit) < 0 || *limit == 0)) {
        snprintf(msg, sizeof msg, "must be a whole number from 1 to %u", s->page_max);
        add_error(q, "limit", msg);
    }
    *offset = 0;
    if ((v = query_get(q, "offset", &n)) && parse_count(v, n, 1000000000, offset) < 0)
        add_error(q, "offset", "must be a whole number from 0 to 1000000000");
    if ((v = query_get(q, "cursor", &n))) {
        struct sqlpage c = *pg;
        if (query_get(q, "offset", &n))
            add_error(q, "cursor", "a cursor continues a list: give it without offset");
        else if (sqlpage_uncursor(s, v, strlen(v), &c, cursor_store) < 0)
            add_error(q, "cursor", "is not a cursor this list gave out");
        else if (sort && (c.sort != pg->sort || c.desc != pg->desc))
            add_error(q, "cursor", "belongs to another sort order: give the cursor alone");
        else
            *pg = c;
    }
    for (unsigned i = 0; i < s->nfilter; i++)
        if ((v = query_get(q, s->filter_by[i], &n))) {
            pg->filters |= 1u << i;
            bind(q, filter_names[i], sniff(v, n));
        }
}

static int wants_json(const struct conn *c)
{
    size_t n, k = 0;
    const char *v = http_header(c->in, &c->rq, "content-type", &n);
    if (!v)
        return 1;
    while (k < n && v[k] != ';' && v[k] != ' ')
        k++;
    /* application/json, or a +json type (RFC 6839 section 3.1). */
    return (k == 16 && !strncasecmp(v, "application/json", 16)) || (k > 5 && !strncasecmp(v + k - 5, "+json", 5));
}

/* The route; with check_only, only its values are checked (0: all valid,
 * nothing answered; -1: the 4xx/503 answered), xfield/xmsg one more
 * field's error from the caller. */
static int sql_run(struct http_server *srv, struct conn *c, const struct config_route *r, const struct url_path *u,
                   const struct router_match *m, const char *body, size_t body_len, int check_only,
                   const char *xfield, const char *xmsg)
{
    static struct req q;
    int rc = -1;
    memset(&q, 0, sizeof q);
    q.srv = srv, q.c = c, q.r = r, q.u = u, q.m = m;
    const struct config_sql *s = &r->q;
    if (!store_ready()) {
        http_error(c, 503, "the database is not ready");
        http_extra(c, "Retry-After: 5\r\n");
        return -1;
    }
    if (body_len && !wants_json(c)) {
        http_error(c, 415, "the body must be JSON (Content-Type: application/json)");
        return -1;
    }
    /* One arena: the query decoded, the JSON's names and strings, a cursor. */
    size_t qlen = c->rq.query.len;
    /* The query part: each kept pair takes 128 (its key) + its value + 1,
     * and every call of url_query_next may write a key and a value as long
     * as the whole query after the last kept pair: at most
     * (pairs + 1) * 129 + 2 * qlen + 1 bytes. */
    size_t cap = 2 * qlen + (QUERY_PAIRS_MAX + 2) * 130 + body_len + 2 * (sizeof q.members / sizeof q.members[0]) +
                 16 + SQLPAGE_CURSOR_MAX;
    char *arena = malloc(cap);
    if (!arena) {
        http_error(c, 503, "no memory for this request: try again");
        return -1;
    }
    char *ap = arena;
    char *cursor_store = ap;
    ap += SQLPAGE_CURSOR_MAX;
    char *json_scratch = ap;
    ap += body_len + 2 * (sizeof q.members / sizeof q.members[0]) + 16;
    struct jb out = { 0 };
    struct idem *idem = NULL;
    if (body_len) {
        const char *why;
        size_t at;
        q.nmembers = json_object(body, body_len, q.members, sizeof q.members / sizeof q.members[0], json_scratch,
                                 &why, &at);
        if (q.nmembers < 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "the body is not valid JSON: %s (at byte %zu)", why, at);
            http_error(c, 400, msg);
            goto done;
        }
    }
    read_query(&q, &ap);
    collect_params(&q);
    if (xfield)
        add_error(&q, xfield, xmsg);
    struct sqlpage pg;
    uint64_t limit = 0, offset = 0;
    if (s->result == CONFIG_RESULT_LIST)
        list_args(&q, &pg, &limit, &offset, cursor_store);
    if (q.nerr) {
        jb_puts(&out, "{\"error\":{\"status\":400,\"message\":\"the request has invalid values\",\"errors\":[");
        jb_put(&out, q.errors, q.nerr_len);
        jb_puts(&out, "]}}\n");
        if (out.over) {
            http_error(c, 400, "the request has invalid values");
            goto done;
        }
        http_begin(c, 400);
        http_extra(c, "Cache-Control: no-store\r\n");
        http_body_owned(c, "application/json", out.p, out.len);
        out.p = NULL;
        goto done;
    }
    if (check_only) {
        rc = 0;
        goto done;
    }
    int idem_method = c->rq.method == HTTP_POST || c->rq.method == HTTP_PATCH;
    if (idem_method) {
        idem = calloc(1, sizeof *idem);
        if (!idem) {
            http_error(c, 503, "no memory for this request: try again");
            goto done;
        }
    }
    enum store_err e = store_begin();
    if (e != STORE_OK) {
        fail_store(&q, e);
        goto done;
    }
    if (idem && idem_lookup(&q, idem, body, body_len)) {
        store_rollback();
        goto done;
    }
    struct store_info info = { 0 };
    for (unsigned k = 0; k + 1 < r->nsql; k++)
        if ((e = store_exec(r->sql[k], q.bind, q.nbind, NULL, NULL, &info)) != STORE_OK) {
            fail_store(&q, e);
            goto done;
        }
    struct rows w = { .s = s, .out = &out, .sort_col = -1, .key_col = -1 };
    const char *last = r->sql[r->nsql - 1];
    int status = 200;
    char location[LOCATION_MAX + 1] = "";
    if (s->result == CONFIG_RESULT_LIST) {
        static char sql[SQLPAGE_SQL_MAX];
        if (sqlpage_sql(s, last, &pg, sql, sizeof sql) < 0) {
            http_error(c, 500, "internal error");
            log_error("sql", "%s: the paged statement is longer than %d bytes", r->pattern, SQLPAGE_SQL_MAX);
            store_rollback();
            goto done;
        }
        bind(&q, "_limit", (struct store_value){ .type = STORE_INT, .i = (int64_t)limit + 1 });
        bind(&q, "_offset", (struct store_value){ .type = STORE_INT, .i = (int64_t)offset });
        if (pg.has_cursor) {
            bind(&q, "_cv", pg.cv);
            bind(&q, "_ck", pg.ck);
        }
        w.want = limit;
        w.key_name = s->key;
        w.sort_name = pg.sort >= 0 ? s->sort_by[pg.sort] : s->key;
        jb_puts(&out, "{\"data\":[");
        e = store_exec(sql, q.bind, q.nbind, on_row, &w, &info);
        if (e == STORE_E_ABORT && !out.over)
            e = STORE_OK;               /* stopped at limit + 1: there is more */
        jb_puts(&out, "],\"pagination\":{");
        char num[96];
        jb_put(&out, num, (size_t)snprintf(num, sizeof num, "\"limit\":%llu,", (unsigned long long)limit));
        if (!pg.has_cursor)
            jb_put(&out, num, (size_t)snprintf(num, sizeof num, "\"offset\":%llu,", (unsigned long long)offset));
        jb_puts(&out, w.more ? "\"has_more\":true,\"next_cursor\":" : "\"has_more\":false,\"next_cursor\":");
        char cur[SQLPAGE_CURSOR_MAX];
        size_t cl = 0;
        if (w.more && w.sort_col >= 0 && w.key_col >= 0 && !w.sv_long && !w.kv_long) {
            if (pg.sort < 0)
                w.sv = w.kv;
            cl = sqlpage_cursor(&pg, &w.sv, &w.kv, cur, sizeof cur);
        }
        if (cl)
            jb_str(&out, cur, cl);
        else
            jb_puts(&out, "null");
        jb_puts(&out, "}}\n");
    } else {
        w.want = 1;
        first.n = 0;
        e = store_exec(last, q.bind, q.nbind, on_one, &w, &info);
        if (e == STORE_E_ABORT && !out.over)
            e = STORE_OK;
    }
    if (e != STORE_OK) {
        fail_store(&q, e);
        goto done;
    }
    if (out.over) {
        store_rollback();
        log_error("sql", "%s: the answer is over %d MiB", r->pattern, SQL_RESPONSE_MAX >> 20);
        http_error(c, 500, "the answer is too large");
        goto done;
    }
    enum config_result res = s->result;
    if (res == CONFIG_RESULT_AUTO)
        res = info.columns ? CONFIG_RESULT_ONE : CONFIG_RESULT_NONE;
    /* No row for `one`; for `none`, a DELETE, PUT or PATCH that changed
     * nothing: 404. */
    int changer = c->rq.method == HTTP_DELETE || c->rq.method == HTTP_PUT || c->rq.method == HTTP_PATCH;
    int missing = res == CONFIG_RESULT_ONE ? !w.n : res == CONFIG_RESULT_NONE && changer && info.changes == 0;
    if (missing || res == CONFIG_RESULT_NONE) {
        free(out.p);
        out = (struct jb){ 0 };
    }
    if (missing) {
        status = 404;
        char e404[160];
        http_error_json(404, "no such record", e404, sizeof e404);
        jb_puts(&out, e404);
    } else if (res == CONFIG_RESULT_NONE) {
        status = 204;
    } else if (res == CONFIG_RESULT_ONE) {
        jb_puts(&out, "\n");
    }
    if (status < 300 && s->location && c->rq.method == HTTP_POST) {
        if (build_location(&q, res == CONFIG_RESULT_ONE, &info, location, sizeof location) < 0) {
            log_warn("sql", "%s: its location %s names a value the request and result lack", r->pattern,
                     s->location);
            location[0] = 0;
        } else {
            status = 201;
        }
    }
    if (out.over) {
        store_rollback();
        http_error(c, 503, "no memory for the answer: try again");
        goto done;
    }
    if (idem && idem->key[0] && (e = idem_save(&q, idem, status, location[0] ? location : NULL, out.p, out.len)) != STORE_OK) {
        fail_store(&q, e);
        goto done;
    }
    if ((e = store_commit()) != STORE_OK) {
        fail_store(&q, e);
        goto done;
    }
    http_begin(c, status);
    http_extra(c, "Cache-Control: no-store\r\n");
    if (location[0])
        http_extra(c, "Location: %s\r\n", location);
    if (status != 204 && out.p) {
        http_body_owned(c, "application/json", out.p, out.len);
        out.p = NULL;
    }
done:
    free(out.p);
    free(idem);
    free(arena);
    return rc;
}

void sql_route(struct http_server *srv, struct conn *c, const struct config_route *r, const struct url_path *u,
               const struct router_match *m, const char *body, size_t body_len)
{
    sql_run(srv, c, r, u, m, body, body_len, 0, NULL, NULL);
}

int sql_route_check(struct http_server *srv, struct conn *c, const struct config_route *r, const struct url_path *u,
                    const struct router_match *m, const char *body, size_t body_len, const char *field,
                    const char *msg)
{
    return sql_run(srv, c, r, u, m, body, body_len, 1, field, msg);
}

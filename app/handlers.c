/* app/handlers.c: the built-in route kinds (docs/http.md): static files
 * from the blob, redirects, health and readiness, Prometheus metrics; and
 * what no route takes: 404, 405 with Allow, OPTIONS from the route table.
 * Errors are JSON: {"error":{"status":404,"message":"Not Found"}}.
 */
#include "app/handlers.h"
#include "app/login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/handler_api.h"
#include "app/http_resp.h"
#include "app/static.h"
#include "app/url.h"
#include "net/net.h"
#include "store/store.h"

#define METRICS_MAX 65536

/* Decoded paths of one request at a time (the loop is single-threaded). */
static char pathbuf[65536 + 64];
static char name[2 * CONFIG_PATH_MAX + 600];

static struct log_limit backup_log_limit;

static const double lat_bounds[HTTP_LAT_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                     0.025, 0.05, 0.1, 0.25, 1.0 };

static void allow_list(unsigned mask, char *out, size_t cap)
{
    static const struct { unsigned bit; const char *name; } m[] = {
        { CONFIG_M_GET, "GET" }, { CONFIG_M_HEAD, "HEAD" }, { CONFIG_M_POST, "POST" },
        { CONFIG_M_PUT, "PUT" }, { CONFIG_M_PATCH, "PATCH" }, { CONFIG_M_DELETE, "DELETE" },
        { CONFIG_M_OPTIONS, "OPTIONS" },
    };
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        if (!(mask & m[i].bit))
            continue;
        int k = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", m[i].name);
        if (k > 0 && (size_t)k < cap - o)
            o += (size_t)k;
    }
}

static void json_small(struct conn *c, int status, const char *json)
{
    http_begin(c, status);
    http_extra(c, "Cache-Control: no-store\r\n");
    http_body(c, "application/json", json, strlen(json), 1);
}

/* ---- static files ---- */

static const struct static_file *find_index(const struct config_route *r, const char *dir)
{
    int k = snprintf(name, sizeof name, "%s/%s", dir, r->index ? r->index : "index.html");
    return k > 0 && (size_t)k < sizeof name ? static_find(name) : NULL;
}

static void serve_static(struct http_server *srv, struct conn *c, const struct config_route *r,
                         const struct url_path *u, const struct router_match *m)
{
    (void)srv;
    const struct http_request *rq = &c->rq;
    char rest[sizeof pathbuf];
    rest[0] = 0;
    if (m->wild && url_path_join(u, m->wild_from, rest, sizeof rest) < 0) {
        http_error(c, 414, "path too long");
        return;
    }
    const struct static_file *f;
    if (!r->target_is_dir) {
        f = static_find(r->target);
    } else {
        if (rest[0])
            snprintf(name, sizeof name, "%s/%s", r->target, rest);
        else
            snprintf(name, sizeof name, "%s", r->target);
        f = rest[0] ? static_find(name) : NULL;
        if (!f && (!rest[0] || static_is_dir(name))) {
            if (rest[0] && !u->trailing_slash) {
                /* A directory without its slash: redirect so relative links
                 * in its index resolve (nginx does the same). */
                http_begin(c, 301);
                size_t pl = rq->path.len;
                http_extra(c, "Location: %.*s/%s%.*s\r\n", (int)pl, c->in + rq->path.off,
                           rq->query.len ? "?" : "", (int)rq->query.len, c->in + rq->query.off);
                return;
            }
            char dir[sizeof name];
            snprintf(dir, sizeof dir, "%s", name);
            f = find_index(r, dir);
        }
    }
    if (!f) {
        http_error(c, 404, NULL);
        return;
    }
    /* A precompressed sibling (name.gz) for clients that take gzip. */
    const struct static_file *gz = NULL;
    snprintf(name, sizeof name, "%s.gz", f->name);
    const struct static_file *sib = static_find(name);
    struct http_span ae = rq->field[HF_ACCEPT_ENCODING];
    if (sib && ae.off && http_accepts(c->in + ae.off, ae.len, "gzip"))
        gz = sib;
    const struct static_file *sent = gz ? gz : f;
    char lm[30] = "";
    if (f->mtime)
        http_date(f->mtime, lm);
    /* Validators (RFC 9110 section 13.2.2): If-None-Match first; then
     * If-Modified-Since, only without it. */
    int not_modified = 0;
    struct http_span inm = rq->field[HF_IF_NONE_MATCH], ims = rq->field[HF_IF_MODIFIED_SINCE];
    if (inm.off) {
        not_modified = http_etag_match(c->in + inm.off, inm.len, sent->etag);
    } else if (ims.off && f->mtime) {
        int64_t t;
        not_modified = http_date_parse(c->in + ims.off, ims.len, &t) == 0 && (int64_t)f->mtime <= t;
    }
    uint64_t lo = 0, hi = sent->size ? sent->size - 1 : 0;
    int range = 0;
    struct http_span rg = rq->field[HF_RANGE], ir = rq->field[HF_IF_RANGE];
    if (!not_modified && rg.off && rq->method == HTTP_GET &&
        (!ir.off || http_span_is(c->in, ir, sent->etag) || (lm[0] && http_span_is(c->in, ir, lm))))
        range = http_range(c->in + rg.off, rg.len, sent->size, &lo, &hi);
    if (range < 0) {
        http_error(c, 416, NULL);
        http_extra(c, "Content-Range: bytes */%zu\r\n", sent->size);
        return;
    }
    http_begin(c, not_modified ? 304 : range ? 206 : 200);
    http_extra(c, "ETag: %s\r\n", sent->etag);
    if (lm[0])
        http_extra(c, "Last-Modified: %s\r\n", lm);
    http_extra(c, "Cache-Control: %s\r\n", r->cache_control ? r->cache_control : "no-cache");
    if (sib)
        http_extra(c, "Vary: Accept-Encoding\r\n");
    if (gz)
        http_extra(c, "Content-Encoding: gzip\r\n");
    http_extra(c, "Accept-Ranges: bytes\r\nContent-Security-Policy: default-src 'self'\r\n");
    if (not_modified)
        return;
    if (range)
        http_extra(c, "Content-Range: bytes %llu-%llu/%zu\r\n", (unsigned long long)lo,
                   (unsigned long long)hi, sent->size);
    size_t len = sent->size ? (size_t)(hi - lo + 1) : 0;
    http_body(c, http_media_type(f->name), sent->data + lo, len, 1);
}

/* ---- redirects ---- */

static void redirect(struct conn *c, const struct config_route *r, const struct url_path *u,
                     const struct router_match *m)
{
    char rest[sizeof pathbuf];
    rest[0] = 0;
    if (m->wild)
        url_path_join(u, m->wild_from, rest, sizeof rest);
    const char *t = r->target;
    size_t tl = strlen(t);
    /* A target ending in '*' (https://h/new/ and a star) keeps the rest of
     * the path in its place. */
    int star = tl && t[tl - 1] == '*';
    const struct http_request *rq = &c->rq;
    int keep_query = rq->query.len && !strchr(t, '?');
    size_t len = (star ? tl - 1 + strlen(rest) : tl) + (keep_query ? 1 + rq->query.len : 0);
    if (len > LOCATION_MAX) {
        http_error(c, 414, "the redirect's target would be too long");
        return;
    }
    http_begin(c, (int)r->redirect_code);
    http_extra(c, "Location: %.*s%s%s%.*s\r\n", (int)(star ? tl - 1 : tl), t, star ? rest : "",
               keep_query ? "?" : "", keep_query ? (int)rq->query.len : 0,
               keep_query ? c->in + rq->query.off : "");
}

/* Port 80 while tls is on: the route's plain-http option, else the tls
 * section's, says redirect or serve. The redirect keeps host (without
 * its port), path and query and adds https-port when it is not 443: 301
 * for GET and HEAD, 308 for the rest, which keeps the method and body
 * (RFC 9110 15.4.9). Without a Host (HTTP/1.0) the address the client
 * reached stands in. 1 when answered. */
static int https_redirect(struct http_server *srv, struct conn *c, int route)
{
    const struct config_tls *t = &srv->cfg->tls;
    if (!t->enabled || stream_is_tls(c->s))
        return 0;
    int mode = route >= 0 && srv->cfg->routes[route].plain_http ? srv->cfg->routes[route].plain_http
                                                               : t->plain_http;
    if (mode == CONFIG_PLAIN_SERVE)
        return 0;
    const struct http_request *rq = &c->rq;
    char host[256];
    struct http_span h = rq->field[HF_HOST];
    if (h.off) {
        long hl = url_host_len(c->in + h.off, h.len);
        if (hl < 0) {
            http_error(c, 400, "the Host field is not a host name or address (with an optional port)");
            return 1;
        }
        snprintf(host, sizeof host, "%.*s", (int)hl, c->in + h.off);
    } else {
        uint32_t a = stream_local_addr(c->s);
        snprintf(host, sizeof host, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    }
    char port[8] = "";
    if (t->https_port != 443)
        snprintf(port, sizeof port, ":%u", t->https_port);
    const char *path = rq->path.len ? c->in + rq->path.off : "/";
    size_t plen = rq->path.len ? rq->path.len : 1;
    if (8 + strlen(host) + strlen(port) + plen + (rq->query.len ? 1 + rq->query.len : 0) > LOCATION_MAX) {
        http_error(c, 414, "the address is too long to redirect to https");
        return 1;
    }
    int code = rq->method == HTTP_GET || rq->method == HTTP_HEAD ? 301 : 308;
    http_error(c, code, "this site is served over https");
    http_extra(c, "Location: https://%s%s%.*s%s%.*s\r\n", host, port, (int)plen, path,
               rq->query.len ? "?" : "", (int)rq->query.len, rq->query.len ? c->in + rq->query.off : "");
    srv->https_redirects++;
    return 1;
}

/* ---- metrics (Prometheus text format 0.0.4) ---- */

static void metrics(struct http_server *srv, struct conn *c)
{
    struct sbuf b = { malloc(METRICS_MAX), METRICS_MAX, 0 };
    if (!b.p) {
        http_error(c, 503, "no memory for the metrics");
        return;
    }
    static const char *cls[5] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
    sb_printf(&b, "# HELP http_requests_total Responses by route pattern and status class.\n"
             "# TYPE http_requests_total counter\n");
    for (unsigned r = 0; r <= srv->cfg->nroutes; r++)
        for (int k = 0; k < 5; k++)
            if (srv->by_route[r][k])
                sb_printf(&b, "http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                     r < srv->cfg->nroutes ? srv->cfg->routes[r].pattern : "(none)", cls[k],
                     (unsigned long long)srv->by_route[r][k]);
    sb_printf(&b, "# HELP http_request_duration_seconds From a request's first byte to its response handed to TCP.\n"
             "# TYPE http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < HTTP_LAT_BUCKETS; i++) {
        cum += srv->lat[i];
        sb_printf(&b, "http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", lat_bounds[i],
             (unsigned long long)cum);
    }
    sb_printf(&b, "http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
             "http_request_duration_seconds_sum %.6f\nhttp_request_duration_seconds_count %llu\n",
         (unsigned long long)srv->lat_count, srv->lat_sum, (unsigned long long)srv->lat_count);
    const struct stream_stats *ss = stream_stats();
    struct memory_info mi;
    memory_get_info(&mi);
    sb_printf(&b, "# TYPE http_connections_open gauge\nhttp_connections_open %u\n"
             "# TYPE http_connections_max gauge\nhttp_connections_max %u\n"
             "# TYPE http_connections_accepted_total counter\nhttp_connections_accepted_total %llu\n"
             "# TYPE http_connections_refused_total counter\nhttp_connections_refused_total %llu\n"
             "# TYPE http_timeouts_total counter\n"
             "http_timeouts_total{kind=\"header\"} %llu\nhttp_timeouts_total{kind=\"body\"} %llu\n"
             "http_timeouts_total{kind=\"send\"} %llu\nhttp_timeouts_total{kind=\"idle\"} %llu\n"
             "# TYPE http_response_body_bytes_total counter\nhttp_response_body_bytes_total %llu\n"
             "# TYPE tcp_received_bytes_total counter\ntcp_received_bytes_total %llu\n"
             "# TYPE tcp_sent_bytes_total counter\ntcp_sent_bytes_total %llu\n"
             "# TYPE memory_heap_bytes gauge\nmemory_heap_bytes %llu\n"
             "# TYPE memory_heap_used_bytes gauge\nmemory_heap_used_bytes %llu\n",
         srv->open, srv->npool, (unsigned long long)srv->accepted,
         (unsigned long long)(srv->refused + ss->refused), (unsigned long long)srv->timeout_header,
         (unsigned long long)srv->timeout_body, (unsigned long long)srv->timeout_send,
         (unsigned long long)srv->timeout_idle, (unsigned long long)srv->tx_body,
         (unsigned long long)ss->rx_bytes, (unsigned long long)ss->tx_bytes,
         (unsigned long long)mi.heap_bytes, (unsigned long long)mi.heap_used);
    auth_metrics(&b);
    login_metrics(&b);
    b.len += net_firewall_metrics(b.p + b.len, b.cap - b.len);
    b.len += net_tls_metrics(b.p + b.len, b.cap - b.len);
    http_begin(c, 200);
    http_extra(c, "Cache-Control: no-store\r\n");
    http_body_owned(c, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
}

/* ---- the online backup (docs/store.md, "Backup") ---- */

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : (ch | 32) >= 'a' && (ch | 32) <= 'f' ? (ch | 32) - 'a' + 10 : -1;
}

/* Authorization: Bearer TOKEN whose SHA-256 is the route's. The hashes are
 * compared in time independent of where they differ; comparing hashes
 * (not tokens) also keeps the time independent of the token's length. */
static int bearer_ok(const struct conn *c, const struct config_route *r)
{
    size_t n;
    const char *v = http_header(c->in, &c->rq, "authorization", &n);
    if (!v || n < 8 || strncasecmp(v, "Bearer ", 7) != 0)
        return 0;
    uint8_t got[32], want[32];
    sha256_digest(v + 7, n - 7, got);
    for (int i = 0; i < 32; i++)
        want[i] = (uint8_t)(hexval(r->token_sha256[2 * i]) << 4 | hexval(r->token_sha256[2 * i + 1]));
    return crypto_equal(got, want, 32);
}

static void backup(struct conn *c, const struct config_route *r)
{
    /* Its own token, unless the route takes the auth section's credentials
     * (checked already, in handlers_route). */
    if (r->token_sha256 && !(r->auth & ~(unsigned)CONFIG_AUTH_NONE) && !bearer_ok(c, r)) {
        uint32_t a = stream_peer_addr(c->s);
        if (log_limit_take(&backup_log_limit, clock_monotonic_ns() / 1000000u, 10, 1))
            log_warn("backup", "refused %u.%u.%u.%u: %s bearer token", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                     a & 255, http_header(c->in, &c->rq, "authorization", &(size_t){ 0 }) ? "a wrong" : "no");
        http_error(c, 401, "a backup needs the right bearer token");
        http_extra(c, "WWW-Authenticate: Bearer realm=\"backup\"\r\n");
        return;
    }
    int64_t size = store_backup_begin();
    if (size < 0) {
        log_warn("backup", "not started: %s", store_errmsg());
        http_error(c, 503, "the backup cannot start now (another is running, or the database is not ready)");
        http_extra(c, "Retry-After: 10\r\n");
        return;
    }
    char when[16];
    http_stamp((int64_t)(clock_wall_ns() / 1000000000ull), when);
    http_begin(c, 200);
    http_extra(c, "Cache-Control: no-store\r\nContent-Disposition: attachment; filename=\"appliance-%s.sqlite\"\r\n",
               when);
    http_body_source(c, "application/vnd.sqlite3", (uint64_t)size, store_backup_read, store_backup_end);
}

/* ---- C handlers (app/handler_api.h) ---- */

extern const struct handler_entry handler_table[];

struct handler_ctx {
    struct conn *c;
    const struct url_path *u;
    const struct router_match *m;
    int answered;
    const char *body;
    size_t body_len;
};

const char *handler_body(const struct handler_ctx *h, size_t *len)
{
    *len = h->body_len;
    return h->body_len ? h->body : "";
}

const char *handler_method(const struct handler_ctx *h) { return http_method_name(h->c->rq.method); }
const char *handler_request_id(const struct handler_ctx *h) { return h->c->reqid; }

const char *handler_param(const struct handler_ctx *h, const char *pname)
{
    size_t k = strlen(pname);
    for (unsigned i = 0; i < h->m->nparams; i++)
        if (h->m->param[i].name_len == k && memcmp(h->m->param[i].name, pname, k) == 0)
            return h->u->buf + h->u->seg[h->m->param[i].seg].off;
    return NULL;
}

const char *handler_query(const struct handler_ctx *h, const char *key, char *buf, size_t cap)
{
    const struct http_request *rq = &h->c->rq;
    char k[128];
    size_t pos = 0;
    int r;
    while ((r = url_query_next(h->c->in + rq->query.off, rq->query.len, &pos, k, sizeof k, buf, cap)) != 0)
        if (r > 0 && strcmp(k, key) == 0)
            return buf;
    return NULL;
}

const char *handler_header(const struct handler_ctx *h, const char *hname, size_t *len)
{
    return http_header(h->c->in, &h->c->rq, hname, len);
}

void handler_reply(struct handler_ctx *h, int status, const char *type, const void *body, size_t len)
{
    if (h->answered)
        return;
    h->answered = 1;
    http_begin(h->c, status);
    http_body(h->c, type, body, len, 0);
}

void handler_reply_json(struct handler_ctx *h, int status, const char *json)
{
    handler_reply(h, status, "application/json", json, strlen(json));
}

size_t handler_json_escape(const char *s, char *out, size_t cap)
{
    return json_escape(s, strlen(s), out, cap);
}

const struct handler_entry *handler_lookup(const char *hname)
{
    for (const struct handler_entry *e = handler_table; e->name; e++)
        if (strcmp(e->name, hname) == 0)
            return e;
    return NULL;
}

static void run_handler(struct conn *c, const struct config_route *r, const struct url_path *u,
                        const struct router_match *m, const char *body, size_t body_len)
{
    const struct handler_entry *e = handler_lookup(r->target);
    if (!e) {
        http_error(c, 501, "no handler by that name is built into this image");
        return;
    }
    struct handler_ctx h = { c, u, m, 0, body, body_len };
    e->fn(&h);
    if (!h.answered)
        http_error(c, 500, "the handler gave no answer");
}

/* ---- dispatch ---- */

static void rate_headers(struct conn *c, const struct rl_result *l);
static void cors_headers(struct conn *c, const struct config_route *r);
static int preflight(struct http_server *srv, struct conn *c, const struct url_path *u);
static void dispatch(struct http_server *srv, struct conn *c, const struct config_route *r,
                     const struct url_path *u, const struct router_match *m);
static void route_headers(struct conn *c, const struct config_route *r);

void handlers_route(struct http_server *srv, struct conn *c)
{
    const struct http_request *rq = &c->rq;
    c->route = -1;
    c->body_max = srv->lim.body_max;
    /* Nobody, until a route's credentials say otherwise: an identity
     * never carries over to the next request on the connection. */
    memset(&c->id, 0, sizeof c->id);
    c->id.role = -1;
    c->hashed = c->hashed_name = NULL;
    if (rq->path.len == 1 && c->in[rq->path.off] == '*') {     /* OPTIONS * */
        http_begin(c, 204);
        http_extra(c, "Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n");
        return;
    }
    struct url_path u = { .buf = pathbuf, .cap = sizeof pathbuf };
    const char *why = NULL;
    int st = url_path_parse(rq->path.len ? c->in + rq->path.off : "/", rq->path.len ? rq->path.len : 1,
                            &u, &why);
    if (st) {
        http_error(c, st, why);
        return;
    }
    struct router_match m;
    if (preflight(srv, c, &u))
        return;
    st = router_match(&srv->router, rq->method, &u, &m);
    if (https_redirect(srv, c, st ? -1 : (int)m.route))
        return;
    char allow[96];
    if (st == 405) {
        allow_list(m.allow | CONFIG_M_OPTIONS, allow, sizeof allow);
        if (rq->method == HTTP_OPTIONS) {
            http_begin(c, 204);                 /* answered from the route table */
        } else {
            http_error(c, 405, NULL);
        }
        http_extra(c, "Allow: %s\r\n", allow);
        return;
    }
    if (st == 404) {
        http_error(c, 404, NULL);
        return;
    }
    c->route = m.route;
    const struct config_route *r = &srv->cfg->routes[m.route];
    if (r->has_body_max)
        c->body_max = r->body_max;
    struct rl_result lim = { 1, 0, 0, 0, 0 };
    if (r->rate_per_min) {
        lim = rl_take(&srv->rl, (unsigned)m.route, stream_peer_addr(c->s), r->rate_per_min,
                      r->rate_burst, clock_monotonic_ns() / 1000000u);
        if (!lim.allowed) {
            http_error(c, 429, "rate limit exceeded: try again later");
            http_extra(c, "Retry-After: %u\r\n", lim.retry_s);
            rate_headers(c, &lim);
            return;
        }
    }
    c->lim = lim;
    /* Who is asking, before anything runs or a body is read (docs/auth.md). */
    if (r->auth && !(r->auth & CONFIG_AUTH_NONE) && auth_request(srv, c, r) < 0) {
        route_headers(c, r);
        return;
    }
    /* A sql, C handler or login route taking a body runs once the body is
     * in (handlers_body). */
    if ((r->kind == CONFIG_ROUTE_SQL || r->kind == CONFIG_ROUTE_HANDLER || r->kind == CONFIG_ROUTE_LOGIN) &&
        c->has_body &&
        (rq->method == HTTP_POST || rq->method == HTTP_PUT || rq->method == HTTP_PATCH)) {
        c->want_body = 1;
        return;
    }
    dispatch(srv, c, r, &u, &m);
    route_headers(c, r);
}

static void route_headers(struct conn *c, const struct config_route *r)
{
    if (r->rate_per_min)
        rate_headers(c, &c->lim);
    if (r->ncors || r->cors_any)
        cors_headers(c, r);
}

/* The route of the request in c again (pathbuf served other requests
 * while its body came or its password hashed): NULL after a 500. */
static const struct config_route *rematch(struct http_server *srv, struct conn *c, struct url_path *u,
                                          struct router_match *m)
{
    const struct http_request *rq = &c->rq;
    *u = (struct url_path){ .buf = pathbuf, .cap = sizeof pathbuf };
    const char *why = NULL;
    if (url_path_parse(rq->path.len ? c->in + rq->path.off : "/", rq->path.len ? rq->path.len : 1, u, &why) ||
        router_match(&srv->router, rq->method, u, m) || (int)m->route != c->route) {
        http_error(c, 500, "internal error");
        return NULL;
    }
    return &srv->cfg->routes[m->route];
}

void handlers_body(struct http_server *srv, struct conn *c)
{
    c->want_body = 0;
    struct url_path u;
    struct router_match m;
    const struct config_route *r = rematch(srv, c, &u, &m);
    if (!r)
        return;
    if (r->kind == CONFIG_ROUTE_LOGIN)
        login_route(srv, c, r, c->req_body, c->req_body_len);
    else if (r->kind == CONFIG_ROUTE_SQL && r->hash_password)
        login_hash_route(srv, c, r, &u, &m, c->req_body, c->req_body_len);
    else if (r->kind == CONFIG_ROUTE_SQL)
        sql_route(srv, c, r, &u, &m, c->req_body, c->req_body_len);
    else
        run_handler(c, r, &u, &m, c->req_body, c->req_body_len);
    if (!c->parked_head)
        route_headers(c, r);                    /* a parked one's come with its answer */
}

void handlers_sql_resumed(struct http_server *srv, struct conn *c, const char *body, size_t body_len)
{
    struct url_path u;
    struct router_match m;
    const struct config_route *r = rematch(srv, c, &u, &m);
    if (!r)
        return;
    sql_route(srv, c, r, &u, &m, body, body_len);
    route_headers(c, r);
}

void handlers_route_headers(struct http_server *srv, struct conn *c)
{
    if (c->route >= 0)
        route_headers(c, &srv->cfg->routes[c->route]);
}

/* ---- CORS (the Fetch standard's CORS protocol) ---- */

/* The request's Origin if the route allows it, else NULL. */
static const char *cors_origin(const struct conn *c, const struct config_route *r, size_t *len)
{
    struct http_span o = c->rq.field[HF_ORIGIN];
    if (!o.off || (!r->ncors && !r->cors_any))
        return NULL;
    *len = o.len;
    if (r->cors_any)
        return c->in + o.off;
    for (unsigned i = 0; i < r->ncors; i++)
        if (strlen(r->cors[i]) == o.len && memcmp(r->cors[i], c->in + o.off, o.len) == 0)
            return c->in + o.off;
    return NULL;
}

static void cors_headers(struct conn *c, const struct config_route *r)
{
    size_t n;
    const char *o = cors_origin(c, r, &n);
    http_extra(c, "Vary: Origin\r\n");
    if (!o)
        return;                                 /* no CORS headers: the browser refuses */
    if (r->cors_any)
        http_extra(c, "Access-Control-Allow-Origin: *\r\n");
    else
        http_extra(c, "Access-Control-Allow-Origin: %.*s\r\n", (int)n, o);
    if (r->cors_credentials)
        http_extra(c, "Access-Control-Allow-Credentials: true\r\n");
    http_extra(c, "Access-Control-Expose-Headers: X-Request-Id, Retry-After, RateLimit-Limit, "
                  "RateLimit-Remaining, RateLimit-Reset\r\n");
}

/* An OPTIONS request with Origin and Access-Control-Request-Method: answered
 * for the route that method would reach. 1 when answered. */
static int preflight(struct http_server *srv, struct conn *c, const struct url_path *u)
{
    const struct http_request *rq = &c->rq;
    struct http_span acrm = rq->field[HF_ACCESS_CONTROL_REQUEST_METHOD];
    if (rq->method != HTTP_OPTIONS || !acrm.off || !rq->field[HF_ORIGIN].off)
        return 0;
    enum http_method want = HTTP_METHODS;
    for (int i = 0; i < HTTP_METHODS; i++)
        if (strlen(http_method_name((enum http_method)i)) == acrm.len &&
            memcmp(http_method_name((enum http_method)i), c->in + acrm.off, acrm.len) == 0)
            want = (enum http_method)i;
    struct router_match m;
    if (want == HTTP_METHODS || router_match(&srv->router, want, u, &m) != 0)
        return 0;                               /* 404/405 as for any OPTIONS */
    const struct config_route *r = &srv->cfg->routes[m.route];
    c->route = m.route;
    size_t n;
    if (!cors_origin(c, r, &n)) {
        http_error(c, 403, "this origin may not call this route (its cors option)");
        http_extra(c, "Vary: Origin\r\n");
        return 1;
    }
    char allow[96];
    allow_list(r->methods, allow, sizeof allow);
    http_begin(c, 204);
    cors_headers(c, r);
    http_extra(c, "Access-Control-Allow-Methods: %s\r\nAccess-Control-Max-Age: 600\r\n", allow);
    /* The request headers it asks for, echoed if each is a field name. */
    size_t hl;
    const char *h = http_header(c->in, rq, "access-control-request-headers", &hl);
    int ok = h && hl && hl < 256;
    for (size_t i = 0; ok && i < hl; i++)
        ok = h[i] == ',' || h[i] == ' ' || h[i] == '-' || (h[i] >= '0' && h[i] <= '9') ||
             ((h[i] | 32) >= 'a' && (h[i] | 32) <= 'z');
    if (ok)
        http_extra(c, "Access-Control-Allow-Headers: %.*s\r\n", (int)hl, h);
    return 1;
}

/* RateLimit-* fields (the IETF httpapi draft's names): the burst, what is
 * left, and seconds until the bucket is full. */
static void rate_headers(struct conn *c, const struct rl_result *l)
{
    http_extra(c, "RateLimit-Limit: %u\r\nRateLimit-Remaining: %u\r\nRateLimit-Reset: %u\r\n",
               l->limit, l->remaining, l->reset_s);
}

static void dispatch(struct http_server *srv, struct conn *c, const struct config_route *r,
                     const struct url_path *u, const struct router_match *mp)
{
    const struct router_match m = *mp;
    switch (r->kind) {
    case CONFIG_ROUTE_STATIC:
        serve_static(srv, c, r, u, &m);
        break;
    case CONFIG_ROUTE_REDIRECT:
        redirect(c, r, u, &m);
        break;
    case CONFIG_ROUTE_HEALTH:
        json_small(c, 200, "{\"status\":\"ok\"}\n");
        break;
    case CONFIG_ROUTE_READY: {
        /* Ready: init done, HTTPS served when tls is configured, the
         * database open and migrated when there is one. */
        int ready = srv->ready && (!srv->cfg->tls.enabled || net_tls_serving()) && store_ready();
        json_small(c, ready ? 200 : 503, ready ? "{\"status\":\"ready\"}\n" : "{\"status\":\"not ready\"}\n");
        break;
    }
    case CONFIG_ROUTE_METRICS:
        metrics(srv, c);
        break;
    case CONFIG_ROUTE_SQL:
        sql_route(srv, c, r, u, &m, NULL, 0);
        break;
    case CONFIG_ROUTE_HANDLER:
        run_handler(c, r, u, &m, NULL, 0);
        break;
    case CONFIG_ROUTE_BACKUP:
        backup(c, r);
        break;
    case CONFIG_ROUTE_LOGIN:
        http_error(c, 400, "a login takes a JSON body: {\"username\": \"...\", \"password\": \"...\"}");
        break;
    case CONFIG_ROUTE_LOGOUT:
        logout_route(srv, c, r);
        break;
    }
}

void handlers_count(struct http_server *srv, struct conn *c)
{
    int k = c->status / 100 - 1;
    if (k < 0 || k > 4)
        k = 4;
    unsigned r = c->route >= 0 ? (unsigned)c->route : srv->cfg->nroutes;
    srv->by_route[r][k]++;
    double s = (double)(clock_monotonic_ns() - c->t_start) / 1e9;
    int b = 0;
    while (b < HTTP_LAT_BUCKETS && s > lat_bounds[b])
        b++;
    srv->lat[b]++;
    srv->lat_sum += s;
    srv->lat_count++;
}

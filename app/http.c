/* app/http.c: the HTTP/1.1 server: connections over net/'s streams, one
 * request at a time per connection (pipelined requests wait in order),
 * timeouts, and the answer from the router's handler (app/handlers.c).
 * docs/http.md has the behaviour; app/app.h the interface.
 *
 * A connection is a slot of a fixed pool (limits.connections, capped by
 * the heap): when every slot is taken a new connection is reset and
 * counted, and the others go on. Each slot has one buffer for a request's
 * head (request-line-max + header-max); a body is read in pieces and never
 * kept whole. A response is a head built here plus a body that is either
 * a file of the blob (sent by reference, never copied) or a small
 * generated buffer; it is written as lwIP's send buffer takes it, and the
 * rest when the client acknowledges (back-pressure, no unbounded queue).
 *
 * Timeouts (limits): header-timeout from a request's first byte to the end
 * of its head (408); body-timeout between two reads of a body (408);
 * send-timeout between two writes the client accepts (reset);
 * keepalive-timeout idle between requests (closed quietly). A slow client
 * holds a slot no longer than these, whatever it sends.
 */
#include "app/app.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/handler_api.h"
#include "app/auth.h"
#include "app/handlers.h"
#include "app/login.h"
#include "app/http_parse.h"
#include "app/http_resp.h"
#include "app/router.h"
#include "app/static.h"
#include "kernel/kernel.h"
#include "net/net.h"

#define TICK_NS 100000000ull        /* timeout scan: every 100 ms */
#define HTTP_PORT 80
#define HTTPS_PORT 443
#define DISCARD_CHUNK 4096

/* C_WAIT: parked (http_park) while a password hashes; nothing is read. */
enum { C_FREE, C_HEAD, C_BODY, C_WRITE, C_WAIT };

static struct http_server srv;
static struct conn *pool;
static unsigned npool;
static struct conn *free_list;

static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000u; }

/* ---- responses ---- */

static void hdr(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hdr(struct conn *c, const char *fmt, ...)
{
    struct sbuf b = { c->head, sizeof c->head, c->head_len };
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    c->head_len = b.len;
}

void http_begin(struct conn *c, int status)
{
    c->status = status;
    c->head_len = 0;
    c->extra_len = 0;
    c->body = NULL;
    c->body_len = 0;
    c->body_off = 0;
    c->head_off = 0;
    c->type = NULL;
}

void http_extra(struct conn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->extra + c->extra_len, sizeof c->extra - c->extra_len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof c->extra - c->extra_len)
        c->extra_len += (size_t)n;
    else
        c->extra[c->extra_len] = 0;             /* left out whole */
}

void http_body(struct conn *c, const char *type, const void *body, size_t len, int ref)
{
    c->type = type;
    if (ref || len <= sizeof c->small) {
        if (!ref) {
            memcpy(c->small, body, len);
            body = c->small;
        }
        c->body = body;
        c->body_ref = ref;
    } else {
        free(c->body_alloc);
        c->body_alloc = malloc(len);
        if (c->body_alloc)
            memcpy(c->body_alloc, body, len);
        else
            len = 0;
        c->body = c->body_alloc;
        c->body_ref = 0;
    }
    c->body_len = len;
}

#define SRC_CHUNK (64 * 1024)

void http_body_source(struct conn *c, const char *type, uint64_t len, int (*read)(uint64_t, void *, size_t),
                      void (*end)(void))
{
    c->src_buf = malloc(SRC_CHUNK);
    if (!c->src_buf) {
        end();
        http_error(c, 503, "no memory for the response: try again");
        return;
    }
    c->type = type;
    c->body = NULL;
    c->body_len = (size_t)len;
    c->body_ref = 0;
    c->src_read = read;
    c->src_end = end;
    c->src_len = c->src_off = 0;
}

static void source_end(struct conn *c)
{
    if (c->src_end)
        c->src_end();
    c->src_end = NULL;
    c->src_read = NULL;
    free(c->src_buf);
    c->src_buf = NULL;
}

/* Take ownership of a malloc'd body. */
void http_body_owned(struct conn *c, const char *type, char *body, size_t len)
{
    free(c->body_alloc);
    c->body_alloc = body;
    c->type = type;
    c->body = body;
    c->body_len = len;
    c->body_ref = 0;
}

void http_error(struct conn *c, int status, const char *message)
{
    http_begin(c, status);
    c->body_len = http_error_json(status, message, c->small, sizeof c->small);
    c->body = c->small;
    c->body_ref = 0;
    c->type = "application/json";
}

/* The head: status line, then the headers every response carries (no
 * Server banner), then the handler's. */
static void build_head(struct conn *c)
{
    char date[30];
    http_date((int64_t)(clock_wall_ns() / 1000000000ull), date);
    c->head_len = 0;
    hdr(c, "HTTP/1.1 %d %s\r\nDate: %s\r\n", c->status, http_status_text(c->status), date);
    int bodiless = c->status == 204 || c->status == 304 || c->status < 200;
    if (!bodiless) {
        if (c->type)
            hdr(c, "Content-Type: %s\r\n", c->type);
        hdr(c, "Content-Length: %zu\r\n", c->body_len);
    }
    if (c->close_after)
        hdr(c, "Connection: close\r\n");
    else if (c->rq.minor == 0)
        hdr(c, "Connection: keep-alive\r\n");
    hdr(c, "X-Request-Id: %s\r\n", c->reqid);
    if (srv.hsts[0] && stream_is_tls(c->s))     /* never over plain HTTP (RFC 6797 7.2) */
        hdr(c, "%s", srv.hsts);
    hdr(c, "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
           "Referrer-Policy: strict-origin-when-cross-origin\r\n");
    if (c->extra_len)
        hdr(c, "%s", c->extra);
    hdr(c, "\r\n");
    if (c->rq.method == HTTP_HEAD || bodiless)
        c->body_len = 0;                        /* the headers as for GET, no body */
}

/* ---- the access log ---- */

static void access_log(struct conn *c)
{
    char path[256], method[16];
    size_t plen = c->rq.path.len ? c->rq.path.len : 1;
    const char *p = c->rq.path.len ? c->in + c->rq.path.off : "/";
    if (!c->parsed) {
        p = "-";
        plen = 1;
    }
    json_escape(p, plen > 200 ? 200 : plen, path, sizeof path);
    snprintf(method, sizeof method, "%s", c->parsed ? http_method_name(c->rq.method) : "-");
    uint32_t a = stream_peer_addr(c->s);
    double ms = (double)(clock_monotonic_ns() - c->t_start) / 1e6;
    log_info("http", "{\"conn\":%llu,\"client\":\"%u.%u.%u.%u\",\"method\":\"%s\",\"path\":\"%s\","
             "\"status\":%d,\"bytes\":%zu,\"ms\":%.2f,\"id\":\"%s\"}",
             (unsigned long long)stream_id(c->s), a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
             method, path, c->status, c->body_len, ms, c->reqid);
}

/* ---- connection life ---- */

static void conn_free(struct conn *c)
{
    if (c->state == C_WAIT)
        login_cancel(c);                        /* the client left while its password hashed */
    free(c->parked_head);
    c->parked_head = NULL;
    source_end(c);
    free(c->body_alloc);
    c->body_alloc = NULL;
    free(c->req_body);
    c->req_body = NULL;
    c->req_body_len = c->req_body_cap = 0;
    c->want_body = 0;
    c->s = NULL;
    c->state = C_FREE;
    c->next_free = free_list;
    free_list = c;
    srv.open--;
}

static void conn_close(struct conn *c)
{
    stream_close(c->s);
    conn_free(c);
}

static void conn_abort(struct conn *c)
{
    stream_abort(c->s);
    conn_free(c);
}

static void new_request_id(struct conn *c)
{
    size_t n;
    const char *v = NULL;
    if (c->parsed && c->rq.field[HF_X_REQUEST_ID].off) {
        v = c->in + c->rq.field[HF_X_REQUEST_ID].off;
        n = c->rq.field[HF_X_REQUEST_ID].len;
        /* A sane client id is kept: 1-64 of [A-Za-z0-9._-]. */
        int ok = n >= 1 && n <= 64;
        for (size_t i = 0; ok && i < n; i++) {
            char ch = v[i];
            ok = (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z') || ch == '.' ||
                 ch == '_' || ch == '-';
        }
        if (ok) {
            memcpy(c->reqid, v, n);
            c->reqid[n] = 0;
            return;
        }
    }
    uint8_t r[8];
    rand_weak_fill(r, sizeof r);
    for (int i = 0; i < 8; i++)
        snprintf(c->reqid + 2 * i, 3, "%02x", r[i]);
}

/* Start writing the response prepared by http_begin/http_body. */
static void respond(struct conn *c)
{
    if (!c->reqid[0])
        new_request_id(c);
    build_head(c);
    c->state = C_WRITE;
    c->deadline = now_ms() + srv.lim.send_timeout_ms;
}

static void process(struct conn *c);

static void respond_error_close(struct conn *c, int status, const char *why)
{
    c->close_after = 1;
    http_error(c, status, why);
    respond(c);
}

/* Parking (handlers.h): the request head is kept aside, because what the
 * client pipelines after the body lands at the start of c->in. */
int http_park(struct conn *c)
{
    free(c->parked_head);
    c->parked_head = malloc(c->head_end ? c->head_end : 1);
    if (!c->parked_head)
        return -1;
    memcpy(c->parked_head, c->in, c->head_end);
    c->state = C_WAIT;
    return 0;
}

void http_resume(struct conn *c, void (*answer)(struct conn *c, void *arg), void *arg)
{
    /* The head back in c->in for the answer (c->rq points into it); what
     * was pipelined meanwhile, after it. */
    char *next = c->in_len ? malloc(c->in_len) : NULL;
    if (c->in_len && !next) {
        respond_error_close(c, 503, "no memory to finish this request");
        process(c);
        return;
    }
    if (next)
        memcpy(next, c->in, c->in_len);
    memcpy(c->in, c->parked_head, c->head_end);
    free(c->parked_head);
    c->parked_head = NULL;
    answer(c, arg);
    if (next)
        memcpy(c->in, next, c->in_len);
    free(next);
    respond(c);
    process(c);
}

/* 1 when everything was handed to the stream. */
static int pump(struct conn *c)
{
    while (c->head_off < c->head_len) {
        size_t k = stream_write(c->s, c->head + c->head_off, c->head_len - c->head_off, 0);
        if (!k)
            goto out;
        c->head_off += k;
        c->deadline = now_ms() + srv.lim.send_timeout_ms;
    }
    while (c->body_off < c->body_len) {
        if (c->src_read) {
            if (c->src_off == c->src_len) {     /* the next piece from the source */
                size_t n = c->body_len - c->body_off < SRC_CHUNK ? c->body_len - c->body_off : SRC_CHUNK;
                if (c->src_read(c->body_off, c->src_buf, n) < 0) {
                    log_warn("http", "conn %llu: the response's source failed after %zu bytes: reset",
                             (unsigned long long)stream_id(c->s), c->body_off);
                    conn_abort(c);          /* c is free now: the caller returns */
                    return 0;
                }
                c->src_len = n;
                c->src_off = 0;
            }
            size_t k = stream_write(c->s, c->src_buf + c->src_off, c->src_len - c->src_off, 0);
            if (!k)
                goto out;
            c->src_off += k;
            c->body_off += k;
            srv.tx_body += k;
            c->deadline = now_ms() + srv.lim.send_timeout_ms;
            continue;
        }
        size_t k = stream_write(c->s, c->body + c->body_off, c->body_len - c->body_off,
                                c->body_ref ? STREAM_REF : 0);
        if (!k)
            goto out;
        c->body_off += k;
        srv.tx_body += k;
        c->deadline = now_ms() + srv.lim.send_timeout_ms;
    }
    stream_flush(c->s);
    return 1;
out:
    stream_flush(c->s);
    return 0;
}

/* The response is out: log, then the next request (1) or the end (0).
 * The caller's loop goes on: no recursion, however many requests a
 * client pipelines. */
static int finish(struct conn *c)
{
    source_end(c);
    access_log(c);
    handlers_count(&srv, c);
    c->requests++;
    if (c->close_after || srv.draining) {
        conn_close(c);
        return 0;
    }
    /* Pipelined bytes after this request move to the front. */
    size_t used = c->consumed;
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    c->state = C_HEAD;
    memset(&c->scan, 0, sizeof c->scan);
    c->parsed = 0;
    c->reqid[0] = 0;
    c->t_start = clock_monotonic_ns();
    c->deadline = now_ms() + (c->in_len ? srv.lim.header_timeout_ms : srv.lim.keepalive_timeout_ms);
    return 1;
}

/* A sql route's body bytes, kept (c->want_body). The buffer grows by
 * doubling up to the body's length or the route's body-max; when the
 * heap refuses, the body is read on and dropped, and the route answers
 * 503 (req_body_cap set to SIZE_MAX marks it). */
static void body_keep(struct conn *c, const char *p, size_t n)
{
    if (!c->want_body || !n || c->req_body_cap == SIZE_MAX)
        return;
    if (c->req_body_len + n > c->req_body_cap) {
        size_t cap = c->req_body_cap ? c->req_body_cap : 4096;
        while (cap < c->req_body_len + n)
            cap *= 2;
        if (!c->rq.chunked && cap > c->rq.length)
            cap = (size_t)c->rq.length;
        char *b = realloc(c->req_body, cap);
        if (!b) {
            free(c->req_body);
            c->req_body = NULL;
            c->req_body_len = 0;
            c->req_body_cap = SIZE_MAX;
            return;
        }
        c->req_body = b;
        c->req_body_cap = cap;
    }
    memcpy(c->req_body + c->req_body_len, p, n);
    c->req_body_len += n;
}

/* The body is in: a sql route that waited for it runs now, while the
 * request's head is still in c->in. */
static void body_done(struct conn *c)
{
    if (!c->want_body)
        return;
    if (c->req_body_cap == SIZE_MAX) {
        c->want_body = 0;
        http_error(c, 503, "no memory for the request body: try again");
    } else {
        handlers_body(&srv, c);
    }
    const struct config_route *r = c->route >= 0 ? &srv.cfg->routes[c->route] : NULL;
    if (c->req_body && r && (r->kind == CONFIG_ROUTE_LOGIN || r->hash_password))
        memset(c->req_body, 0, c->req_body_len);   /* it held a password */
    free(c->req_body);
    c->req_body = NULL;
    c->req_body_len = c->req_body_cap = 0;
}

/* Body bytes p[0..n): how many belong to the body (the rest is the next
 * request), or -2 malformed, -3 over the limit; *done at its end. The
 * bytes are dropped but for a sql route's (body_keep). */
static long body_feed(struct conn *c, const char *p, size_t n, int *done)
{
    if (c->rq.chunked) {
        static char out[DISCARD_CHUNK];         /* one loop, one caller: off the stack */
        size_t on = sizeof out;
        long r = http_chunked_feed(&c->chunk, p, n, out, &on, done);
        if (r < 0)
            return -2;
        c->body_seen += on;
        if (c->body_seen > c->body_max)
            return -3;
        body_keep(c, out, on);
        return r;
    }
    size_t used = n < c->body_left ? n : (size_t)c->body_left;
    body_keep(c, p, used);
    c->body_left -= used;
    c->body_seen += used;
    *done = c->body_left == 0;
    return (long)used;
}

/* 1 when the body is complete (anything after it waits in c->in from
 * c->consumed), 0 for more later, -1 the client left, -2/-3 as above. */
static int read_body(struct conn *c)
{
    static char tmp[DISCARD_CHUNK];
    int done = 0;
    while (c->consumed < c->in_len) {           /* what came with the head first */
        long u = body_feed(c, c->in + c->consumed, c->in_len - c->consumed, &done);
        if (u < 0)
            return (int)u;
        c->consumed += (size_t)u;
        if (done) {
            body_done(c);
            return 1;
        }
    }
    c->in_len = c->consumed = 0;
    for (;;) {
        /* No more than c->in holds: what follows the body moves there. */
        size_t n = stream_read(c->s, tmp, sizeof tmp < c->in_cap ? sizeof tmp : c->in_cap);
        if (!n)
            return stream_eof(c->s) ? -1 : 0;
        c->deadline = now_ms() + srv.lim.body_timeout_ms;
        for (size_t off = 0; off < n;) {
            long u = body_feed(c, tmp + off, n - off, &done);
            if (u < 0)
                return (int)u;
            off += (size_t)u;
            if (done) {
                body_done(c);
                memcpy(c->in, tmp + off, n - off);  /* the next request's first bytes */
                c->in_len = n - off;
                c->consumed = 0;
                return 1;
            }
        }
    }
}

static void on_head(struct conn *c, int end)
{
    c->parsed = 1;
    c->want_body = 0;
    int st = http_parse_head(c->in, (size_t)end, &srv.hlim, &c->rq);
    c->consumed = (size_t)end;
    c->head_end = (size_t)end;
    new_request_id(c);
    if (st) {
        respond_error_close(c, st, c->rq.why);
        return;
    }
    /* The last request a connection may carry says so (RFC 9112 9.6). */
    c->close_after = !c->rq.keep_alive || c->requests + 1 >= srv.lim.keepalive_requests ||
                     !srv.lim.keepalive_timeout_ms || srv.draining;
    c->has_body = c->rq.chunked || (c->rq.has_length && c->rq.length > 0);
    handlers_route(&srv, c);                    /* prepares the response, may ask for the body */
    if (c->state == C_WRITE)
        return;
    if (!c->has_body) {
        respond(c);
        return;
    }
    if (!c->rq.chunked && c->rq.length > c->body_max) {
        respond_error_close(c, 413, "request body larger than this route takes");
        return;
    }
    if (c->rq.expect_continue && c->consumed == c->in_len) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_write(c->s, cont, sizeof cont - 1, STREAM_REF);
        stream_flush(c->s);
    }
    c->state = C_BODY;
    c->body_left = c->rq.chunked ? 0 : c->rq.length;
    c->body_seen = 0;
    http_chunked_init(&c->chunk);
    c->deadline = now_ms() + srv.lim.body_timeout_ms;
}

static void process(struct conn *c)
{
    for (;;) {
        if (c->state == C_HEAD) {
            size_t room = c->in_cap - c->in_len;
            size_t got = room ? stream_read(c->s, c->in + c->in_len, room) : 0;
            if (got && c->in_len == 0) {
                c->t_start = clock_monotonic_ns();
                c->deadline = now_ms() + srv.lim.header_timeout_ms;
            }
            c->in_len += got;
            int end = http_head_end(c->in, c->in_len, &c->scan, &srv.hlim);
            if (end < 0) {
                respond_error_close(c, -end, -end == 414 ? "request line too long"
                                             : -end == 431 ? "request header fields too large"
                                                           : "malformed request head");
                continue;
            }
            if (end == 0) {
                if (stream_eof(c->s))
                    conn_close(c);
                return;
            }
            on_head(c, end);
            continue;
        }
        if (c->state == C_BODY) {
            int r = read_body(c);
            if (r == 0)
                return;
            if (r == -1) {                      /* the client stopped mid-body */
                conn_close(c);
                return;
            }
            if (r == -2) {
                respond_error_close(c, 400, "malformed chunked body");
                continue;
            }
            if (r == -3) {
                respond_error_close(c, 413, "request body larger than this route takes");
                continue;
            }
            if (c->state == C_WAIT)
                return;                         /* answered later (http_resume) */
            respond(c);
            continue;
        }
        if (c->state == C_WRITE) {
            if (!pump(c) || !finish(c))
                return;
            continue;
        }
        return;
    }
}

/* ---- stream callbacks ---- */

static void *on_open(struct stream *s, void *arg)
{
    (void)arg;
    if (!free_list) {
        srv.refused++;
        return NULL;
    }
    struct conn *c = free_list;
    free_list = c->next_free;
    c->s = s;
    c->state = C_HEAD;
    c->in_len = 0;
    c->consumed = 0;
    c->requests = 0;
    c->parsed = 0;
    c->reqid[0] = 0;
    memset(&c->scan, 0, sizeof c->scan);
    c->t_start = clock_monotonic_ns();
    c->deadline = now_ms() + srv.lim.header_timeout_ms;
    srv.open++;
    srv.accepted++;
    if (srv.open > srv.peak)
        srv.peak = srv.open;
    return c;
}

static void on_readable(struct stream *s, void *ctx)
{
    (void)s;
    struct conn *c = ctx;
    /* While a response is being written, what arrives waits (pipelining
     * is answered in order; the window throttles the client). */
    if (c->state == C_HEAD || c->state == C_BODY)
        process(c);
}

static void on_writable(struct stream *s, void *ctx)
{
    (void)s;
    struct conn *c = ctx;
    if (c->state == C_WRITE)
        process(c);
}

static void on_closed(void *ctx, const char *why)
{
    struct conn *c = ctx;
    (void)why;
    srv.reset++;
    conn_free(c);                               /* the stream is gone already */
}

static const struct stream_ops ops = { on_open, on_readable, on_writable, on_closed };

/* ---- timeouts ---- */

static void tick(void *arg)
{
    (void)arg;
    uint64_t now = now_ms();
    for (unsigned i = 0; i < npool; i++) {
        struct conn *c = &pool[i];
        if (c->state == C_FREE || c->state == C_WAIT)
            continue;                           /* a parked request waits for its hash, not the client */
        if (c->state == C_WRITE) {
            process(c);                         /* retry writes lwIP's pools refused */
            if (c->state != C_WRITE)
                continue;
        }
        if (now < c->deadline)
            continue;
        if (c->state == C_HEAD && c->in_len == 0) {
            srv.timeout_idle++;
            conn_close(c);                      /* idle keep-alive or a silent client */
        } else if (c->state == C_HEAD) {
            srv.timeout_header++;
            respond_error_close(c, 408, "request head not received in time");
            process(c);
        } else if (c->state == C_BODY) {
            srv.timeout_body++;
            respond_error_close(c, 408, "request body not received in time");
            process(c);
        } else {
            srv.timeout_send++;
            conn_abort(c);                      /* the client stopped reading */
        }
    }
    loop_timer_add(clock_monotonic_ns() + TICK_NS, tick, NULL);
}

/* ---- start ---- */

int app_start(const struct config *cfg)
{
    srv.cfg = cfg;
    srv.lim = cfg->limits;
    srv.hlim = (struct http_limits){ cfg->limits.request_line_max, cfg->limits.header_max,
                                     cfg->limits.headers_max };
    uint64_t seed;
    rand_weak_fill(&seed, sizeof seed);
    rl_init(&srv.rl, seed);
    if (router_init(&srv.router, cfg->routes, cfg->nroutes) < 0 || static_init(cfg) < 0) {
        log_error("http", "cannot index the routes or the static files: not serving");
        return -1;
    }
    /* The pool: what the config asks, capped so that the slots and the
     * stack's buffers for them (window and send buffer) fit in half the heap. */
    size_t in_cap = (size_t)cfg->limits.request_line_max + cfg->limits.header_max + 8;
    size_t per = sizeof(struct conn) + in_cap + net_tcp_buffer_bytes();
    struct memory_info mi;
    memory_get_info(&mi);
    uint64_t fit = mi.heap_bytes / 2 / per;
    npool = cfg->limits.connections;
    if (npool > net_tcp_connections_max())
        npool = net_tcp_connections_max();
    if (npool > fit)
        npool = (unsigned)fit;
    if (npool < cfg->limits.connections)
        log_warn("http", "connections %u: serving %u at most (%zu KiB each with the stack's buffers; "
                 "%llu MiB heap)", cfg->limits.connections, npool, per / 1024,
                 (unsigned long long)(mi.heap_bytes >> 20));
    pool = calloc(npool, sizeof *pool);
    char *bufs = malloc((size_t)npool * in_cap);
    if (!pool || !bufs || npool == 0) {
        log_error("http", "no memory for %u connections: not serving", npool);
        return -1;
    }
    for (unsigned i = npool; i-- > 0;) {
        pool[i].in = bufs + (size_t)i * in_cap;
        pool[i].in_cap = in_cap;
        pool[i].next_free = free_list;
        free_list = &pool[i];
    }
    srv.npool = npool;
    for (unsigned i = 0; i < cfg->nroutes; i++)
        if (cfg->routes[i].kind == CONFIG_ROUTE_HANDLER && !handler_lookup(cfg->routes[i].target))
            log_warn("http", "route %s (appliance.conf line %u): no C handler '%s' is built into this "
                     "image; it answers 501", cfg->routes[i].pattern, cfg->routes[i].line,
                     cfg->routes[i].target);
    if (auth_init(cfg) < 0 || login_init(cfg) < 0)
        return -1;
    if (stream_listen(HTTP_PORT, &ops, NULL) < 0)
        return -1;
    loop_timer_add(clock_monotonic_ns() + TICK_NS, tick, NULL);
    const struct config_tls *t = &cfg->tls;
    log_info("http", "serving port %u: %u routes, %zu static files, %u connections at most%s",
             HTTP_PORT, cfg->nroutes, static_count(), npool,
             !t->enabled ? "" : t->plain_http == CONFIG_PLAIN_SERVE ? "; plain HTTP alongside https"
                                                                    : "; redirecting to https");
    if (!t->enabled)
        return 0;
    if (t->hsts)
        snprintf(srv.hsts, sizeof srv.hsts, "Strict-Transport-Security: max-age=%u%s%s\r\n", t->hsts_s,
                 t->hsts_subdomains ? "; includeSubDomains" : "", t->hsts_preload ? "; preload" : "");
    /* One pool serves both ports: TLS connections take its slots too. */
    return net_tls_start(cfg, npool, HTTPS_PORT, &ops, NULL);
}

void app_set_ready(int ready) { srv.ready = ready; }

void app_drain(void)
{
    srv.draining = 1;
    srv.ready = 0;
    stream_listen_close_all();
    for (unsigned i = 0; i < npool; i++)
        if (pool[i].state == C_HEAD && pool[i].in_len == 0)
            conn_close(&pool[i]);               /* idle between requests */
}

unsigned app_open(void) { return srv.open; }

void app_log_stats(void)
{
    log_info("http", "connections: %u open (peak %u of %u), %llu accepted, %llu refused, %llu reset; "
             "timeouts: header %llu, body %llu, send %llu, idle %llu; %llu redirected to https",
             srv.open, srv.peak, srv.npool, (unsigned long long)srv.accepted,
             (unsigned long long)srv.refused, (unsigned long long)srv.reset,
             (unsigned long long)srv.timeout_header, (unsigned long long)srv.timeout_body,
             (unsigned long long)srv.timeout_send, (unsigned long long)srv.timeout_idle,
             (unsigned long long)srv.https_redirects);
}

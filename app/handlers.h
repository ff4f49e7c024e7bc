/* app/handlers.h: what the server (app/http.c) and the handlers
 * (app/handlers.c) share inside app/: the connection, the server's state,
 * and the calls that build a response.
 *
 * A handler answers with http_begin(c, status), then any http_extra()
 * header lines ("Name: value\r\n") and http_body(); the server adds Date,
 * Content-Length, Connection, X-Request-Id and the security headers.
 */
#ifndef APP_HANDLERS_H
#define APP_HANDLERS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "app/auth.h"
#include "app/http_parse.h"
#include "app/ratelimit.h"
#include "app/router.h"
#include "kernel/kernel.h"

#define HTTP_LAT_BUCKETS 10         /* latency histogram bounds in docs/http.md */
#define LOCATION_MAX 512            /* a redirect's Location value; longer gets 414 */

struct http_server {
    const struct config *cfg;
    struct config_limits lim;
    struct http_limits hlim;
    struct router router;
    unsigned npool, open, peak;
    int ready, draining;
    uint64_t accepted, refused, reset, tx_body, https_redirects;
    char hsts[128];                 /* the Strict-Transport-Security line, "" for none */
    uint64_t timeout_header, timeout_body, timeout_send, timeout_idle;
    /* Per route (and one more for requests no route took): by status class. */
    uint64_t by_route[CONFIG_ROUTES_MAX + 1][5];
    struct ratelimit rl;
    uint64_t lat[HTTP_LAT_BUCKETS + 1];
    double lat_sum;
    uint64_t lat_count;
};

struct conn {
    struct stream *s;
    int state;
    struct conn *next_free;
    char *in;                       /* the request head (and what follows it) */
    size_t in_len, in_cap, consumed;
    struct http_scan scan;
    struct http_request rq;
    int parsed, has_body, close_after;
    unsigned requests;
    uint64_t deadline;              /* ms, for the current state's timeout */
    uint64_t t_start;               /* ns, for the access log */
    uint64_t body_left, body_seen, body_max;
    struct http_chunked chunk;
    int route;                      /* -1: none */
    struct rl_result lim;           /* the route's rate limit, for its headers */
    /* A sql route's request body, kept whole (at most the route's
     * body-max) when want_body: the route runs once it is in. */
    int want_body;
    char *req_body;
    size_t req_body_len, req_body_cap;
    char reqid[65];
    struct auth_ident id;           /* the caller, for routes that take credentials */
    /* hash-password: the stored form, and the name it is bound as, while
     * the sql route runs (app/login.c). */
    const char *hashed, *hashed_name;
    size_t head_end;                /* the request head's length in c->in */
    char *parked_head;              /* its copy while parked (http_park) */
    /* the response */
    int status;
    char head[1536];
    size_t head_len, head_off;
    char extra[768];
    size_t extra_len;
    const char *type;
    const void *body;
    size_t body_len, body_off;
    int body_ref;
    char *body_alloc;
    char small[512];
    /* A body from a source (http_body_source): read in pieces into
     * src_buf as the client takes them. */
    int (*src_read)(uint64_t off, void *buf, size_t n);
    void (*src_end)(void);
    char *src_buf;
    size_t src_len, src_off;
};

void http_begin(struct conn *c, int status);
/* A header line that does not fit in what is left of c->extra is left
 * out whole (never cut, which would break the head). */
void http_extra(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ref: body outlives the response (a file of the blob): sent, not copied. */
void http_body(struct conn *c, const char *type, const void *body, size_t len, int ref);
void http_body_owned(struct conn *c, const char *type, char *body, size_t len);
void http_error(struct conn *c, int status, const char *message);
/* A body of len bytes read from a source as the client takes it, never
 * whole in memory (the online backup). read copies [off, off + n): 0, or
 * -1 on failure (the connection is then reset: the client sees a body
 * shorter than its Content-Length). end is called once, however the
 * response ends (sent, HEAD, client gone, timeout). */
void http_body_source(struct conn *c, const char *type, uint64_t len, int (*read)(uint64_t, void *, size_t),
                      void (*end)(void));

/* A request whose answer comes later (a password hashing: app/login.c):
 * http_park from a route's body handler keeps the head aside and stops
 * reading (0, or -1 without memory); http_resume puts the head back in
 * c->in, calls answer to prepare the response, and sends it. */
int http_park(struct conn *c);
void http_resume(struct conn *c, void (*answer)(struct conn *c, void *arg), void *arg);

/* Route the parsed request and prepare its response (or leave the state
 * for the server to read a body first: c->body_max set; with want_body
 * the server keeps the body and calls handlers_body when it is in). */
void handlers_route(struct http_server *srv, struct conn *c);
void handlers_body(struct http_server *srv, struct conn *c);
/* The sql route kind (app/sqlroute.c). */
struct url_path;
void sql_route(struct http_server *srv, struct conn *c, const struct config_route *r, const struct url_path *u,
               const struct router_match *m, const char *body, size_t body_len);
/* Only the checks of a sql route's values (before a password is hashed
 * for it): 0 all valid and nothing answered, or -1 with the 400 (every
 * field's error, field's too when msg is set), 415 or 503 answered. */
int sql_route_check(struct http_server *srv, struct conn *c, const struct config_route *r, const struct url_path *u,
                    const struct router_match *m, const char *body, size_t body_len, const char *field,
                    const char *msg);
/* The C handler registered under name, or NULL (app/handler_table.c). */
const struct handler_entry *handler_lookup(const char *name);
/* A parked sql route's turn (app/login.c): the path matched again, the
 * route run with body, and the route's headers added. */
void handlers_sql_resumed(struct http_server *srv, struct conn *c, const char *body, size_t body_len);
/* The route's rate-limit and CORS headers on a prepared answer. */
void handlers_route_headers(struct http_server *srv, struct conn *c);

/* Count a finished response (status, route, latency) for the metrics. */
void handlers_count(struct http_server *srv, struct conn *c);

#endif

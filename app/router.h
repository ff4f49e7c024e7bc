/* app/router.h: route matching over the config's routes (pure).
 *
 * Patterns (docs/config.md): literal segments, :param segments and a last
 * '*' matching the rest of the path (zero or more segments). A request
 * path (decoded and normalised by url_path_parse) matches a route when
 * every segment matches; among matches the most specific wins, segment by
 * segment from the left: literal beats :param beats '*' (so
 * /api/users/me beats /api/users/:id, which beats a '*' after /api); when
 * one is a '*' taking nothing, the route without it wins. A path that
 * matches routes none of which takes the method gets 405 with their
 * methods in `allow`; no match at all is 404. Config order never matters.
 */
#ifndef APP_ROUTER_H
#define APP_ROUTER_H

#include "app/http_parse.h"
#include "app/url.h"
#include "kernel/kernel.h"

struct router_seg { uint8_t kind; uint8_t len; uint16_t off; };   /* into the pattern */
enum { RSEG_LIT, RSEG_PARAM, RSEG_WILD };

struct router {
    const struct config_route *routes;
    unsigned n;
    struct { struct router_seg seg[URL_SEGMENTS_MAX]; uint8_t nseg; } c[CONFIG_ROUTES_MAX];
};

struct router_match {
    int route;                      /* index into routes, or -1 */
    unsigned allow;                 /* CONFIG_M_* of the routes whose path matched */
    unsigned nparams;
    struct { const char *name; size_t name_len; unsigned seg; } param[CONFIG_PARAMS_MAX];
    int wild;                       /* the route ends in '*' */
    unsigned wild_from;             /* first path segment the '*' took */
};

/* Compile routes (a valid config's: patterns already checked). 0 or -1
 * when a pattern has more segments than URL_SEGMENTS_MAX. */
int router_init(struct router *rt, const struct config_route *routes, unsigned n);
/* 0 (matched: m->route), 404 or 405 (m->allow set). */
int router_match(const struct router *rt, enum http_method method, const struct url_path *u,
                 struct router_match *m);
/* CONFIG_M_* bit of an HTTP method. */
unsigned router_method_bit(enum http_method method);

#endif

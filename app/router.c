/* app/router.c: route matching (pure; rules in app/router.h). With at most
 * 128 routes of at most 32 segments a linear pass is a few microseconds at
 * worst and needs no index to keep in step with the config. */
#include "app/router.h"

#include <string.h>

unsigned router_method_bit(enum http_method m)
{
    static const unsigned bit[HTTP_METHODS] = {
        [HTTP_GET] = CONFIG_M_GET, [HTTP_HEAD] = CONFIG_M_HEAD, [HTTP_POST] = CONFIG_M_POST,
        [HTTP_PUT] = CONFIG_M_PUT, [HTTP_PATCH] = CONFIG_M_PATCH, [HTTP_DELETE] = CONFIG_M_DELETE,
        [HTTP_OPTIONS] = CONFIG_M_OPTIONS,
    };
    return (unsigned)m < HTTP_METHODS ? bit[m] : 0;
}

int router_init(struct router *rt, const struct config_route *routes, unsigned n)
{
    memset(rt, 0, sizeof *rt);
    rt->routes = routes;
    rt->n = n;
    for (unsigned r = 0; r < n; r++) {
        const char *p = routes[r].pattern;
        unsigned k = 0;
        for (size_t i = 0; p[i];) {
            while (p[i] == '/')
                i++;
            size_t s = i;
            while (p[i] && p[i] != '/')
                i++;
            if (i == s)
                break;
            if (k == URL_SEGMENTS_MAX)
                return -1;
            struct router_seg *g = &rt->c[r].seg[k++];
            g->off = (uint16_t)s;
            g->len = (uint8_t)(i - s);
            g->kind = p[s] == ':' ? RSEG_PARAM : (i - s == 1 && p[s] == '*') ? RSEG_WILD : RSEG_LIT;
        }
        rt->c[r].nseg = (uint8_t)k;
    }
    return 0;
}

/* Does route r match u? Its specificity, one kind per segment, in score
 * (lower is more specific), compared left to right. */
static int matches(const struct router *rt, unsigned r, const struct url_path *u, uint8_t *score)
{
    const char *p = rt->routes[r].pattern;
    unsigned k = rt->c[r].nseg;
    for (unsigned i = 0; i < k; i++) {
        const struct router_seg *g = &rt->c[r].seg[i];
        score[i] = g->kind;
        if (g->kind == RSEG_WILD)
            return 1;                           /* the rest, even nothing */
        if (i >= u->nseg)
            return 0;
        if (g->kind == RSEG_LIT &&
            (u->seg[i].len != g->len || memcmp(u->buf + u->seg[i].off, p + g->off, g->len) != 0))
            return 0;
    }
    return k == u->nseg;
}

static int more_specific(const uint8_t *a, unsigned na, const uint8_t *b, unsigned nb)
{
    for (unsigned i = 0; i < na && i < nb; i++)
        if (a[i] != b[i])
            return a[i] < b[i];
    /* Equal so far: the longer one's next segment is a '*' that took
     * nothing, so the shorter (exact) route is the more specific. */
    return na < nb;
}

int router_match(const struct router *rt, enum http_method method, const struct url_path *u,
                 struct router_match *m)
{
    memset(m, 0, sizeof *m);
    m->route = -1;
    unsigned bit = router_method_bit(method);
    uint8_t best[URL_SEGMENTS_MAX], score[URL_SEGMENTS_MAX];
    unsigned nbest = 0;
    for (unsigned r = 0; r < rt->n; r++) {
        if (!matches(rt, r, u, score))
            continue;
        m->allow |= rt->routes[r].methods;
        if (!(rt->routes[r].methods & bit))
            continue;
        if (m->route < 0 || more_specific(score, rt->c[r].nseg, best, nbest)) {
            m->route = (int)r;
            nbest = rt->c[r].nseg;
            memcpy(best, score, nbest);
        }
    }
    if (m->route < 0)
        return m->allow ? 405 : 404;
    const char *p = rt->routes[m->route].pattern;
    for (unsigned i = 0; i < rt->c[m->route].nseg; i++) {
        const struct router_seg *g = &rt->c[m->route].seg[i];
        if (g->kind == RSEG_PARAM && m->nparams < CONFIG_PARAMS_MAX) {
            m->param[m->nparams].name = p + g->off + 1;
            m->param[m->nparams].name_len = (size_t)g->len - 1;
            m->param[m->nparams].seg = i;
            m->nparams++;
        } else if (g->kind == RSEG_WILD) {
            m->wild = 1;
            m->wild_from = i;
        }
    }
    return 0;
}

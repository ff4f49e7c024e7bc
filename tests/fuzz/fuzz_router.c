/* libFuzzer target: raw bytes -> request paths, query strings and the
 * router (app/url.c, app/router.c). The first byte picks the method; the
 * rest up to '?' is a path, after it a query. Whatever the bytes: no
 * out-of-bounds access, a normalised path never holds a "." or ".."
 * segment, an empty segment, a '/' or a NUL, and a match names a route
 * whose pattern fits the path (same segment count unless it ends in '*';
 * literal segments equal). The whole input is also a Host value: a host
 * url_host_len accepts fits the value and holds only name, address or
 * [IPv6] characters (it becomes a Location for port 80's redirect). */
#include <stdlib.h>
#include <string.h>
#include "app/router.h"

static struct config_route routes[] = {
    { .methods = CONFIG_M_GET | CONFIG_M_HEAD, .pattern = "/" },
    { .methods = CONFIG_M_GET | CONFIG_M_HEAD, .pattern = "/api/users/:id" },
    { .methods = CONFIG_M_GET | CONFIG_M_HEAD, .pattern = "/api/users/me" },
    { .methods = CONFIG_M_POST, .pattern = "/api/users" },
    { .methods = CONFIG_M_GET, .pattern = "/api/*" },
    { .methods = CONFIG_M_ALL, .pattern = "/o/:a/t/:b/m" },
    { .methods = CONFIG_M_GET, .pattern = "/*" },
    { .methods = CONFIG_M_DELETE, .pattern = "/x/y/z" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct router rt;
    static int ready;
    if (!ready) {
        if (router_init(&rt, routes, sizeof routes / sizeof routes[0]) < 0)
            __builtin_trap();
        ready = 1;
    }
    if (size < 1)
        return 0;
    enum http_method m = (enum http_method)(data[0] % HTTP_METHODS);
    const char *in = (const char *)data + 1;
    size_t n = size - 1, q = 0;
    while (q < n && in[q] != '?')
        q++;
    char *p = malloc(q ? q : 1);
    memcpy(p, in, q);
    char buf[512];
    struct url_path u = { .buf = buf, .cap = sizeof buf };
    const char *why;
    if (url_path_parse(p, q, &u, &why) == 0) {
        for (unsigned i = 0; i < u.nseg; i++) {
            const char *s = buf + u.seg[i].off;
            size_t k = u.seg[i].len;
            if (k == 0 || (k == 1 && s[0] == '.') || (k == 2 && s[0] == '.' && s[1] == '.') ||
                memchr(s, '/', k) || memchr(s, 0, k) || s[k] != 0)
                __builtin_trap();
        }
        struct router_match mt;
        int r = router_match(&rt, m, &u, &mt);
        if (r == 0) {
            const struct router *R = &rt;
            unsigned k = R->c[mt.route].nseg;
            int wild = k && R->c[mt.route].seg[k - 1].kind == RSEG_WILD;
            if (wild ? u.nseg < k - 1 : u.nseg != k)
                __builtin_trap();
            if (!(routes[mt.route].methods & router_method_bit(m)))
                __builtin_trap();
        } else if (r != 404 && r != 405) {
            __builtin_trap();
        }
        char joined[600];
        if (url_path_join(&u, 0, joined, sizeof joined) < 0)
            __builtin_trap();
    }
    free(p);
    long hl = url_host_len(in, n);
    if (hl > (long)n || hl == 0)
        __builtin_trap();
    for (long i = 0; i < hl; i++) {
        char ch = in[i];
        if (!((ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z') || ch == '-' || ch == '.' ||
              ch == ':' || ch == '[' || ch == ']'))
            __builtin_trap();
    }
    if (q < n) {
        size_t qn = n - q - 1, pos = 0;
        char *qs = malloc(qn ? qn : 1);
        memcpy(qs, in + q + 1, qn);
        char key[32], val[32];
        int r, guard = 0;
        while ((r = url_query_next(qs, qn, &pos, key, sizeof key, val, sizeof val)) != 0 && guard++ < 10000)
            if (pos > qn)
                __builtin_trap();
        free(qs);
    }
    return 0;
}

/* app/url.c: request paths and query strings (pure; see app/url.h). */
#include "app/url.h"

#include <string.h>

static int hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s[0..n) into d (room for n bytes); plus: '+' is a space
 * (query strings). Returns the length, or -1 for a bad escape or, when
 * strict, a decoded '/', '\' or NUL. */
static long decode(const char *s, size_t n, char *d, int plus, int strict)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (n - i < 3)
                return -1;
            int h = hex((unsigned char)s[i + 1]), l = hex((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = (char)(h * 16 + l);
            if (strict && (c == '/' || c == '\\' || c == 0))
                return -1;
            i += 2;
        } else if (plus && c == '+') {
            c = ' ';
        } else if (strict && ((unsigned char)c < 0x20 || c == 0x7f)) {
            return -1;                          /* the parser lets none through; defence in depth */
        }
        d[o++] = c;
    }
    return (long)o;
}

int url_path_parse(const char *p, size_t n, struct url_path *u, const char **why)
{
    u->nseg = 0;
    u->trailing_slash = n > 1 && p[n - 1] == '/';
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && p[i] == '/')
            i++;
        size_t s = i;
        while (i < n && p[i] != '/')
            i++;
        if (i == s)
            break;
        if (o + (i - s) + 1 > u->cap) {
            *why = "path too long";
            return 414;
        }
        long k = decode(p + s, i - s, u->buf + o, 0, 1);
        if (k < 0) {
            *why = "bad percent escape, or an encoded '/', '\\' or NUL in the path";
            return 400;
        }
        if (k == 1 && u->buf[o] == '.')
            continue;                           /* "." */
        if (k == 2 && u->buf[o] == '.' && u->buf[o + 1] == '.') {
            if (!u->nseg) {
                *why = "'..' above the root";
                return 400;
            }
            u->nseg--;
            o = u->seg[u->nseg].off;
            continue;
        }
        if (u->nseg == URL_SEGMENTS_MAX) {
            *why = "more path segments than the router takes";
            return 414;
        }
        u->seg[u->nseg].off = (uint32_t)o;
        u->seg[u->nseg].len = (uint32_t)k;
        u->nseg++;
        o += (size_t)k;
        u->buf[o++] = 0;
    }
    return 0;
}

long url_path_join(const struct url_path *u, unsigned from, char *dst, size_t cap)
{
    size_t o = 0;
    for (unsigned i = from; i < u->nseg; i++) {
        size_t k = u->seg[i].len;
        if (o + k + 2 > cap)
            return -1;
        if (i > from)
            dst[o++] = '/';
        memcpy(dst + o, u->buf + u->seg[i].off, k);
        o += k;
    }
    if (!cap)
        return -1;
    dst[o] = 0;
    return (long)o;
}

int url_query_next(const char *q, size_t n, size_t *pos, char *key, size_t kcap, char *val,
                   size_t vcap)
{
    size_t i = *pos;
    while (i < n && q[i] == '&')
        i++;
    if (i >= n) {
        *pos = n;
        return 0;
    }
    size_t s = i, eq = (size_t)-1;
    while (i < n && q[i] != '&') {
        if (q[i] == '=' && eq == (size_t)-1)
            eq = i;
        i++;
    }
    *pos = i;
    size_t kend = eq == (size_t)-1 ? i : eq;
    size_t vs = eq == (size_t)-1 ? i : eq + 1;
    if (kend - s + 1 > kcap || i - vs + 1 > vcap)
        return -1;
    long k = decode(q + s, kend - s, key, 1, 0), v = decode(q + vs, i - vs, val, 1, 0);
    if (k < 0 || v < 0)
        return -1;
    key[k] = 0;
    val[v] = 0;
    return 1;
}

long url_host_len(const char *v, size_t n)
{
    size_t i = 0;
    if (n && v[0] == '[') {
        for (i = 1; i < n && v[i] != ']'; i++)
            if (!((v[i] >= '0' && v[i] <= '9') || ((v[i] | 32) >= 'a' && (v[i] | 32) <= 'f') ||
                  v[i] == ':' || v[i] == '.'))
                return -1;
        if (i == n || i == 1)
            return -1;
        i++;                                    /* the ']' */
    } else {
        for (; i < n && v[i] != ':'; i++)
            if (!((v[i] >= '0' && v[i] <= '9') || ((v[i] | 32) >= 'a' && (v[i] | 32) <= 'z') ||
                  v[i] == '-' || v[i] == '.'))
                return -1;
        if (i == 0 || i > 253)
            return -1;
    }
    size_t host = i;
    if (i < n) {
        if (v[i] != ':' || n - i - 1 < 1 || n - i - 1 > 5)
            return -1;
        for (i++; i < n; i++)
            if (v[i] < '0' || v[i] > '9')
                return -1;
    }
    return (long)host;
}

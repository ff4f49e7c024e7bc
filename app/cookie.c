/* app/cookie.c: see cookie.h. */
#include "app/cookie.h"

#include <string.h>
#include <strings.h>

const char *cookie_get(const char *field, size_t n, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    size_t i = 0;
    while (i < n) {
        while (i < n && (field[i] == ' ' || field[i] == '\t' || field[i] == ';'))
            i++;
        size_t b = i;
        while (i < n && field[i] != ';')
            i++;
        /* [b, i) is "name=value" */
        const char *eq = memchr(field + b, '=', i - b);
        if (eq && (size_t)(eq - (field + b)) == nl && !memcmp(field + b, name, nl)) {
            const char *v = eq + 1;
            size_t vl = (size_t)(field + i - v);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
                v++, vl -= 2;
            *vlen = vl;
            return v;
        }
    }
    return NULL;
}

size_t url_origin(const char *url, size_t n)
{
    size_t s;
    if (n > 8 && !strncasecmp(url, "https://", 8))
        s = 8;
    else if (n > 7 && !strncasecmp(url, "http://", 7))
        s = 7;
    else
        return 0;
    size_t e = s;
    while (e < n && url[e] != '/' && url[e] != '?' && url[e] != '#')
        e++;
    if (e == s || memchr(url + s, '@', e - s))
        return 0;                       /* no host, or userinfo: not an origin */
    return e;
}

/* An origin's length without its scheme's default port (RFC 6454 4: the
 * port is the scheme's default when absent). */
static size_t no_default_port(const char *o, size_t n)
{
    if (n > 12 && !strncasecmp(o, "https://", 8) && !memcmp(o + n - 4, ":443", 4))
        return n - 4;
    if (n > 10 && !strncasecmp(o, "http://", 7) && !memcmp(o + n - 3, ":80", 3))
        return n - 3;
    return n;
}

int origin_equal(const char *a, size_t an, const char *b, size_t bn)
{
    an = no_default_port(a, an);
    bn = no_default_port(b, bn);
    return an == bn && !strncasecmp(a, b, an);
}
